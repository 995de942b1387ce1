// JSON <-> MessagePack. simdjson (On Demand) finds the structure and decodes strings; numbers are
// classified here from their exact text, so the integer/double/ext-1 choice never depends on a
// parser heuristic and every JSON number survives a round trip.
#include "doc/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <variant>
#include <vector>

#include <simdjson.h>

#include "core/status_macros.h"
#include "doc/doc_internal.h"
#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"

namespace daas::doc {

namespace internal {

bool IsJsonNumberText(std::string_view t) {
  size_t i = 0;
  const size_t n = t.size();
  auto digit = [&](size_t k) { return k < n && t[k] >= '0' && t[k] <= '9'; };
  if (i < n && t[i] == '-') ++i;
  if (!digit(i)) return false;
  if (t[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < n && t[i] == '.') {
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == n;
}

}  // namespace internal

namespace {

namespace od = simdjson::ondemand;

// Ext type holding a number's exact JSON text (docs/format/document.md).
constexpr int8_t kExtNumberText = 1;

// Objects with more keys than this detect duplicates with a hash set instead of a linear scan.
constexpr size_t kLinearKeyScanMax = 16;

// Inputs above this size are parsed with a parser of their own instead of the thread's cached one,
// so one huge request does not pin its buffers to the thread forever.
constexpr size_t kCachedParserMaxBytes = 1 << 20;

constexpr bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && IsJsonSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Length of the valid UTF-8 sequence starting s[i], or 0 if it is invalid (overlong, surrogate,
// beyond U+10FFFF or truncated).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const size_t n = s.size();
  const uint8_t c = b(i);
  if (c < 0x80) return 1;
  auto cont = [&](size_t k) { return k < n && (b(k) & 0xc0) == 0x80; };
  if (c >= 0xc2 && c <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    if (c == 0xe0 && b(i + 1) < 0xa0) return 0;   // overlong
    if (c == 0xed && b(i + 1) >= 0xa0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    if (c == 0xf0 && b(i + 1) < 0x90) return 0;   // overlong
    if (c == 0xf4 && b(i + 1) >= 0x90) return 0;  // beyond U+10FFFF
    return 4;
  }
  return 0;
}

// simdjson's first stage reports bad UTF-8, unescaped control characters and unclosed strings
// without a position. Only on that error path, this scan finds where the first one is.
void LocateLexicalError(std::string_view s, size_t* offset, std::string* what) {
  bool in_string = false;
  size_t string_start = 0;
  for (size_t i = 0; i < s.size();) {
    const size_t len = Utf8SequenceLength(s, i);
    if (len == 0) {
      *offset = i;
      *what = "invalid UTF-8";
      return;
    }
    const char c = s[i];
    if (in_string) {
      if (static_cast<uint8_t>(c) < 0x20) {
        *offset = i;
        *what = "unescaped control character in a string";
        return;
      }
      if (c == '\\') {
        i += 2;  // the escaped byte is ASCII in any valid input; a bad one is caught later
        continue;
      }
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
      string_start = i;
    }
    i += len;
  }
  if (in_string) {
    *offset = string_start;
    *what = "unterminated string";
    return;
  }
  *offset = 0;
  *what = "";
}

const char* JsonTypeName(od::json_type t) {
  switch (t) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "an unknown value";
}

// A padded copy of the input (simdjson reads up to SIMDJSON_PADDING bytes past the end) and the
// parser whose buffers are reused from one document to the next.
struct ParseBuffers {
  od::parser parser;
  std::string padded;

  simdjson::padded_string_view Pad(std::string_view json) {
    padded.assign(json);
    padded.resize(json.size() + simdjson::SIMDJSON_PADDING, '\0');
    return simdjson::padded_string_view(padded.data(), json.size(), padded.size());
  }
};

// Converts one JSON text to MessagePack appended to `out`. Offsets in errors are `base_offset` plus
// the position in `json`, so a caller splitting a larger input reports positions in the whole.
class JsonConverter {
 public:
  JsonConverter(const DocumentLimits& limits, size_t base_offset, std::string* out)
      : limits_(limits), base_offset_(base_offset), out_(out), writer_(out) {}

  Status Convert(ParseBuffers& buffers, std::string_view json, bool require_object);

 private:
  size_t Offset(const char* p) const { return base_offset_ + static_cast<size_t>(p - base_); }
  Status ErrorAt(size_t offset, std::string_view what) const {
    return Status::InvalidArgument("invalid JSON at byte " + std::to_string(offset) + ": " +
                                   std::string(what));
  }
  Status ErrorAt(const char* p, std::string_view what) const { return ErrorAt(Offset(p), what); }
  // An error simdjson reported while walking the document, placed where its iterator stopped.
  Status SimdjsonError(simdjson::error_code error);
  // ResourceExhausted if the output being built is already certain to be too large: each open
  // container holds a 5-byte placeholder header that shrinks by up to 4 bytes when closed.
  Status CheckSize(uint32_t open_containers) const;

  // ResourceExhausted when a container at `depth` is too deep; checked before descending into it.
  Status CheckDepth(uint32_t depth, const char* start) const;
  Status ConvertValue(od::value value, uint32_t depth);
  Status ConvertObject(od::value value, uint32_t depth, const char* start);
  Status ConvertArray(od::value value, uint32_t depth, const char* start);
  Status ConvertNumber(std::string_view token, const char* at);
  Status ConvertLiteral(std::string_view token, od::json_type type, const char* at);
  Status WriteString(std::string_view s, const char* at);
  // Replaces the 5-byte placeholder at `header_pos` by the smallest header for `count`.
  Status CloseContainer(size_t header_pos, uint64_t count, bool is_map, const char* at);

  const DocumentLimits& limits_;
  const size_t base_offset_;
  std::string* out_;
  size_t out_begin_ = 0;
  Writer writer_;
  const char* base_ = nullptr;
  size_t size_ = 0;
  od::document* doc_ = nullptr;
  // Keys of the open objects, innermost last, for duplicate detection in small objects; the views
  // point into the parser's string buffer, which lives until the next parse.
  std::vector<std::string_view> keys_;
};

Status JsonConverter::SimdjsonError(simdjson::error_code error) {
  const char* loc = nullptr;
  size_t offset = size_;
  if (doc_ != nullptr && doc_->current_location().get(loc) == simdjson::SUCCESS) {
    offset = static_cast<size_t>(loc - base_);
  }
  std::string what;
  switch (error) {
    case simdjson::TAPE_ERROR:
      what = "unexpected character, or a missing comma, colon, bracket or brace";
      break;
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
      what = "unclosed array or object";
      break;
    case simdjson::INCORRECT_TYPE:
      what = "expected a value";
      break;
    case simdjson::OUT_OF_BOUNDS:
      what = "unexpected end of input";
      break;
    default:
      what = simdjson::error_message(error);
      break;
  }
  if (offset >= size_) {
    offset = size_;
    what = "unexpected end of input";
  }
  return ErrorAt(base_offset_ + offset, what);
}

Status JsonConverter::CheckSize(uint32_t open_containers) const {
  const size_t size = out_->size() - out_begin_;
  const size_t slack = 4 * static_cast<size_t>(open_containers);
  if (size > slack && size - slack > limits_.max_size_bytes) {
    return Status::ResourceExhausted("document size exceeds max_size_bytes " +
                                     std::to_string(limits_.max_size_bytes) +
                                     " (encoded MessagePack)");
  }
  return Status::OK();
}

Status JsonConverter::CheckDepth(uint32_t depth, const char* start) const {
  if (depth > limits_.max_depth) {
    return Status::ResourceExhausted("JSON nesting depth " + std::to_string(depth) +
                                     " exceeds max_depth " + std::to_string(limits_.max_depth) +
                                     " at byte " + std::to_string(Offset(start)));
  }
  if (depth > kMaxJsonNestingDepth) {
    return Status::ResourceExhausted(
        "JSON nesting depth " + std::to_string(depth) + " exceeds the converter's limit of " +
        std::to_string(kMaxJsonNestingDepth) + " at byte " + std::to_string(Offset(start)));
  }
  return Status::OK();
}

Status JsonConverter::Convert(ParseBuffers& buffers, std::string_view json, bool require_object) {
  out_begin_ = out_->size();
  size_t first = 0;
  while (first < json.size() && IsJsonSpace(json[first])) ++first;
  if (first == json.size()) return ErrorAt(base_offset_ + first, "empty input, expected a value");

  // simdjson keeps one slot per open container and, in debug builds, asserts it has one; the depth
  // check in ConvertObject/ConvertArray stops one level past max_depth, so that many plus the root
  // always fit.
  const size_t depth_needed = std::min<size_t>(limits_.max_depth, kMaxJsonNestingDepth) + 2;
  if (buffers.parser.max_depth() < depth_needed) {
    const size_t capacity = std::max(buffers.parser.capacity(), json.size());
    if (buffers.parser.allocate(capacity, depth_needed) != simdjson::SUCCESS) {
      return Status::ResourceExhausted("out of memory allocating the JSON parser");
    }
  }
  const simdjson::padded_string_view padded = buffers.Pad(json);
  base_ = buffers.padded.data();
  size_ = json.size();
  od::document doc;
  simdjson::error_code error = buffers.parser.iterate(padded).get(doc);
  if (error != simdjson::SUCCESS) {
    size_t offset = 0;
    std::string what;
    LocateLexicalError(json, &offset, &what);
    if (what.empty()) what = simdjson::error_message(error);
    return ErrorAt(base_offset_ + offset, what);
  }
  doc_ = &doc;
  const char* start = base_ + first;
  od::json_type type;
  error = doc.type().get(type);
  if (error != simdjson::SUCCESS) return ErrorAt(start, "expected a value");
  // simdjson types a value by its first byte alone ("nope" is null, "12x" a number), so a scalar
  // is converted before it is named: input that is not JSON at all is reported as such.
  if (require_object && type == od::json_type::array) {
    return ErrorAt(start, "expected an object, found an array");
  }

  if (type == od::json_type::object || type == od::json_type::array) {
    od::value root;
    error = doc.get_value().get(root);
    if (error != simdjson::SUCCESS) return SimdjsonError(error);
    DAAS_RETURN_IF_ERROR(type == od::json_type::object ? ConvertObject(root, 0, start)
                                                       : ConvertArray(root, 0, start));
    // simdjson stops at the root's closing bracket; anything after it is a second value.
    const char* loc = nullptr;
    if (doc.current_location().get(loc) == simdjson::SUCCESS && loc < base_ + size_) {
      return ErrorAt(loc, "unexpected content after the JSON value");
    }
  } else {
    // Scalar documents cannot be turned into od::value (simdjson's rule), so they are handled
    // from their token. The raw token runs to the next token or the end: if it stops short of
    // the end, a second value follows.
    std::string_view token;
    error = doc.raw_json_token().get(token);
    if (error != simdjson::SUCCESS) return SimdjsonError(error);
    const char* after = token.data() + token.size();
    if (after < base_ + size_) return ErrorAt(after, "unexpected content after the JSON value");
    token = TrimRight(token);
    if (type == od::json_type::string) {
      std::string_view s;
      if (doc.get_string().get(s) != simdjson::SUCCESS) {
        return ErrorAt(start, "invalid string (bad escape or lone surrogate)");
      }
      DAAS_RETURN_IF_ERROR(WriteString(s, start));
    } else if (type == od::json_type::number) {
      DAAS_RETURN_IF_ERROR(ConvertNumber(token, start));
    } else {
      DAAS_RETURN_IF_ERROR(ConvertLiteral(token, type, start));
    }
    if (require_object) {
      out_->resize(out_begin_);
      return ErrorAt(start, std::string("expected an object, found ") + JsonTypeName(type));
    }
  }
  const size_t size = out_->size() - out_begin_;
  if (size > limits_.max_size_bytes) {
    return Status::ResourceExhausted(
        "document size " + std::to_string(size) + " bytes exceeds max_size_bytes " +
        std::to_string(limits_.max_size_bytes) + " (encoded MessagePack)");
  }
  return Status::OK();
}

Status JsonConverter::ConvertValue(od::value value, uint32_t depth) {
  // The raw token starts where the value does and is available before the value is consumed.
  const std::string_view token = value.raw_json_token();
  const char* at = token.data();
  od::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return ErrorAt(at, "expected a value");
  switch (type) {
    case od::json_type::object:
      return ConvertObject(value, depth, at);
    case od::json_type::array:
      return ConvertArray(value, depth, at);
    case od::json_type::string: {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) {
        return ErrorAt(at, "invalid string (bad escape or lone surrogate)");
      }
      return WriteString(s, at);
    }
    case od::json_type::number:
      return ConvertNumber(TrimRight(token), at);
    case od::json_type::boolean:
    case od::json_type::null:
      return ConvertLiteral(TrimRight(token), type, at);
  }
  return ErrorAt(at, "expected a value");
}

Status JsonConverter::ConvertLiteral(std::string_view token, od::json_type type, const char* at) {
  if (type == od::json_type::null && token == "null") {
    writer_.Nil();
  } else if (type == od::json_type::boolean && (token == "true" || token == "false")) {
    writer_.Bool(token == "true");
  } else {
    return ErrorAt(at, "invalid literal (expected true, false or null)");
  }
  return Status::OK();
}

Status JsonConverter::ConvertNumber(std::string_view token, const char* at) {
  if (!internal::IsJsonNumberText(token)) return ErrorAt(at, "invalid number");
  const char* first = token.data();
  const char* last = first + token.size();
  if (token.find_first_of(".eE") == std::string_view::npos) {
    int64_t i = 0;
    if (auto r = std::from_chars(first, last, i); r.ec == std::errc() && r.ptr == last) {
      writer_.Int(i);
      return Status::OK();
    }
    uint64_t u = 0;
    if (auto r = std::from_chars(first, last, u); r.ec == std::errc() && r.ptr == last) {
      writer_.Uint(u);
      return Status::OK();
    }
  } else {
    // libstdc++'s from_chars rounds correctly and reports result_out_of_range both for overflow
    // and for a nonzero number that would round to zero, which are exactly the numbers a double
    // cannot hold.
    double d = 0;
    if (auto r = std::from_chars(first, last, d); r.ec == std::errc() && r.ptr == last) {
      writer_.Double(d);
      return Status::OK();
    }
  }
  writer_.Ext(kExtNumberText, token);  // beyond 64-bit integers or double range: keep the text
  return Status::OK();
}

Status JsonConverter::WriteString(std::string_view s, const char* at) {
  if (s.size() > std::numeric_limits<uint32_t>::max()) {
    return Status::ResourceExhausted("string at byte " + std::to_string(Offset(at)) + " of " +
                                     std::to_string(s.size()) +
                                     " bytes exceeds MessagePack's 4 GiB string limit");
  }
  writer_.String(s);
  return Status::OK();
}

Status JsonConverter::CloseContainer(size_t header_pos, uint64_t count, bool is_map,
                                     const char* at) {
  if (count > std::numeric_limits<uint32_t>::max()) {
    return Status::ResourceExhausted(std::string(is_map ? "object" : "array") + " at byte " +
                                     std::to_string(Offset(at)) + " has more than 2^32-1 " +
                                     (is_map ? "keys" : "elements"));
  }
  std::string header;  // at most 5 bytes: stays in the small-string buffer
  Writer w(&header);
  if (is_map) {
    w.MapHeader(static_cast<uint32_t>(count));
  } else {
    w.ArrayHeader(static_cast<uint32_t>(count));
  }
  out_->replace(header_pos, 5, header);
  return Status::OK();
}

Status JsonConverter::ConvertObject(od::value value, uint32_t depth, const char* start) {
  const uint32_t my_depth = depth + 1;
  DAAS_RETURN_IF_ERROR(CheckDepth(my_depth, start));
  od::object object;
  simdjson::error_code error = value.get_object().get(object);
  if (error != simdjson::SUCCESS) return SimdjsonError(error);

  const size_t header_pos = out_->size();
  out_->append(5, '\0');  // placeholder, see CloseContainer
  const size_t keys_begin = keys_.size();
  std::unique_ptr<std::unordered_set<std::string_view>> key_set;
  uint64_t count = 0;
  for (auto field_result : object) {
    od::field field;
    error = std::move(field_result).get(field);
    if (error != simdjson::SUCCESS) return SimdjsonError(error);
    const char* key_at = field.key().raw() - 1;  // raw() points just past the opening quote
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return ErrorAt(key_at, "invalid key string (bad escape or lone surrogate)");
    }
    if (key.size() > limits_.max_key_bytes) {
      return Status::ResourceExhausted(
          "key length " + std::to_string(key.size()) + " bytes exceeds max_key_bytes " +
          std::to_string(limits_.max_key_bytes) + " at byte " + std::to_string(Offset(key_at)));
    }
    bool duplicate = false;
    if (key_set != nullptr) {
      duplicate = !key_set->insert(key).second;
    } else {
      for (size_t i = keys_begin; i < keys_.size(); ++i) {
        if (keys_[i] == key) {
          duplicate = true;
          break;
        }
      }
      keys_.push_back(key);
      if (keys_.size() - keys_begin > kLinearKeyScanMax) {
        key_set = std::make_unique<std::unordered_set<std::string_view>>(
            keys_.begin() + static_cast<ptrdiff_t>(keys_begin), keys_.end());
        keys_.resize(keys_begin);
      }
    }
    if (duplicate) {
      std::string shown(key.substr(0, 64));
      return ErrorAt(key_at, "duplicate key \"" + shown + (key.size() > 64 ? "...\"" : "\""));
    }
    writer_.String(key);
    DAAS_RETURN_IF_ERROR(ConvertValue(field.value(), my_depth));
    DAAS_RETURN_IF_ERROR(CheckSize(my_depth));
    ++count;
  }
  keys_.resize(keys_begin);
  return CloseContainer(header_pos, count, /*is_map=*/true, start);
}

Status JsonConverter::ConvertArray(od::value value, uint32_t depth, const char* start) {
  const uint32_t my_depth = depth + 1;
  DAAS_RETURN_IF_ERROR(CheckDepth(my_depth, start));
  od::array array;
  simdjson::error_code error = value.get_array().get(array);
  if (error != simdjson::SUCCESS) return SimdjsonError(error);
  const size_t header_pos = out_->size();
  out_->append(5, '\0');  // placeholder, see CloseContainer
  uint64_t count = 0;
  for (auto element_result : array) {
    od::value element;
    error = std::move(element_result).get(element);
    if (error != simdjson::SUCCESS) return SimdjsonError(error);
    DAAS_RETURN_IF_ERROR(ConvertValue(element, my_depth));
    DAAS_RETURN_IF_ERROR(CheckSize(my_depth));
    ++count;
  }
  return CloseContainer(header_pos, count, /*is_map=*/false, start);
}

// Runs one conversion with the calling thread's cached buffers, or fresh ones for a large input.
Result<std::string> ConvertOne(std::string_view json, const DocumentLimits& limits,
                               bool require_object) {
  std::string out;
  JsonConverter converter(limits, 0, &out);
  Status status;
  if (json.size() > kCachedParserMaxBytes) {
    auto buffers = std::make_unique<ParseBuffers>();
    status = converter.Convert(*buffers, json, require_object);
  } else {
    // Not reentrant: nothing called while converting can reach this function again.
    thread_local ParseBuffers buffers;
    status = converter.Convert(buffers, json, require_object);
  }
  if (!status.ok()) return status;
  return out;
}

// ---- MessagePack -> JSON -----------------------------------------------------------------------

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// RFC 4648 base64 with padding.
void AppendBase64(std::string_view in, std::string* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  const size_t n = in.size();
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out->push_back(kBase64Alphabet[(v >> 18) & 63]);
    out->push_back(kBase64Alphabet[(v >> 12) & 63]);
    out->push_back(kBase64Alphabet[(v >> 6) & 63]);
    out->push_back(kBase64Alphabet[v & 63]);
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{p[i]} << 16;
    out->push_back(kBase64Alphabet[(v >> 18) & 63]);
    out->push_back(kBase64Alphabet[(v >> 12) & 63]);
    out->append("==");
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    out->push_back(kBase64Alphabet[(v >> 18) & 63]);
    out->push_back(kBase64Alphabet[(v >> 12) & 63]);
    out->push_back(kBase64Alphabet[(v >> 6) & 63]);
    out->push_back('=');
  }
}

// A JSON string literal. Only '"', '\' and control characters are escaped; the input is valid
// UTF-8 (ValidateDocument checked it), so everything else is copied as is.
void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        const char escape[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(escape, sizeof(escape));
        break;
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

template <typename T>
void AppendInteger(T v, std::string* out) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, r.ptr);
}

void AppendDouble(double d, std::string* out) {
  if (!std::isfinite(d)) {
    out->append("null");  // JSON has no NaN or infinity; only foreign MessagePack can hold them
    return;
  }
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf), d);  // shortest text that round-trips
  const std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
  out->append(text);
  // "1" would read back as an integer: keep the double a double.
  if (text.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

// Appends a scalar value; containers are handled by AppendJson.
void AppendScalar(const Value& v, std::string* out) {
  switch (v.type) {
    case Type::kNil:
      out->append("null");
      return;
    case Type::kBool:
      out->append(v.boolean ? "true" : "false");
      return;
    case Type::kInt:
      AppendInteger(v.int_value, out);
      return;
    case Type::kUint:
      AppendInteger(v.uint_value, out);
      return;
    case Type::kDouble:
      AppendDouble(v.double_value, out);
      return;
    case Type::kString:
      AppendJsonString(v.bytes, out);
      return;
    case Type::kBinary:
      out->push_back('"');
      AppendBase64(v.bytes, out);
      out->push_back('"');
      return;
    case Type::kExt:
      if (v.ext_type == kExtNumberText) {
        out->append(v.bytes);  // validated JSON number text
        return;
      }
      out->append("{\"$ext\":");
      AppendInteger(static_cast<int>(v.ext_type), out);
      out->append(",\"$b64\":\"");
      AppendBase64(v.bytes, out);
      out->append("\"}");
      return;
    case Type::kArray:
    case Type::kMap:
      break;
  }
  DAAS_DCHECK(false);
}

// Iterative, with the open containers on the heap: a validated document may nest as deeply as its
// limits allowed, and this function has no way to report an error.
void AppendJson(const Value& root, std::string* out) {
  struct Open {
    std::variant<MapIterator, ArrayIterator> it;
    bool first = true;
  };
  auto open = [&](const Value& v, std::vector<Open>* stack) {
    if (v.type == Type::kMap) {
      out->push_back('{');
      stack->push_back(Open{MapIterator(v)});
    } else {
      out->push_back('[');
      stack->push_back(Open{ArrayIterator(v)});
    }
  };

  if (root.type != Type::kArray && root.type != Type::kMap) {
    AppendScalar(root, out);
    return;
  }
  std::vector<Open> stack;
  open(root, &stack);
  while (!stack.empty()) {
    Open& top = stack.back();
    auto* map = std::get_if<MapIterator>(&top.it);
    Value v;
    std::string_view key;
    const bool more =
        map != nullptr ? map->Next(&key, &v) : std::get<ArrayIterator>(top.it).Next(&v);
    if (!more) {
      out->push_back(map != nullptr ? '}' : ']');
      stack.pop_back();
      continue;
    }
    if (!top.first) out->push_back(',');
    top.first = false;
    if (map != nullptr) {
      AppendJsonString(key, out);
      out->push_back(':');
    }
    if (v.type == Type::kArray || v.type == Type::kMap) {
      open(v, &stack);  // invalidates `top`
    } else {
      AppendScalar(v, out);
    }
  }
}

}  // namespace

