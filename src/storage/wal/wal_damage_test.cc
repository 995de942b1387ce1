// Damage sweeps over a small write-ahead log of several segments: every bit flip and every
// truncation, at every byte of every segment, ends in the outcome docs/format/wal.md ("Recovery")
// documents, never in a crash or a silently missing record.
//
//   damage (a flipped bit or byte) ...
//     in the last record of the last segment    torn tail: cut; every earlier record is read
//     in the header of a last segment holding   torn creation: the segment is removed
//       no record
//     anywhere else (an earlier record, any     Corruption "wal-….log at byte N", N the start of
//       other header, an earlier segment)         the damaged record (0 for a header)
//   truncation ...
//     of the last segment                       the records wholly before the cut; a record cut
//                                                 short is a torn tail
//     of an earlier segment                     Corruption naming it, or, for a cut at a record
//                                                 boundary, naming the next segment ("log records
//                                                 A to B are missing") (crash invariant W1: only
//                                                 the last segment may end torn)
//
// Each case runs on a fresh copy of the directory: ReadLog and CheckDirectory must agree with the
// expected outcome, and "opening" (CutTornTail, as recovery does) must leave a log that reads
// clean. The expected outcome is computed from the record layout, parsed here independently of the
// reader.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/coding.h"
#include "core/test_util.h"
#include "storage/check.h"
#include "storage/manifest.h"
#include "storage/wal/commit_record.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_writer.h"

namespace daas::storage::wal {
namespace {

namespace fs = std::filesystem;

constexpr int kRecords = 9;
// Records are 43 to 62 bytes, so the log has three segments of two to four records.
constexpr uint64_t kSegmentBytes = 200;

struct Record {
  size_t segment;
  uint64_t start;  // offset of its first byte in the segment
  uint64_t end;    // offset after its last byte
  uint64_t lsn;
  std::string payload;
};

struct Segment {
  std::string name;
  uint64_t first_lsn;
  uint64_t size;
  std::string bytes;     // undamaged
  bool damaged = false;  // in the scratch copy, since it was last restored
};

// What reading the damaged log must give.
struct Outcome {
  bool corrupt = false;  // Corruption "<file> at byte <offset>"
  bool torn = false;     // a torn tail in <file> from <offset> on (0: a torn creation)
  std::string file;
  uint64_t offset = 0;
  uint64_t good = 0;  // otherwise, records 1..good are read back, all of them intact
};

Outcome Corrupt(std::string file, uint64_t offset) {
  return {true, false, std::move(file), offset};
}
Outcome Torn(std::string file, uint64_t offset, uint64_t good) {
  return {false, true, std::move(file), offset, good};
}
Outcome Clean(uint64_t good) { return {false, false, "", 0, good}; }

std::string Describe(const Outcome& e) {
  if (e.corrupt) return "Corruption in " + e.file + " at byte " + std::to_string(e.offset);
  std::string out = "records 1.." + std::to_string(e.good);
  if (e.torn) out += ", torn tail in " + e.file + " from byte " + std::to_string(e.offset);
  return out;
}

// The file system without fdatasync: cutting a torn tail syncs the file, and a sweep of thousands
// of cases must not wait for the disk (no case tests durability).
class NoSyncEnv final : public env::Env {
 public:
  Result<std::unique_ptr<env::WritableFile>> NewWritableFile(const std::string& path) override {
    return base_->NewWritableFile(path);
  }
  Status TruncateFile(const std::string& path, uint64_t size) override {
    std::error_code ec;
    fs::resize_file(path, size, ec);
    return ec ? Status::IOError("truncate '" + path + "': " + ec.message()) : Status::OK();
  }
  Result<std::string> ReadFile(const std::string& path) override { return base_->ReadFile(path); }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return base_->RenameFile(from, to);
  }
  Status RemoveFile(const std::string& path) override { return base_->RemoveFile(path); }
  Status CreateDirIfMissing(const std::string& path) override {
    return base_->CreateDirIfMissing(path);
  }
  Status SyncDir(const std::string&) override { return Status::OK(); }
  Result<bool> FileExists(const std::string& path) override { return base_->FileExists(path); }
  Result<uint64_t> GetFileSize(const std::string& path) override {
    return base_->GetFileSize(path);
  }
  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    return base_->ListDir(dir);
  }
  Result<std::unique_ptr<env::FileLock>> LockFile(const std::string& path) override {
    return base_->LockFile(path);
  }

