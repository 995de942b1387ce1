// JSON <-> MessagePack at the edges (HTTP, CLI, C ABI). JSON is parsed with simdjson.
//
// Round trip: MsgpackToJson(JsonToMsgpack(x)) is the same JSON value as x: int64 stays an integer,
// a double keeps its fraction (1.0 prints as 1.0), integers beyond 64 bits and numbers outside
// double range keep their exact decimal text (ext type 1, docs/format/document.md), unicode escapes
// become UTF-8 and print as UTF-8.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "daas/options.h"
#include "daas/status.h"

namespace daas::doc {

// JSON conversion recurses once per nesting level, so it refuses nesting deeper than this even when
// DocumentLimits::max_depth allows more (ResourceExhausted), bounding its stack use. As simdjson's
// own default depth limit, 1024.
inline constexpr uint32_t kMaxJsonNestingDepth = 1024;

// Converts one JSON document, which must be an object, to MessagePack (key order kept).
// Errors: InvalidArgument "invalid JSON at byte N: <what>" for bad syntax, bad UTF-8, a repeated
// key or a non-object; ResourceExhausted for a DocumentLimits violation, naming the limit.
Result<std::string> JsonToMsgpack(std::string_view json, const DocumentLimits& limits);

// Converts any single JSON value (not only objects); used for patches' nested values and
// parameters.
Result<std::string> JsonValueToMsgpack(std::string_view json, const DocumentLimits& limits);

// Appends the JSON text of one validated MessagePack value to `out`: compact, keys in stored order.
// Binary values print as base64 strings, ext values other than DaaS's own as
// {"$ext":t,"$b64":"..."}.
void MsgpackToJson(std::string_view msgpack, std::string* out);

// Reads JSON Lines (one object per line, blank lines skipped) or one JSON array of objects,
// deciding by the first non-space byte, and calls `fn` with each object converted to MessagePack
// and the byte offset where it starts. Stops at the first error, which names the byte offset (and
// line for JSONL), or at the first non-OK status returned by `fn`.
Status ForEachJsonDocument(
    std::string_view input, const DocumentLimits& limits,
    const std::function<Status(std::string_view msgpack, size_t offset)>& fn);

}  // namespace daas::doc
