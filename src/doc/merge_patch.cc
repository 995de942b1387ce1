// RFC 7386 merge patch over MessagePack, written straight from the two inputs' bytes: unchanged
// values are copied raw, never decoded and re-encoded.
//
// Invariant: the result satisfies ValidateDocument(result, limits), checked in full only when the
// merge could have broken a limit (see MergePatch), and always in debug builds.
#include "doc/merge_patch.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "core/status_macros.h"
#include "doc/doc_internal.h"
#include "doc/json.h"
#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"

namespace daas::doc {
namespace {

// Maps with more keys than this are looked up through a hash map instead of a linear scan.
constexpr size_t kLinearLookupMax = 16;
// Entries of the maps being merged kept without allocating: the target's and the patch's at every
// level of the current recursion (a typical document and patch need a dozen).
constexpr size_t kInlineEntries = 32;

constexpr uint32_t kNone = UINT32_MAX;

struct Entry {
  std::string_view key;
  Value value;
  uint32_t
      match;     // target entry: index of the patch entry with its key (from patch_begin), or kNone
  bool matched;  // patch entry: some target entry has its key
};

// One MergePatch call: writes the merged map through `w` and notes whether what it wrote may break
// a limit of `limits` that it does not check itself. Thread-compatible: one per call.
class Merger {
 public:
  Merger(const DocumentLimits& limits, Writer* w) : limits_(limits), w_(w) {}

  // Writes MergePatch(target, patch) where `patch` is a map at nesting `depth` of the result; a
  // null or non-map `target` merges as the empty map (RFC 7386 §2), which also drops the patch's
  // nulls at every level. Recursion follows the patch's maps, so their depth is checked here,
  // before descending: the result nests at least that deep, and the stack stays bounded.
  Status MergeMaps(const Value* target, const Value& patch, uint32_t depth);

  // True when something written may break max_depth or max_key_bytes (see MergePatch).
  bool may_break_limits() const { return may_break_limits_; }

 private:
  // Appends the pairs of `map` to entries_.
  void AppendEntries(const Value& map);
  // Writes key and a copy of the validated `value` into the map at nesting `depth`, noting whether
  // either could break max_depth or max_key_bytes.
  void CopyPair(std::string_view key, const Value& value, uint32_t depth);
  void WriteKey(std::string_view key);
  // Writes key and the merge of `patch_value` into `old_value` (nullptr: absent).
  Status WritePatched(std::string_view key, const Value* old_value, const Value& patch_value,
                      uint32_t depth);

