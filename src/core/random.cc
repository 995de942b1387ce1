#include "core/random.h"

#include <pthread.h>
#include <sys/random.h>

#include <cerrno>
#include <mutex>

#include "core/status_macros.h"

namespace daas::core {
namespace {

constexpr unsigned kBufferValues = 512;

struct SaltBuffer {
  uint64_t values[kBufferValues];
  unsigned next = kBufferValues;

  void Refill() {
    auto* p = reinterpret_cast<uint8_t*>(values);
    size_t left = sizeof(values);
    while (left > 0) {
      ssize_t n = getrandom(p, left, 0);
      if (n < 0 && errno == EINTR) continue;
      // getrandom on Linux >= 3.17 fails only for bad arguments; without randomness IDs would be
      // guessable, which is worse than stopping.
      DAAS_CHECK(n > 0);
      p += n;
      left -= static_cast<size_t>(n);
    }
    next = 0;
  }
};

thread_local SaltBuffer t_salts;

// In a forked child only the forking thread survives, and it runs this handler: dropping its buffer
// keeps parent and child from handing out the same salts.
void DropBufferInChild() { t_salts.next = kBufferValues; }

}  // namespace

uint64_t RandomSalt() {
  static std::once_flag registered;
  std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, DropBufferInChild); });
  for (;;) {
    if (t_salts.next == kBufferValues) t_salts.Refill();
    uint64_t v = t_salts.values[t_salts.next];
    t_salts.values[t_salts.next++] = 0;  // handed-out randomness is not kept in memory
    if (v != 0) return v;
  }
}

}  // namespace daas::core
