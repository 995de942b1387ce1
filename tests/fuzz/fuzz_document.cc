// Fuzzes the document decoder: ValidateDocument is the one gate for untrusted MessagePack, so
// whatever it accepts must be readable, printable as JSON, and come back from that JSON as a
// document that validates again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "daas/options.h"
#include "daas/status.h"
#include "doc/json.h"
#include "doc/msgpack_reader.h"

namespace {

[[noreturn]] void Fail(const char* what, const daas::Status& status = daas::Status::OK()) {
  std::fprintf(stderr, "fuzz_document: %s %s\n", what, status.ToString().c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using daas::doc::Value;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Small limits, so the limit paths are reachable from small inputs.
  daas::DocumentLimits limits;
  limits.max_size_bytes = 1 << 16;
  limits.max_depth = 16;
  limits.max_key_bytes = 64;

  const daas::Status value_status = daas::doc::ValidateValue(bytes, limits);
  const daas::Status status = daas::doc::ValidateDocument(bytes, limits);
  if (!status.ok()) return 0;
  if (!value_status.ok()) Fail("ValidateValue refused a valid document:", value_status);

  // Every top-level key is found by FindField, with the value MapIterator gave.
  const Value root = daas::doc::ReadValue(bytes);
  if (root.type != daas::doc::Type::kMap || root.raw.size() != size) Fail("bad root");
  daas::doc::MapIterator it(root);
  std::string_view key;
  Value value;
  uint32_t pairs = 0;
  while (it.Next(&key, &value)) {
    ++pairs;
    const std::optional<Value> found = daas::doc::FindField(bytes, key);
    if (!found.has_value() || found->raw != value.raw) Fail("FindField disagrees with MapIterator");
  }
  if (pairs != root.count) Fail("MapIterator count");
  for (std::string_view k : {"", "a", "id", "\xff"}) {
    (void)daas::doc::FindField(bytes, k);
  }

  // JSON and back. Printing can add one level ({"$ext":..} for foreign ext values) and grow the
  // bytes (base64, float 32 widened), so the way back gets room for both.
  std::string json;
  daas::doc::MsgpackToJson(bytes, &json);
  daas::DocumentLimits back = limits;
  back.max_depth = limits.max_depth + 1;
  back.max_size_bytes = std::numeric_limits<size_t>::max();
  auto mp = daas::doc::JsonToMsgpack(json, back);
  if (!mp.ok()) Fail("JsonToMsgpack refused MsgpackToJson output:", mp.status());
  const daas::Status again = daas::doc::ValidateDocument(*mp, back);
  if (!again.ok()) Fail("converted document does not validate:", again);
  // From here on the round trip is exact.
  std::string json2;
  daas::doc::MsgpackToJson(*mp, &json2);
  auto mp2 = daas::doc::JsonToMsgpack(json2, back);
  if (!mp2.ok() || *mp2 != *mp) Fail("second round trip differs");
  return 0;
}
