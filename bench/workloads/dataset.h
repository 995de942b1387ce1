// The benchmark workload's inputs: documents, lookup order and patches, all derived from fixed
// seeds so every engine, every run and every machine sees the same bytes.
//
// Invariant: the expected_* sums are computed from the generated data alone, never from an engine,
// so they are the reference every engine's answers are checked against.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace daas::bench {

inline constexpr uint64_t kDocumentSeed = 0x5eed'0001;
inline constexpr uint64_t kGetSeed = 0x5eed'0002;
inline constexpr uint64_t kPatchSeed = 0x5eed'0003;

// xoshiro256** seeded through splitmix64: fixed output on every platform and standard library,
// unlike std::uniform_int_distribution.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t Next();
  // Uniform in [0, n). Requires: n > 0.
  uint64_t Uniform(uint64_t n);

 private:
  uint64_t s_[4];
};

// One user document as MessagePack, a map of 7 fields in this order:
//   name (str), email (str), age (int 18..90), country (str), balance (float 64, cents),
//   tags (array of 1..3 short str), active (bool)
// about 150 bytes on average.
std::string MakeDocument(Rng& rng, int* age);

// A merge patch {"age": age, "balance": balance} as MessagePack.
std::string MakePatch(int64_t age, double balance);

struct Dataset {
  std::vector<std::string> documents;   // document i is stored under key i (SQLite id i + 1)
  std::vector<std::string_view> views;  // views of documents, for InsertMany
  uint64_t document_bytes = 0;          // sum of documents' sizes

  std::vector<uint32_t> get_order;  // document index of each lookup
  uint64_t expected_get_checksum = 0;

  std::vector<uint32_t> patch_order;  // document index of each patch
  std::vector<std::string> patches;   // patches[k] applies to patch_order[k]

  uint64_t expected_age_sum = 0;          // before the patch phase
  uint64_t expected_patched_age_sum = 0;  // after it
};

// Generates everything with the seeds above.
Dataset MakeDataset(size_t documents, size_t gets, size_t patches);

// What a lookup folds into its checksum: size and two bytes, so the copy must really happen.
inline uint64_t GetChecksum(std::string_view bytes) {
  if (bytes.empty()) return 0;
  return bytes.size() + static_cast<uint8_t>(bytes[bytes.size() / 2]) +
         (uint64_t{static_cast<uint8_t>(bytes.back())} << 8);
}

// The field `age` of a document, read with doc::FindField, the same code for every engine.
// Returns 0 when absent or not an integer (the checksums then disagree, which the driver reports).
uint64_t ReadAge(std::string_view document);

}  // namespace daas::bench