Result<std::string> JsonToMsgpack(std::string_view json, const DocumentLimits& limits) {
  return ConvertOne(json, limits, /*require_object=*/true);
}

Result<std::string> JsonValueToMsgpack(std::string_view json, const DocumentLimits& limits) {
  return ConvertOne(json, limits, /*require_object=*/false);
}

void MsgpackToJson(std::string_view msgpack, std::string* out) {
  AppendJson(ReadValue(msgpack), out);
}

// ---- JsonDocumentStream -------------------------------------------------------------------------
//
// A unit is one document's text: a line of JSON Lines from its first non-space byte to the newline,
// or an array element from its first non-space byte to the ',', ']' or '}' that ends it at bracket
// depth 0 outside strings. A unit that ends inside the piece being fed is converted straight from
// the piece; one that runs past the piece's end is copied into pending_ until its end arrives.

uint64_t MaxDocumentJsonBytes(const DocumentLimits& limits) {
  return 4 * static_cast<uint64_t>(limits.max_size_bytes);
}

struct JsonDocumentStream::Buffers {
  ParseBuffers parse;  // our own, not the thread's: `fn` may convert JSON on this thread
  std::string msgpack;
};

JsonDocumentStream::JsonDocumentStream(const DocumentLimits& limits, DocumentFn fn)
    : limits_(limits), fn_(std::move(fn)), buffers_(std::make_unique<Buffers>()) {}

