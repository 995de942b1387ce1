// Fuzzes the checkpoint loader: shard files and the manifest. Each input is decoded as it is, and
// again with its checksums recomputed, so the fuzzer also explores the grammar behind them (a
// forged file with valid checksums must be refused cleanly too). Never crashes; a file that
// decodes re-encodes, in its own version, to the same bytes (a manifest of an older version: to
// today's version, stably), and point reads from a shard file that opens agree with what loading it
// holds.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/coding.h"
#include "core/hash.h"
#include "storage/manifest.h"
#include "storage/shard_file.h"

namespace {

using daas::storage::Shard;

class Bytes final : public daas::env::FileContents {
 public:
  explicit Bytes(std::string bytes) : bytes_(std::move(bytes)) {}
  std::string_view data() const override { return bytes_; }

 private:
  std::string bytes_;
};

// A manifest that decodes re-encodes to the same bytes when it is in today's version; one of an
// older version re-encodes to today's, which decodes to the same thing and re-encodes unchanged.
void CheckManifestRoundTrip(const std::string& bytes) {
  auto m = daas::storage::DecodeManifest(bytes);
  if (!m.ok()) return;
  const std::string encoded = daas::storage::EncodeManifest(*m);
  const uint32_t version = daas::core::GetLittle<uint32_t>(bytes.data() + 8);
  if (version == 3 && encoded != bytes) __builtin_trap();
  auto again = daas::storage::DecodeManifest(encoded);
  if (!again.ok() || daas::storage::EncodeManifest(*again) != encoded) __builtin_trap();
}

void TryShardFile(std::string_view bytes) {
  // Pass the ownership check with the IDs the file claims, to reach the records.
  const uint32_t shard_id =
      bytes.size() >= 20 ? daas::core::GetLittle<uint32_t>(bytes.data() + 12) : 1;
  const uint32_t coll_id =
      bytes.size() >= 20 ? daas::core::GetLittle<uint32_t>(bytes.data() + 16) : 1;
  Shard shard(daas::ShardId{shard_id}, coll_id);
  daas::core::WriterLock l(shard.mu());
  auto info = daas::storage::DecodeShardFile(bytes, "fuzz.shard", daas::DocumentLimits{}, &shard);
  if (info.ok()) {
    const std::string again =
        info->version == 1   ? daas::storage::EncodeShardFileVersion1ForTesting(shard, info->lsn)
        : info->version == 2 ? daas::storage::EncodeShardFileVersion2ForTesting(shard, info->lsn)
                             : daas::storage::EncodeShardFile(shard, info->lsn);
    if (again != bytes) __builtin_trap();
  }
  // A file that opens for reading in place answers point reads with what a load would hold, or
  // Corruption; never anything else.
  daas::storage::Shard empty(daas::ShardId{shard_id}, coll_id);
  auto view = daas::storage::ShardFileView::FromContents(
      std::make_unique<Bytes>(std::string(bytes)), "fuzz.shard", empty);
  if (!view.ok() || !*(*view)->PointReads()) return;
  for (uint32_t slot = 0; slot < 2048; ++slot) {
    std::string_view doc;
    const uint64_t salt =
        info.ok() && slot < shard.slot_limit() ? shard.slot(static_cast<uint16_t>(slot)).salt : 1;
    daas::storage::RecordMeta meta;
    auto found = (*view)->Find(static_cast<uint16_t>(slot), salt, &doc, &meta);
    if (!found.ok() || !info.ok()) continue;
    std::string_view loaded;
    daas::storage::RecordMeta loaded_meta;
    const bool in_shard = shard.Get(static_cast<uint16_t>(slot), salt, &loaded, &loaded_meta);
    if (*found != in_shard || (in_shard && (doc != loaded || meta != loaded_meta))) {
      __builtin_trap();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  TryShardFile(input);
  CheckManifestRoundTrip(input);

  // The same bytes with valid checksums: shard file ...
  {
    std::string fixed = input;
    daas::storage::ResealShardFileForTesting(&fixed);
    if (fixed != input) TryShardFile(fixed);
  }
  // ... and manifest (checksum last).
  if (input.size() >= 24) {
    std::string fixed = input;
    daas::core::PutLittle<uint64_t>(
        fixed.data() + fixed.size() - 8,
        daas::core::Checksum64(std::string_view(fixed).substr(0, fixed.size() - 8),
                               0x4d414e4946455354ull));
    CheckManifestRoundTrip(fixed);
  }
  return 0;
}
