#include "machine_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <numeric>
#include <sstream>
#include <thread>
#include <vector>

#include "dataset.h"

namespace daas::bench {
namespace {

std::string Trim(std::string s) {
  const size_t b = s.find_first_not_of(" \t");
  const size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// The value after "key:" on the first line of `path` that starts with key, or "".
std::string ProcField(const char* path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return Trim(line.substr(colon + 1));
    }
  }
  return "";
}

}  // namespace

MachineInfo CollectMachineInfo() {
  MachineInfo m;
  m.cpu_model = ProcField("/proc/cpuinfo", "model name");
  if (m.cpu_model.empty()) m.cpu_model = "unknown";
  m.cores = std::thread::hardware_concurrency();
  const std::string mem = ProcField("/proc/meminfo", "MemTotal");  // "24567890 kB"
  if (!mem.empty()) m.ram_gib = std::stod(mem) / (1024.0 * 1024.0);
  utsname u{};
  if (uname(&u) == 0) m.kernel = std::string(u.sysname) + " " + u.release;
#if defined(__clang__)
  m.compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  m.compiler = "gcc " __VERSION__;
#else
  m.compiler = "unknown";
#endif
  m.compiler = Trim(m.compiler);
#ifdef DAAS_BENCH_BUILD_TYPE
  m.build_type = DAAS_BENCH_BUILD_TYPE;
#endif
#ifdef NDEBUG
  m.build_type += m.build_type.empty() ? "NDEBUG" : " (NDEBUG)";
#endif
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  std::getline(thp, modes);  // "always [madvise] never"
  const size_t open = modes.find('['), close = modes.find(']');
  m.transparent_hugepages = open != std::string::npos && close != std::string::npos
                                ? modes.substr(open + 1, close - open - 1)
                                : "unknown";
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  m.glibc_tunables = tunables ? tunables : "(unset)";
  return m;
}

double RandomReadLatencyNs(size_t bytes) {
  struct alignas(64) Node {
    uint64_t next;
  };
  const size_t n = bytes / sizeof(Node);
  if (n < 2) return 0;
  std::vector<Node> nodes(n);
  // Sattolo's shuffle: one cycle through every node, so the chase visits them all in random order.
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  Rng rng(kGetSeed);
  for (size_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.Uniform(i)]);
  for (size_t i = 0; i < n; ++i) nodes[order[i]].next = order[(i + 1) % n];
  const size_t hops = std::min<size_t>(n, 4'000'000);
  uint64_t at = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < hops; ++i) at = nodes[at].next;
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  // Folds the end of the chase into the result so the loop cannot be dropped.
  return ns / static_cast<double>(hops) + static_cast<double>(at == n) * 1e-9;
}

uint64_t ResidentBytes() {
  std::ifstream in("/proc/self/statm");
  uint64_t size_pages = 0;
  uint64_t resident_pages = 0;
  in >> size_pages >> resident_pages;
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace daas::bench