JsonDocumentStream::~JsonDocumentStream() = default;

std::string JsonDocumentStream::UnitContext() const {
  const bool lines = state_ == State::kLineGap || state_ == State::kLine;
  return lines ? "line " + std::to_string(unit_line_) : "array element " + std::to_string(element_);
}

Status JsonDocumentStream::InvalidAt(uint64_t offset, std::string_view what) const {
  return Status::InvalidArgument("invalid JSON at byte " + std::to_string(offset) + ": " +
                                 std::string(what));
}

Status JsonDocumentStream::CheckUnitSize(uint64_t size) const {
  const uint64_t max = MaxDocumentJsonBytes(limits_);
  if (size <= max) return Status::OK();
  return Status::ResourceExhausted(
      UnitContext() + ": the document at byte " + std::to_string(unit_offset_) + " has more than " +
      std::to_string(max) + " bytes of JSON text (4 x max_size_bytes " +
      std::to_string(limits_.max_size_bytes) + ")");
}

Status JsonDocumentStream::ConvertUnit(std::string_view text) {
  DAAS_RETURN_IF_ERROR(CheckUnitSize(text.size()));
  buffers_->msgpack.clear();
  JsonConverter converter(limits_, unit_offset_, &buffers_->msgpack);
  Status status = converter.Convert(buffers_->parse, text, /*require_object=*/true);
  if (!status.ok()) return status.WithContext(UnitContext());
  return Status::OK();
}