 private:
  env::Env* const base_ = env::Env::Default();
};

// A document {"k": "<n x's>"} (MessagePack), valid for CheckDirectory.
std::string Document(size_t n) {
  std::string doc("\x81\xa1k", 3);
  doc += static_cast<char>(0xa0 | n);
  doc.append(n, 'x');
  return doc;
}

// Param: whether the log ends in a segment holding only its header, as each open of a database
// leaves it until the next commit.
class WalDamageTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    env::Env* env = env::Env::Default();
    Manifest m;
    m.next_collection_id = 2;
    m.next_shard_id = 2;
    m.collections.push_back({1, "c", {{ShardId{1}, 0, 0, 0}}, "", "", 0});
    ASSERT_TRUE(
        env::WriteFileAtomically(env, env::JoinPath(src_, kManifestFileName), EncodeManifest(m))
            .ok());
    {
      auto w = WalWriter::Create(env, src_, 1, kSegmentBytes);
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      for (int i = 1; i <= kRecords; ++i) {
        CommitRecordBuilder b;
        const DocId id(100 + i, ShardId{1}, static_cast<uint16_t>(i));
        if (i == 5) {
          b.Erase(1, DocId(101, ShardId{1}, 1));
        } else {
          b.Put(1, id, Document(5 + i % 7));
        }
        std::string payload = b.Finish();
        auto lsn = (*w)->Append(payload);
        ASSERT_TRUE(lsn.ok());
        ASSERT_EQ(*lsn, static_cast<uint64_t>(i));
        ASSERT_TRUE((*w)->Flush(*lsn, true).ok());
        payloads_.push_back(std::move(payload));
      }
    }
    if (GetParam()) {
      ASSERT_TRUE(WalWriter::Create(env, src_, kRecords + 1, kSegmentBytes).ok());
    }
    ParseLayout();
  }

  // Reads back the segments and the records in them with the format alone (wal_format.h).
  void ParseLayout() {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(src_)) {
      uint64_t first;
      if (ParseSegmentFileName(e.path().filename().string(), &first)) {
        names.push_back(e.path().filename().string());
      }
    }
    std::sort(names.begin(), names.end());
    uint64_t lsn = 1;
    for (const std::string& name : names) {
      const std::string bytes = daas::testing::ReadWholeFile(env::JoinPath(src_, name));
      ASSERT_GE(bytes.size(), kSegmentHeaderBytes);
      segments_.push_back({name, lsn, bytes.size(), bytes});
      uint64_t at = kSegmentHeaderBytes;
      while (at < bytes.size()) {
        const uint64_t length = core::GetLittle<uint32_t>(bytes.data() + at + 8);
        ASSERT_EQ(core::GetLittle<uint64_t>(bytes.data() + at + 12), lsn);
        const uint64_t end = at + kRecordHeaderBytes + length;
        ASSERT_LE(end, bytes.size());
        records_.push_back(
            {segments_.size() - 1, at, end, lsn, bytes.substr(at + kRecordHeaderBytes, length)});
        ASSERT_EQ(records_.back().payload, payloads_[lsn - 1]);
        at = end;
        ++lsn;
      }
    }
    ASSERT_EQ(records_.size(), static_cast<size_t>(kRecords));
    ASSERT_GE(segments_.size(), GetParam() ? 4u : 3u);
    for (size_t i = 0; i < segments_.size(); ++i) {
      // So every segment has a last record and records before it, and the layout is as described.
      if (!GetParam() || i + 1 < segments_.size()) {
        ASSERT_GE(RecordsIn(i), 2u) << i;
      }
    }
  }

  size_t RecordsIn(size_t segment) const {
    size_t n = 0;
    for (const Record& r : records_) n += r.segment == segment;
    return n;
  }
  bool IsLast(size_t segment) const { return segment + 1 == segments_.size(); }

  // The outcome of damage to byte `offset` of segment `seg`.
  Outcome ExpectForDamage(size_t seg, uint64_t offset) const {
    const Segment& s = segments_[seg];
    for (const Record& r : records_) {
      if (r.segment != seg || offset < r.start || offset >= r.end) continue;
      if (IsLast(seg) && r.lsn == static_cast<uint64_t>(kRecords)) {
        return Torn(s.name, r.start, r.lsn - 1);
      }
      return Corrupt(s.name, r.start);
    }
    // In the header: a last segment holding no record is a torn creation (removed at open).
    if (IsLast(seg) && RecordsIn(seg) == 0) return Torn(s.name, 0, s.first_lsn - 1);
    return Corrupt(s.name, 0);
  }

  // The outcome of cutting segment `seg` to `size` bytes (less than it has).
  Outcome ExpectForTruncation(size_t seg, uint64_t size) const {
    const Segment& s = segments_[seg];
    if (size < kSegmentHeaderBytes) {
      return IsLast(seg) ? Torn(s.name, 0, s.first_lsn - 1) : Corrupt(s.name, 0);
    }
    uint64_t kept = s.first_lsn - 1;  // the last record wholly before the cut
    for (const Record& r : records_) {
      if (r.segment != seg) continue;
      if (r.end <= size) kept = r.lsn;
      if (r.start < size && size < r.end) {
        return IsLast(seg) ? Torn(s.name, r.start, r.lsn - 1) : Corrupt(s.name, r.start);
      }
    }
    // At a record boundary: the last segment simply ends there; an earlier one leaves a gap.
    return IsLast(seg) ? Clean(kept) : Corrupt(segments_[seg + 1].name, 0);
  }

  // A fresh copy of the undamaged directory; returns its path. The copy is made once, then brought
  // back to the undamaged bytes before each case (rewriting each segment the last case damaged,
  // cut or removed), which is much cheaper than copying thousands of directories.
  std::string FreshCopy() {
    const std::string dir = scratch_.path() + "/db";
    if (!fs::exists(dir)) {
      fs::copy(src_, dir, fs::copy_options::recursive);
      return dir;
    }
    for (Segment& s : segments_) {
      const std::string path = env::JoinPath(dir, s.name);
      if (!s.damaged && fs::exists(path) && fs::file_size(path) == s.size) continue;
      // Written over in place: damage never makes a segment longer, and truncating a file to
      // rewrite it would make ext4 flush it to disk.
      std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
      if (!f.is_open()) f.open(path, std::ios::out | std::ios::binary);  // removed by the case
      f.write(s.bytes.data(), static_cast<std::streamsize>(s.bytes.size()));
      EXPECT_TRUE(f.good()) << path;
      s.damaged = false;
    }
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()),
              std::distance(fs::directory_iterator(src_), fs::directory_iterator()));
    return dir;
  }
  // The path of segment `seg` in `dir`, which the caller is about to damage.
  std::string Damage(const std::string& dir, size_t seg) {
    segments_[seg].damaged = true;
    return env::JoinPath(dir, segments_[seg].name);
  }

  void ExpectRecords(const std::vector<std::pair<uint64_t, std::string>>& got, uint64_t good) {
    ASSERT_EQ(got.size(), good);
    for (uint64_t i = 0; i < good; ++i) {
      EXPECT_EQ(got[i].first, i + 1);
      EXPECT_EQ(got[i].second, payloads_[i]) << "record " << i + 1 << " came back different";
    }
  }

  // Reads the log in `dir` (and checks the directory), expecting `e`; then opens it as recovery
  // does (cutting a torn tail) and expects a clean log of the same records.
  void Verify(const std::string& dir, const Outcome& e) {
    SCOPED_TRACE("expected " + Describe(e));
    env::Env* env = &no_sync_env_;
    std::vector<std::pair<uint64_t, std::string>> got;
    auto collect = [&](uint64_t lsn, std::string_view payload) {
      got.emplace_back(lsn, std::string(payload));
      return Status::OK();
    };
    auto r = ReadLog(env, dir, collect);
    auto check = CheckDirectory(env, dir, {});
    ASSERT_TRUE(check.ok()) << check.status().ToString();
    const std::string where = e.file + " at byte " + std::to_string(e.offset) + ":";
    if (e.corrupt) {
      ASSERT_FALSE(r.ok()) << "damage accepted; read " << got.size() << " records";
      EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
      EXPECT_NE(r.status().message().find(where), std::string_view::npos) << r.status().message();
      ASSERT_EQ(check->problems.size(), 1u);
      EXPECT_NE(check->problems[0].find(where), std::string::npos) << check->problems[0];
      return;
    }
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectRecords(got, e.good);
    EXPECT_EQ(r->last_lsn, e.good);
    EXPECT_EQ(r->next_lsn, e.good + 1);
    EXPECT_EQ(r->torn_segment, e.torn ? e.file : "");
    if (e.torn) {
      EXPECT_EQ(r->torn_offset, e.offset);
    }
    EXPECT_TRUE(check->ok()) << check->problems[0];
    EXPECT_EQ(check->log_records, e.good);
    EXPECT_EQ(check->last_lsn, e.good);
    if (e.torn) {
      EXPECT_NE(check->torn_tail.find(e.file), std::string::npos) << check->torn_tail;
      EXPECT_NE(check->torn_tail.find("after byte " + std::to_string(e.offset)), std::string::npos)
          << check->torn_tail;
    } else {
      EXPECT_EQ(check->torn_tail, "");
    }

    ASSERT_TRUE(CutTornTail(env, dir, *r).ok());
    if (e.torn) {
      const std::string path = env::JoinPath(dir, e.file);
      if (e.offset == 0) {
        EXPECT_FALSE(fs::exists(path)) << "a torn creation is removed";
      } else {
        EXPECT_EQ(fs::file_size(path), e.offset);
      }
    }
    got.clear();
    r = ReadLog(env, dir, collect);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectRecords(got, e.good);
    EXPECT_EQ(r->torn_segment, "");
    check = CheckDirectory(env, dir, {});
    ASSERT_TRUE(check.ok());
    EXPECT_TRUE(check->ok());
    EXPECT_EQ(check->torn_tail, "");
  }

  NoSyncEnv no_sync_env_;
  daas::testing::TempDir tmp_, scratch_;
  const std::string src_ = tmp_.path();
  std::vector<std::string> payloads_;  // payloads_[lsn - 1]
  std::vector<Segment> segments_;
  std::vector<Record> records_;
};

