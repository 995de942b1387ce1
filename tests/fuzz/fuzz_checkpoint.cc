// Fuzzes the checkpoint loader: shard files and the manifest. Each input is decoded as it is, and
// again with its checksums recomputed, so the fuzzer also explores the grammar behind them (a
// forged file with valid checksums must be refused cleanly too). Never crashes; a file that
// decodes re-encodes to the same bytes (a manifest of an older version: to today's version,
// stably).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/coding.h"
#include "core/hash.h"
#include "storage/manifest.h"
#include "storage/shard_file.h"

namespace {

using daas::storage::Shard;

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
  if (info.ok() && daas::storage::EncodeShardFile(shard, info->lsn) != bytes) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  TryShardFile(input);
  CheckManifestRoundTrip(input);

  // The same bytes with valid checksums: shard file (header at 40, body checksum last) ...
  if (input.size() >= 56) {
    std::string fixed = input;
    daas::core::PutLittle<uint64_t>(
        fixed.data() + 40,
        daas::core::Checksum64(std::string_view(fixed).substr(0, 40), 0x5348524448454144ull));
    daas::core::PutLittle<uint64_t>(
        fixed.data() + fixed.size() - 8,
        daas::core::Checksum64(std::string_view(fixed).substr(48, fixed.size() - 56),
                               0x53485244424f4459ull));
    TryShardFile(fixed);
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
