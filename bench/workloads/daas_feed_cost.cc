// daas_feed_cost: what publishing to the change feed costs a commit, counted in instructions.
//
//   valgrind --tool=callgrind --separate-threads=yes daas_feed_cost [--subscriber] [--commits N]
//
// N read-modify-write transactions on one counter document (default 100,000), on disk in a temp
// directory at sync `off`, on the main thread; with --subscriber, a change feed subscriber on a
// second thread reads every 1 ms (what a server fanning commits out does) and must receive every
// commit. Compare the main thread's instructions (callgrind's part -01) with and without it:
// wall-clock on a 2-vCPU VM cannot resolve a few percent (docs/BENCHMARKS.md, "Runs 3 and 4").
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "daas/daas.hpp"
#include "temp_dir.h"

namespace {

void Check(const daas::Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "daas_feed_cost: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

// {"n": v} as MessagePack, v a uint16.
std::string Counter(uint16_t v) {
  const char bytes[] = {
      '\x81', '\xa1', 'n', '\xcd', static_cast<char>(v >> 8), static_cast<char>(v)};
  return std::string(bytes, sizeof bytes);
}

}  // namespace

int main(int argc, char** argv) {
  bool subscriber = false;
  uint64_t commits = 100'000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--subscriber") == 0) {
      subscriber = true;
    } else if (std::strcmp(argv[i], "--commits") == 0 && i + 1 < argc) {
      commits = std::strtoull(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: daas_feed_cost [--subscriber] [--commits N]\n");
      return 2;
    }
  }
  const std::string dir = daas::bench::MakeTempDir(daas::bench::TempParent(), "daas_feed_cost");
  auto db = daas::Database::Open(daas::Options{.dir = dir, .sync = daas::SyncMode::kOff});
  Check(db.status(), "open");
  auto coll = (*db)->CreateCollection("counters");
  Check(coll.status(), "create");
  auto id = (*coll)->Insert(Counter(0));
  Check(id.status(), "insert");
  std::unique_ptr<daas::ChangeFeed> feed;
  std::atomic<bool> stop{false};
  uint64_t delivered = 0;
  // The feed is the reader thread's alone (ChangeFeed is not thread-safe): it says how far it got
  // through `position`.
  std::atomic<uint64_t> position{0};
  std::thread reader;
  if (subscriber) {
    auto f = (*db)->SubscribeChanges({});
    Check(f.status(), "SubscribeChanges");
    feed = std::move(*f);
    reader = std::thread([&] {
      std::vector<daas::ChangeEvent> events;
      while (!stop.load(std::memory_order_relaxed)) {
        events.clear();
        Check(feed->Next(&events, 1u << 20, 0), "ChangeFeed::Next");
        delivered += events.size();
        position.store(feed->position(), std::memory_order_release);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  daas::TransactionOptions o;
  o.sync = daas::SyncMode::kOff;
  std::string bytes;
  for (uint64_t i = 1; i <= commits; ++i) {
    auto t = (*db)->BeginTransaction(o);
    Check(t.status(), "BeginTransaction");
    Check((*t)->Get(*coll, *id, &bytes), "Get");
    Check((*t)->Replace(*coll, *id, Counter(static_cast<uint16_t>(i))), "Replace");
    Check((*t)->Commit(), "Commit");
  }
  if (subscriber) {
    const uint64_t last = (*db)->visible_lsn();
    while (position.load(std::memory_order_acquire) < last) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    stop = true;
    reader.join();
    feed.reset();
  }
  Check((*db)->Close(), "Close");
  std::filesystem::remove_all(dir);
  std::printf(
      "%llu commits%s\n", static_cast<unsigned long long>(commits),
      subscriber ? (delivered == commits ? ", every one delivered" : ", SOME MISSING") : "");
  return subscriber && delivered != commits ? 1 : 0;
}