TEST_P(WalDamageTest, EveryBitFlipIsATornTailOrCorruptionNamingFileAndOffset) {
  size_t cases = 0, torn = 0;
  for (size_t seg = 0; seg < segments_.size(); ++seg) {
    for (uint64_t offset = 0; offset < segments_[seg].size; ++offset) {
      // Two single bits (which ones turns with the offset), and all eight.
      const unsigned k = offset % 8;
      for (const unsigned mask : {1u << k, 0x80u >> k, 0xffu}) {
        SCOPED_TRACE(segments_[seg].name + " byte " + std::to_string(offset) + " ^ " +
                     std::to_string(mask));
        const std::string dir = FreshCopy();
        daas::testing::FlipBits(Damage(dir, seg), offset, static_cast<uint8_t>(mask));
        const Outcome e = ExpectForDamage(seg, offset);
        Verify(dir, e);
        if (HasFailure()) return;  // the first failing case says it all
        ++cases;
        torn += e.torn;
      }
    }
  }
  EXPECT_GT(torn, 0u);
  EXPECT_GT(cases, torn);
}

TEST_P(WalDamageTest, EveryTruncationKeepsTheRecordsBeforeTheCutOrIsCorruption) {
  for (size_t seg = 0; seg < segments_.size(); ++seg) {
    for (uint64_t size = 0; size < segments_[seg].size; ++size) {
      SCOPED_TRACE(segments_[seg].name + " cut to " + std::to_string(size) + " bytes");
      const std::string dir = FreshCopy();
      fs::resize_file(Damage(dir, seg), size);
      Verify(dir, ExpectForTruncation(seg, size));
      if (HasFailure()) return;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(, WalDamageTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("EndingInAnEmptySegment")
                                             : std::string("EndingInARecord");
                         });

}  // namespace
}  // namespace daas::storage::wal