  const DocumentLimits& limits_;
  Writer* w_;
  // Every open MergeMaps level's entries, innermost last; each level drops its own on return, so
  // refer to entries by index across a recursive call (a push may move them to the heap).
  internal::InlineStack<Entry, kInlineEntries> entries_;
  bool may_break_limits_ = false;
};

void Merger::AppendEntries(const Value& map) {
  MapIterator it(map);
  Entry e{{}, {}, kNone, false};
  while (it.Next(&e.key, &e.value)) entries_.push_back(e);
}

void Merger::WriteKey(std::string_view key) {
  if (key.size() > limits_.max_key_bytes) may_break_limits_ = true;
  w_->String(key);
}

void Merger::CopyPair(std::string_view key, const Value& value, uint32_t depth) {
  WriteKey(key);
  // A value of n bytes nests at most n deep and holds no key longer than n bytes (every level and
  // every key takes its header byte), so a small value needs no walk.
  const bool small =
      depth + value.raw.size() <= limits_.max_depth && value.raw.size() <= limits_.max_key_bytes;
  if (!small && (value.type == Type::kArray || value.type == Type::kMap)) {
    const internal::ValueShape shape = internal::MeasureValue(value.raw);
    if (depth + shape.depth > limits_.max_depth || shape.max_key_bytes > limits_.max_key_bytes) {
      may_break_limits_ = true;
    }
  }
  w_->Raw(value.raw);
}

Status Merger::WritePatched(std::string_view key, const Value* old_value, const Value& patch_value,
                            uint32_t depth) {
  if (patch_value.type != Type::kMap) {
    CopyPair(key, patch_value, depth);
    return Status::OK();
  }
  WriteKey(key);
  return MergeMaps(old_value, patch_value, depth + 1);
}

Status Merger::MergeMaps(const Value* target, const Value& patch, uint32_t depth) {
  if (depth > limits_.max_depth || depth > kMaxJsonNestingDepth) {
    return Status::ResourceExhausted(
        "nesting depth " + std::to_string(depth) + " exceeds max_depth " +
        std::to_string(std::min<uint64_t>(limits_.max_depth, kMaxJsonNestingDepth)));
  }
  // entries_[patch_begin, target_begin) are the patch's, [target_begin, end) the target's.
  const size_t patch_begin = entries_.size();
  AppendEntries(patch);
  const size_t target_begin = entries_.size();
  if (target != nullptr && target->type == Type::kMap) AppendEntries(*target);
  const size_t end = entries_.size();
  const size_t patch_size = target_begin - patch_begin;

  std::unordered_map<std::string_view, uint32_t> patch_index;
  if (patch_size > kLinearLookupMax) {
    patch_index.reserve(patch_size);
    for (size_t j = 0; j < patch_size; ++j) {
      patch_index.emplace(entries_[patch_begin + j].key, static_cast<uint32_t>(j));
    }
  }
  auto find_in_patch = [&](std::string_view key) -> uint32_t {
    if (patch_size > kLinearLookupMax) {
      const auto it = patch_index.find(key);
      return it == patch_index.end() ? kNone : it->second;
    }
    for (size_t j = 0; j < patch_size; ++j) {
      if (entries_[patch_begin + j].key == key) return static_cast<uint32_t>(j);
    }
    return kNone;
  };

  // First pass: the result's key count, needed up front for the map header.
  uint64_t count = 0;
  for (size_t i = target_begin; i < end; ++i) {
    Entry& t = entries_[i];
    t.match = find_in_patch(t.key);
    if (t.match == kNone) {
      ++count;
      continue;
    }
    Entry& p = entries_[patch_begin + t.match];
    p.matched = true;
    if (p.value.type != Type::kNil) ++count;
  }
  for (size_t j = patch_begin; j < target_begin; ++j) {
    const Entry& p = entries_[j];
    if (!p.matched && p.value.type != Type::kNil) ++count;
  }
  // Validated maps hold under 2^32 pairs each, and the result has at most the sum of both.
  DAAS_CHECK(count <= UINT32_MAX);
  w_->MapHeader(static_cast<uint32_t>(count));

  Status status;
  for (size_t i = target_begin; i < end && status.ok(); ++i) {
    // Copies: a recursive call may move entries_.
    const Entry t = entries_[i];
    if (t.match == kNone) {
      CopyPair(t.key, t.value, depth);
      continue;
    }
    const Value p = entries_[patch_begin + t.match].value;
    if (p.type != Type::kNil) status = WritePatched(t.key, &t.value, p, depth);
  }
  for (size_t j = patch_begin; j < target_begin && status.ok(); ++j) {
    const Entry p = entries_[j];
    if (!p.matched && p.value.type != Type::kNil) {
      status = WritePatched(p.key, nullptr, p.value, depth);
    }
  }
  entries_.truncate(patch_begin);
  return status;
}

}  // namespace

Result<std::string> MergePatch(std::string_view target, std::string_view patch,
                               const DocumentLimits& limits) {
  const Value patch_value = internal::ReadWholeValue(patch);
  if (patch_value.type != Type::kMap) {
    return Status::InvalidArgument(std::string("merge patch must be a map, found ") +
                                   TypeName(patch_value.type));
  }
  const Value target_value = internal::ReadWholeValue(target);
  std::string out;
  // The result is the two inputs' pairs minus some, plus map headers: about their sum at most.
  out.reserve(target.size() + patch.size());
  Writer w(&out);
  Merger merger(limits, &w);
  DAAS_RETURN_IF_ERROR(
      merger.MergeMaps(&target_value, patch_value, 1).WithContext("merge patch result"));
  // Why the result needs no full validation unless a limit is in doubt. It is well-formed: map
  // headers count the pairs written, and every value is either copied whole from a validated input
  // or a map written here. Its strings are valid UTF-8 and its ext values allowed, as every byte of
  // them comes from a validated input (keys are re-encoded, same bytes). No map repeats a key:
  // a merged map writes each target key once and only the patch keys the target lacks, and both
  // inputs' maps are free of duplicates. What remains are the limits, which the inputs may have
  // been validated against with other values (the stored target under the limits of its day, or
  // none when loaded: see engine/database_impl.cc), so they are checked here:
  // - max_size_bytes: on the output's length;
  // - max_depth: a merged map at depth d is checked before it is written (MergeMaps); a value
  //   copied into it sits at d and nests MeasureValue(value).depth levels below (CopyPair);
  // - max_key_bytes: every key written at a merged map (WriteKey), and every key inside a copied
  //   value (MeasureValue(value).max_key_bytes).
  // When one of these may fail, ValidateDocument runs in full, so the error (its text and its byte
  // offset) is exactly what validating the result gives.
  if (out.size() > limits.max_size_bytes || merger.may_break_limits()) {
    DAAS_RETURN_IF_ERROR(ValidateDocument(out, limits).WithContext("merge patch result"));
  }
  DAAS_DCHECK(ValidateDocument(out, limits).ok());
  return out;
}

}  // namespace daas::doc
