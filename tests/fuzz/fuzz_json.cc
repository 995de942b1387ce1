// Fuzzes JSON input: JsonToMsgpack, JsonValueToMsgpack, ForEachJsonDocument and JsonDocumentStream
// on arbitrary bytes. Whatever is accepted must validate, json -> msgpack -> json -> msgpack must
// be stable, and a stream must not depend on where its input is cut.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "daas/options.h"
#include "daas/status.h"
#include "doc/json.h"
#include "doc/msgpack_reader.h"

namespace {

[[noreturn]] void Fail(const char* what, const daas::Status& status = daas::Status::OK()) {
  std::fprintf(stderr, "fuzz_json: %s %s\n", what, status.ToString().c_str());
  std::abort();
}

using Convert = daas::Result<std::string> (*)(std::string_view, const daas::DocumentLimits&);
using Validate = daas::Status (*)(std::string_view, const daas::DocumentLimits&);

// Checks one accepted conversion: valid, and stable through another JSON round trip.
void CheckRoundTrip(const std::string& mp, Convert convert, Validate validate,
                    const daas::DocumentLimits& limits) {
  const daas::Status valid = validate(mp, limits);
  if (!valid.ok()) Fail("converted JSON does not validate:", valid);
  std::string json;
  daas::doc::MsgpackToJson(mp, &json);
  auto mp2 = convert(json, limits);
  if (!mp2.ok()) Fail("printed JSON does not parse:", mp2.status());
  if (*mp2 != mp) Fail("json -> msgpack -> json -> msgpack changed the bytes");
  std::string json2;
  daas::doc::MsgpackToJson(*mp2, &json2);
  if (json2 != json) Fail("printed JSON changed on the second round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  daas::DocumentLimits limits;
  limits.max_size_bytes = 1 << 16;
  limits.max_depth = 16;
  limits.max_key_bytes = 64;

  auto doc = daas::doc::JsonToMsgpack(input, limits);
  if (doc.ok()) {
    CheckRoundTrip(*doc, &daas::doc::JsonToMsgpack, &daas::doc::ValidateDocument, limits);
  }
  auto value = daas::doc::JsonValueToMsgpack(input, limits);
  if (value.ok()) {
    CheckRoundTrip(*value, &daas::doc::JsonValueToMsgpack, &daas::doc::ValidateValue, limits);
  }
  if (doc.ok() && (!value.ok() || *value != *doc))
    Fail("JsonValueToMsgpack disagrees on an object");

  std::string whole;  // every document and its offset, as ForEachJsonDocument gave them
  const daas::Status s =
      daas::doc::ForEachJsonDocument(input, limits, [&](std::string_view mp, size_t offset) {
        if (offset >= size || input[offset] != '{') Fail("offset does not point at an object");
        const daas::Status valid = daas::doc::ValidateDocument(mp, limits);
        if (!valid.ok()) Fail("ForEachJsonDocument gave an invalid document:", valid);
        whole += std::to_string(offset) + ":" + std::string(mp) + ";";
        return daas::Status::OK();
      });
  // Most inputs are not JSON; only crashes and broken invariants matter here, and one of them is
  // that a stream fed in pieces (cut where the first byte says) gives the same documents and the
  // same error as the whole input: what a read returns must never change an import.
  if (size > 0) {
    const size_t cut = data[0] % (size + 1);
    std::string pieces;
    daas::doc::JsonDocumentStream stream(
        limits, [&](std::string_view mp, daas::doc::JsonDocumentStream::Position at) {
          pieces += std::to_string(at.offset) + ":" + std::string(mp) + ";";
          return daas::Status::OK();
        });
    daas::Status split = stream.Feed(input.substr(0, cut));
    if (split.ok()) split = stream.Feed(input.substr(cut));
    if (split.ok()) split = stream.Finish();
    if (split.ToString() != s.ToString() || pieces != whole) {
      Fail("a stream fed in two pieces disagrees with the whole input:", split);
    }
  }
  return 0;
}