Status JsonDocumentStream::EmitUnit() {
  return fn_(buffers_->msgpack, Position{unit_offset_, unit_line_});
}

Status JsonDocumentStream::Feed(std::string_view piece) {
  DAAS_CHECK(!finished_);      // a document converted twice would be inserted twice
  const uint64_t base = fed_;  // the stream offset of piece[0]
  fed_ += piece.size();
  const size_t n = piece.size();
  // Where the current unit starts in `piece`: 0 for a unit carried over in pending_.
  size_t unit_begin = 0;
  // The text of the unit that ends at piece[end]: straight from the piece when it all lies there.
  auto unit_text = [&](size_t end) {
    if (pending_.empty()) return piece.substr(unit_begin, end - unit_begin);
    pending_.append(piece.substr(unit_begin, end - unit_begin));
    return std::string_view(pending_);
  };
  auto begin_unit = [&](size_t at, State state) {
    unit_begin = at;
    unit_offset_ = base + at;
    unit_line_ = line_;
    state_ = state;
  };
  auto control_byte = [&](size_t at) {
    static constexpr char kHex[] = "0123456789abcdef";
    const auto c = static_cast<uint8_t>(piece[at]);
    const char hex[5] = {'0', 'x', kHex[c >> 4], kHex[c & 15], '\0'};
    return InvalidAt(base + at, std::string("unescaped control character ") + hex)
        .WithContext(UnitContext());
  };

  size_t i = 0;
  while (i < n) {
    switch (state_) {
      case State::kStart:
      case State::kLineGap:
      case State::kArrayFirst:
      case State::kElementStart:
      case State::kAfterArray: {
        const char c = piece[i];
        if (IsJsonSpace(c)) {
          if (c == '\n') ++line_;
          ++i;
        } else if (state_ == State::kStart && c == '[') {
          state_ = State::kArrayFirst;
          ++i;
        } else if (state_ == State::kArrayFirst && c == ']') {
          state_ = State::kAfterArray;
          ++i;
        } else if (state_ == State::kAfterArray) {
          return InvalidAt(base + i, "unexpected content after the array");
        } else if (state_ == State::kStart || state_ == State::kLineGap) {
          begin_unit(i, State::kLine);
        } else {
          depth_ = 0;
          in_string_ = false;
          escaped_ = false;
          begin_unit(i, State::kElement);
        }
        break;
      }
      case State::kLine: {
        // A raw newline cannot occur inside a JSON value, so the line ends at the first one.
        size_t end = i;
        for (; end < n; ++end) {
          const auto c = static_cast<uint8_t>(piece[end]);
          if (c >= 0x20) continue;
          if (c == '\n') break;
          if (c != '\t' && c != '\r') return control_byte(end);
        }
        if (end == n) {
          i = n;
          break;
        }
        DAAS_RETURN_IF_ERROR(ConvertUnit(unit_text(end)));
        DAAS_RETURN_IF_ERROR(EmitUnit());
        pending_.clear();
        ++line_;
        state_ = State::kLineGap;
        i = end + 1;
        break;
      }
      case State::kElement: {
        size_t end = i;
        bool found = false;
        for (; end < n; ++end) {
          const char c = piece[end];
          if (static_cast<uint8_t>(c) < 0x20) {
            if (c == '\n') {
              ++line_;
            } else if (c != '\t' && c != '\r') {
              return control_byte(end);
            }
          }
          if (in_string_) {
            if (escaped_) {
              escaped_ = false;
            } else if (c == '\\') {
              escaped_ = true;
            } else if (c == '"') {
              in_string_ = false;
            }
          } else if (c == '"') {
            in_string_ = true;
          } else if (c == '{' || c == '[') {
            ++depth_;
          } else if (c == '}' || c == ']') {
            if (depth_ == 0) {
              found = true;
              break;
            }
            --depth_;
          } else if (c == ',' && depth_ == 0) {
            found = true;
            break;
          }
        }
        if (!found) {
          i = n;
          break;
        }
        const std::string_view text = unit_text(end);
        if (text.empty()) {
          return InvalidAt(unit_offset_, "expected an object").WithContext(UnitContext());
        }
        // The element is converted before its terminator is judged, so an error inside it is
        // reported first, at its own offset.
        DAAS_RETURN_IF_ERROR(ConvertUnit(text));
        if (piece[end] == '}') return InvalidAt(base + end, "expected ',' or ']'");
        DAAS_RETURN_IF_ERROR(EmitUnit());
        pending_.clear();
        if (piece[end] == ']') {
          state_ = State::kAfterArray;
        } else {
          ++element_;
          state_ = State::kElementStart;
        }
        i = end + 1;
        break;
      }
    }
  }
  if (state_ == State::kLine || state_ == State::kElement) {
    DAAS_RETURN_IF_ERROR(CheckUnitSize(pending_.size() + (n - unit_begin)));
    pending_.append(piece.substr(unit_begin));
  }
  return Status::OK();
}

