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
#include <memory>
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

// The most JSON text one document of a stream may have (JsonDocumentStream, ForEachJsonDocument):
// 4 x limits.max_size_bytes. JSON is seldom more than twice the size of its MessagePack, so a
// document that has not ended within this many bytes is refused (ResourceExhausted) instead of
// being held in memory until its end arrives, if ever.
uint64_t MaxDocumentJsonBytes(const DocumentLimits& limits);

// Reads a stream of documents that arrives in pieces (a file read in chunks, a pipe): JSON Lines
// (one object per line, blank lines skipped) or one JSON array of objects, deciding by the first
// non-space byte. Each document is converted to MessagePack as JsonToMsgpack does, as soon as the
// byte that ends it has arrived, and handed to `fn` with where it starts. Memory: the unfinished
// document's text (at most MaxDocumentJsonBytes), not the input.
//
// Errors (each stops the stream; offsets count from the first byte fed, lines from 1):
// InvalidArgument "line L: invalid JSON at byte N: ..." (JSON Lines) or "array element I: invalid
// JSON at byte N: ..." (array) for bad JSON, a non-object, or a control byte (0x00-0x1f other than
// tab, newline and return), which JSON never holds and is refused where it is found;
// InvalidArgument "invalid JSON at byte N: ..." for a broken array frame; ResourceExhausted for a
// document over a DocumentLimits limit or longer than MaxDocumentJsonBytes; and the first non-OK
// status of `fn`, returned as is.
// Not thread-safe. `fn` may convert JSON itself.
class JsonDocumentStream {
 public:
  // Where a document starts: byte offset in the stream, and its line (1 + the newlines before it).
  struct Position {
    uint64_t offset = 0;
    uint64_t line = 1;
  };
  using DocumentFn = std::function<Status(std::string_view msgpack, Position at)>;

  JsonDocumentStream(const DocumentLimits& limits, DocumentFn fn);
  ~JsonDocumentStream();
  JsonDocumentStream(const JsonDocumentStream&) = delete;
  JsonDocumentStream& operator=(const JsonDocumentStream&) = delete;

  // Takes the next piece of input and hands every document it completes to `fn`, in input order.
  // Requires: no earlier Feed or Finish failed, and Finish was not called.
  Status Feed(std::string_view piece);
  // The input has ended: hands on the last document (the last line needs no newline) and fails if
  // the input stops inside a document or an array. Requires: as Feed.
  Status Finish();

  // Bytes fed so far.
  uint64_t bytes_fed() const { return fed_; }

 private:
  enum class State : uint8_t {
    kStart,         // before the first non-space byte, which tells JSON Lines from an array
    kLineGap,       // JSON Lines, between documents
    kLine,          // JSON Lines, inside a document: it ends at the newline
    kArrayFirst,    // after '[': an element or ']'
    kElementStart,  // after ',': an element
    kElement,       // inside an element: it ends at ',', ']' or '}' outside strings and brackets
    kAfterArray,    // after the closing ']': only whitespace may follow
  };
  struct Buffers;

  // Converts the current unit (a line or an element), whose text is `text`, into the buffers.
  Status ConvertUnit(std::string_view text);
  // Hands the converted unit to fn_.
  Status EmitUnit();
  // The context of an error in the current unit: "line L" or "array element I".
  std::string UnitContext() const;
  Status InvalidAt(uint64_t offset, std::string_view what) const;
  // ResourceExhausted unless a unit of `size` bytes is within MaxDocumentJsonBytes.
  Status CheckUnitSize(uint64_t size) const;

  const DocumentLimits limits_;
  const DocumentFn fn_;
  std::unique_ptr<Buffers> buffers_;
  State state_ = State::kStart;
  bool finished_ = false;     // Finish was called: the stream takes nothing more
  uint64_t fed_ = 0;          // bytes fed so far
  uint64_t line_ = 1;         // 1 + the newlines scanned so far
  std::string pending_;       // the current unit's bytes from earlier pieces
  uint64_t unit_offset_ = 0;  // where the current unit starts
  uint64_t unit_line_ = 1;    // the line it starts on
  uint64_t element_ = 0;      // index of the current array element
  uint64_t depth_ = 0;        // brackets open in the current element
  bool in_string_ = false;    // inside a string of the current element
  bool escaped_ = false;      // the previous byte of that string was an unescaped '\'
};

// Reads a whole input as a JsonDocumentStream fed in one piece, and calls `fn` with each document
// and the byte offset where it starts. Errors as JsonDocumentStream's.
Status ForEachJsonDocument(
    std::string_view input, const DocumentLimits& limits,
    const std::function<Status(std::string_view msgpack, size_t offset)>& fn);

}  // namespace daas::doc
