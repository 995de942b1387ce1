// FeedSubscription: the ChangeFeed of daas.hpp. It delivers, in LSN order, first the commits it
// had to read back at subscription (from the log, for a subscriber resuming from an older LSN),
// then those the database's ChangeFeedHub publishes.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "daas/daas.hpp"
#include "engine/change_feed.h"

namespace daas::engine {

class DatabaseImpl;

// Not thread-safe (daas.hpp).
class FeedSubscription final : public ChangeFeed {
 public:
  // Subscribes to `db`'s hub; the caller then calls Start. Unsubscribes when destroyed.
  FeedSubscription(DatabaseImpl* db, const FeedOptions& options);
  ~FeedSubscription() override;

  // Positions the subscription after options.after_lsn (or after `start`, the last LSN handed out
  // when it subscribed), reading back from the log what the hub does not hold. Errors:
  // ResourceExhausted (too far back), the log's read errors.
  Status Start(uint64_t start);

  Status Next(std::vector<ChangeEvent>* out, size_t max_events, uint32_t wait_ms) override;
  uint64_t position() const override { return position_; }

 private:
  // Appends the events of `commit` to *out.
  Status Decode(const PublishedCommit& commit, std::vector<ChangeEvent>* out) const;

  DatabaseImpl* const db_;
  const FeedOptions options_;
  uint64_t position_ = 0;
  std::deque<PublishedCommit> backlog_;  // read back from the log, before the hub's commits
  // The hub's commits, copied out (ChangeFeedHub::Read reuses their strings' capacity).
  std::vector<PublishedCommit> commits_;
  bool broken_ = false;  // too far behind: every Next fails
};

}  // namespace daas::engine