Status JsonDocumentStream::Finish() {
  DAAS_CHECK(!finished_);
  finished_ = true;
  switch (state_) {
    case State::kStart:
    case State::kLineGap:
    case State::kAfterArray:
      return Status::OK();
    case State::kLine:
      DAAS_RETURN_IF_ERROR(ConvertUnit(pending_));
      return EmitUnit();
    case State::kArrayFirst:
    case State::kElementStart:
      return InvalidAt(fed_, "expected an object").WithContext(UnitContext());
    case State::kElement: {
      // Converted first: an error inside the element is the better report.
      DAAS_RETURN_IF_ERROR(ConvertUnit(pending_));
      return InvalidAt(fed_, "unexpected end of input, expected ',' or ']'");
    }
  }
  return Status::Internal("JsonDocumentStream: unknown state");
}

Status ForEachJsonDocument(
    std::string_view input, const DocumentLimits& limits,
    const std::function<Status(std::string_view msgpack, size_t offset)>& fn) {
  JsonDocumentStream stream(limits,
                            [&fn](std::string_view msgpack, JsonDocumentStream::Position at) {
                              return fn(msgpack, static_cast<size_t>(at.offset));
                            });
  DAAS_RETURN_IF_ERROR(stream.Feed(input));
  return stream.Finish();
}

}  // namespace daas::doc
