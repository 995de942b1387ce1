// Recovery: opening a database directory. The manifest becomes the catalog, the shard table (each
// shard with a file starts cold: open reads no shard file) and the checkpointer's state; then the
// log is replayed over the shards its records are newer than (loading only those), its torn tail
// is cut, and it is opened for appending.
//
// State: only for the run: the collections by ID, the shards replay created, the records read and
// not applied yet.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "daas/daas.hpp"
#include "engine/catalog.h"
#include "engine/checkpointer.h"
#include "engine/commit_log.h"
#include "engine/shard_loader.h"
#include "engine/shard_table.h"
#include "env/env.h"

namespace daas::engine {

class Recovery {
 public:
  // What recovery fills: empty, and used by no other thread until it is done.
  struct Units {
    env::Env* env;
    const Options* options;
    Catalog* catalog;
    ShardTable* shards;
    ShardLoader* loader;
    Checkpointer* checkpointer;
    CommitLog* log;
  };
  explicit Recovery(const Units& units) : u_(units) {}

  // Opens the database in options->dir, whose lock the caller holds: creates it when there is no
  // manifest (and create_if_missing), else restores it. Errors: NotFound (no database),
  // Corruption naming the file and byte, the environment's.
  Status Run();

 private:
  // The catalog and shard table the manifest records.
  Status RestoreCatalog(const storage::Manifest& m);
  // Replays the log over the shards; then opens it for appending. `covered_lsn`: the manifest's;
  // `lsn_after_files`: Checkpointer::LsnAfterFiles. *checkpoint_lsn: every record up to it is in
  // the shard files.
  Status ReplayLog(uint64_t covered_lsn, uint64_t lsn_after_files, uint64_t* checkpoint_lsn);
  // Checks the pending records' documents on every core, then applies them in LSN order.
  Status ApplyPending();
  // Applies one record to the shards whose files lack it.
  Status Apply(uint64_t lsn, std::string_view payload);
  // The shard `id` names, of collection `collection_id`; created when the log names a shard the
  // manifest does not (made after the last checkpoint).
  Result<storage::Shard*> FindShard(DocId id, uint32_t collection_id);

  const Units u_;
  std::unordered_map<uint32_t, CollectionImpl*> by_id_;
  // Shards made by replay, registered only after it.
  std::vector<std::unique_ptr<storage::Shard>> created_;
  // Records read and not applied yet; payloads stay valid until ReadLog's segment end.
  std::vector<std::pair<uint64_t, std::string_view>> pending_;
  uint64_t max_lsn_ = 0;
  uint64_t first_applied_ = 0;  // LSN of the first record that changed a shard
  uint32_t max_shard_id_ = 0;
};

}  // namespace daas::engine
