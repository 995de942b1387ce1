// RFC 7386 merge patch over MessagePack, written straight from the two inputs' bytes: unchanged
// values are copied raw, never decoded and re-encoded.
#include "doc/merge_patch.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status_macros.h"
#include "doc/json.h"
#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"

namespace daas::doc {
namespace {

// Maps with more keys than this are looked up through a hash map instead of a linear scan.
constexpr size_t kLinearLookupMax = 16;

struct Entry {
  std::string_view key;
  Value value;
};

std::vector<Entry> Entries(const Value& map) {
  std::vector<Entry> entries;
  entries.reserve(map.count);
  MapIterator it(map);
  Entry e;
  while (it.Next(&e.key, &e.value)) entries.push_back(e);
  return entries;
}

// Writes MergePatch(target, patch) where `patch` is a map at nesting `depth` of the result; a null
// or non-map `target` merges as the empty map (RFC 7386 §2), which also drops the patch's nulls at
// every level. Recursion follows the patch's maps, so their depth is checked here, before
// descending: the result nests at least that deep, and the stack stays bounded.
Status MergeMaps(const Value* target, const Value& patch, uint32_t depth,
                 const DocumentLimits& limits, Writer* w) {
  if (depth > limits.max_depth || depth > kMaxJsonNestingDepth) {
    return Status::ResourceExhausted(
        "nesting depth " + std::to_string(depth) + " exceeds max_depth " +
        std::to_string(std::min<uint64_t>(limits.max_depth, kMaxJsonNestingDepth)));
  }
  const std::vector<Entry> patch_entries = Entries(patch);
  std::vector<Entry> target_entries;
  if (target != nullptr && target->type == Type::kMap) target_entries = Entries(*target);

  std::unordered_map<std::string_view, size_t> patch_index;
  if (patch_entries.size() > kLinearLookupMax) {
    patch_index.reserve(patch_entries.size());
    for (size_t i = 0; i < patch_entries.size(); ++i) patch_index.emplace(patch_entries[i].key, i);
  }
  constexpr size_t kNone = SIZE_MAX;
  auto find_in_patch = [&](std::string_view key) -> size_t {
    if (patch_entries.size() > kLinearLookupMax) {
      const auto it = patch_index.find(key);
      return it == patch_index.end() ? kNone : it->second;
    }
    for (size_t i = 0; i < patch_entries.size(); ++i) {
      if (patch_entries[i].key == key) return i;
    }
    return kNone;
  };

  // First pass: the result's key count, needed up front for the map header.
  std::vector<size_t> match(target_entries.size());
  std::vector<bool> matched(patch_entries.size(), false);
  uint64_t count = 0;
  for (size_t i = 0; i < target_entries.size(); ++i) {
    match[i] = find_in_patch(target_entries[i].key);
    if (match[i] == kNone) {
      ++count;
      continue;
    }
    matched[match[i]] = true;
    if (patch_entries[match[i]].value.type != Type::kNil) ++count;
  }
  for (size_t j = 0; j < patch_entries.size(); ++j) {
    if (!matched[j] && patch_entries[j].value.type != Type::kNil) ++count;
  }
  // Validated maps hold under 2^32 pairs each, and the result has at most the sum of both.
  DAAS_CHECK(count <= UINT32_MAX);
  w->MapHeader(static_cast<uint32_t>(count));

  auto write_patched = [&](std::string_view key, const Value* old_value,
                           const Value& new_value) -> Status {
    w->String(key);
    if (new_value.type == Type::kMap) {
      return MergeMaps(old_value, new_value, depth + 1, limits, w);
    }
    w->Raw(new_value.raw);
    return Status::OK();
  };
  for (size_t i = 0; i < target_entries.size(); ++i) {
    const Entry& t = target_entries[i];
    if (match[i] == kNone) {
      w->String(t.key);
      w->Raw(t.value.raw);
      continue;
    }
    const Value& p = patch_entries[match[i]].value;
    if (p.type != Type::kNil) DAAS_RETURN_IF_ERROR(write_patched(t.key, &t.value, p));
  }
  for (size_t j = 0; j < patch_entries.size(); ++j) {
    const Entry& p = patch_entries[j];
    if (!matched[j] && p.value.type != Type::kNil) {
      DAAS_RETURN_IF_ERROR(write_patched(p.key, nullptr, p.value));
    }
  }
  return Status::OK();
}

}  // namespace

Result<std::string> MergePatch(std::string_view target, std::string_view patch,
                               const DocumentLimits& limits) {
  const Value patch_value = ReadValue(patch);
  if (patch_value.type != Type::kMap) {
    return Status::InvalidArgument(std::string("merge patch must be a map, found ") +
                                   TypeName(patch_value.type));
  }
  const Value target_value = ReadValue(target);
  std::string out;
  Writer w(&out);
  DAAS_RETURN_IF_ERROR(
      MergeMaps(&target_value, patch_value, 1, limits, &w).WithContext("merge patch result"));
  // Both inputs were valid, so only a limit can fail here (a patch can grow the document past
  // max_size_bytes, or nest a new map deeper than the target had).
  DAAS_RETURN_IF_ERROR(ValidateDocument(out, limits).WithContext("merge patch result"));
  return out;
}

}  // namespace daas::doc
