// Reading the write-ahead log at recovery (docs/format/wal.md).
//
// Outcomes, never guessed: a torn or bad record at the very end of the last segment is a torn tail
// (cut off: the write it belonged to was never acknowledged); a bad record with a valid one after
// it anywhere, a gap in LSNs, or damage in any segment but the last, is Corruption naming the file
// and byte offset.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "daas/status.h"
#include "env/env.h"

namespace daas::storage::wal {

struct LogReadResult {
  uint64_t last_lsn = 0;      // of the last good record; 0 when the log holds none
  uint64_t next_lsn = 0;      // the LSN the next record must have; 0 when there is no segment
  uint64_t segments = 0;      // segment files read
  uint64_t first_lsn = 0;     // the LSN the first segment's name gives; 0 when there is none
  uint64_t record_bytes = 0;  // bytes of good records, framing included
  std::string torn_segment;   // file name of the segment with a torn tail, if any
  uint64_t torn_offset = 0;   // where its good bytes end
  uint64_t torn_bytes = 0;    // how many bytes after that were dropped
  // When the newest segment holds no good record and keeps its header after CutTornTail: the LSN
  // its name gives, which is next_lsn (a writer may start there without a new segment); else 0.
  uint64_t empty_newest_lsn = 0;
};

// Calls fn(lsn, payload) for every good record of the log in `dir`, in LSN order, stopping at the
// first non-OK status fn returns. A payload stays valid until segment_end, if given, is called
// after the last record of its segment: a caller may hold payloads until then (to work on several
// at once), and segment_end's error stops the read like fn's. Reads only; see CutTornTail.
Result<LogReadResult> ReadLog(env::Env* env, const std::string& dir,
                              const std::function<Status(uint64_t lsn, std::string_view)>& fn,
                              const std::function<Status()>& segment_end = {});

// Where one segment's good records end.
struct SegmentEnd {
  bool torn = false;        // damage at the end with nothing valid after it
  uint64_t good_bytes = 0;  // bytes of the segment before the damage (all of it when not torn)
};

// Checks one segment's bytes (file `name`, whose name says `name_first_lsn`) and calls fn for each
// good record. *expected is the LSN the first record must have, or 0 to take the header's; it is
// left at the LSN after the last good record. `last`: whether damage may be a torn tail.
Result<SegmentEnd> ScanSegment(std::string_view bytes, const std::string& name,
                               uint64_t name_first_lsn, bool last, uint64_t* expected,
                               const std::function<Status(uint64_t lsn, std::string_view)>& fn);

// Corruption when the log read into `result` no longer reaches back to record covered_lsn + 1
// (the MANIFEST's covered_lsn; 0 means unknown and passes): segments are deleted only up to
// covered_lsn and a database always keeps one, so a later start, or no segment, means deleted
// segments took records no shard file holds.
Status CheckLogReachesBack(uint64_t covered_lsn, const LogReadResult& result);

// Drops the torn tail ReadLog found, so later segments never follow a damaged one (invariant W1).
Status CutTornTail(env::Env* env, const std::string& dir, const LogReadResult& result);

}  // namespace daas::storage::wal
