#include "engine/feed_subscription.h"

#include <optional>

#include "core/status_macros.h"
#include "engine/database_impl.h"
#include "storage/wal/commit_record.h"
#include "storage/wal/wal_reader.h"

namespace daas::engine {

FeedSubscription::FeedSubscription(DatabaseImpl* db, const FeedOptions& options)
    : db_(db), options_(options) {}

FeedSubscription::~FeedSubscription() { db_->feed().Unsubscribe(options_.before_images); }

Status FeedSubscription::Start(uint64_t start) {
  position_ = options_.after_lsn.value_or(start);
  if (position_ > start) {
    return Status::InvalidArgument("after_lsn " + std::to_string(position_) +
                                   " is past the last commit, " + std::to_string(start));
  }
  // The hub holds the commits after `start` (and maybe some before, for earlier subscribers).
  const uint64_t first_kept = db_->feed().first_kept();
  if (position_ + 1 >= first_kept) return Status::OK();
  // Older ones are read back from the log, which reaches back to the last checkpoint.
  auto too_far = [&] {
    return Status::ResourceExhausted(
        "after_lsn " + std::to_string(position_) +
        " is too far back: the commits after it are no longer kept (in memory, or in the log "
        "since the last checkpoint)");
  };
  if (!db_->log().logged()) return too_far();
  DAAS_RETURN_IF_ERROR(db_->log().FlushLog(first_kept - 1));
  uint64_t bytes = 0;
  Result<storage::wal::LogReadResult> read = storage::wal::ReadLog(
      db_->env(), db_->options().dir, [&](uint64_t lsn, std::string_view payload) -> Status {
        if (lsn <= position_ || lsn >= first_kept) return Status::OK();
        if (backlog_.empty() && lsn != position_ + 1) return too_far();
        bytes += payload.size();
        if (bytes > db_->options().feed_retain_bytes) return too_far();
        PublishedCommit c;
        c.lsn = lsn;
        c.payload = std::string(payload);
        backlog_.push_back(std::move(c));
        return Status::OK();
      });
  if (!read.ok()) return read.status().WithContext("reading the log back for the change feed");
  if (backlog_.empty() || backlog_.back().lsn != first_kept - 1) return too_far();
  return Status::OK();
}

Status FeedSubscription::Next(std::vector<ChangeEvent>* out, size_t max_events, uint32_t wait_ms) {
  if (broken_) {
    return Status::ResourceExhausted("the change feed subscriber fell too far behind earlier");
  }
  const size_t before = out->size();
  while (!backlog_.empty() && (out->size() == before || out->size() - before < max_events)) {
    DAAS_RETURN_IF_ERROR(Decode(backlog_.front(), out));
    position_ = backlog_.front().lsn;
    backlog_.pop_front();
  }
  if (out->size() > before || !backlog_.empty()) return Status::OK();
  size_t n = 0;
  Status s = db_->feed().Read(position_, max_events == 0 ? 1 : max_events, wait_ms, &commits_, &n);
  if (s.code() == StatusCode::kResourceExhausted) broken_ = true;
  DAAS_RETURN_IF_ERROR(s);
  for (size_t i = 0; i < n; ++i) {
    if (out->size() - before >= max_events && out->size() > before) break;
    DAAS_RETURN_IF_ERROR(Decode(commits_[i], out));
    position_ = commits_[i].lsn;
  }
  return Status::OK();
}

Status FeedSubscription::Decode(const PublishedCommit& commit,
                                std::vector<ChangeEvent>* out) const {
  int64_t time_ms = 0;
  size_t k = 0;  // put or erase op number, for `before`
  // A commit's ops mostly name one collection: look its name up once per run of them.
  uint32_t last_id = 0;
  std::optional<std::string> last_name;
  Status s = storage::wal::DecodeCommitRecord(
      commit.payload, [&](const storage::wal::LoggedOp& op) -> Status {
        using Kind = storage::wal::LoggedOpKind;
        if (op.kind == Kind::kTime) {
          time_ms = static_cast<int64_t>(op.time_ms);
          return Status::OK();
        }
        const size_t index = k++;
        if (last_id != op.collection_id || index == 0) {
          last_id = op.collection_id;
          CollectionImpl* coll = db_->catalog().ById(op.collection_id);
          last_name = coll == nullptr ? std::nullopt : std::optional<std::string>(coll->name());
        }
        // Changes of a collection this database no longer knows (dropped before a restart).
        if (!last_name) return Status::OK();
        ChangeEvent e;
        e.lsn = commit.lsn;
        e.time_ms = time_ms;
        e.collection = *last_name;
        e.id = op.id;
        if (op.kind == Kind::kErase) {
          e.op = ChangeEvent::Op::kDelete;
        } else {
          e.op = op.inserted ? ChangeEvent::Op::kInsert : ChangeEvent::Op::kUpdate;
          e.document = std::string(op.document);
        }
        if (options_.before_images && commit.has_before && index < commit.before.size() &&
            e.op != ChangeEvent::Op::kInsert) {
          e.before = commit.before[index];
        }
        out->push_back(std::move(e));
        return Status::OK();
      });
  return s.WithContext("change feed, commit " + std::to_string(commit.lsn));
}

}  // namespace daas::engine
