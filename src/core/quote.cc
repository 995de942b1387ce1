#include "core/quote.h"

#include <algorithm>
#include <cstdint>
#include <string>

namespace daas::core {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at s[i] (1 for ASCII), or 0 if it is not one
// (overlong, surrogate, beyond U+10FFFF, truncated, or a stray continuation byte). Sets
// *code_point.
size_t Utf8Sequence(std::string_view s, size_t i, uint32_t* code_point) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const auto cont = [&](size_t k) { return k < s.size() && (b(k) & 0xc0) == 0x80; };
  const uint8_t c = b(i);
  if (c < 0x80) {
    *code_point = c;
    return 1;
  }
  if (c >= 0xc2 && c <= 0xdf && cont(i + 1)) {
    *code_point = (uint32_t{c} & 0x1f) << 6 | (b(i + 1) & 0x3f);
    return 2;
  }
  if (c >= 0xe0 && c <= 0xef && cont(i + 1) && cont(i + 2)) {
    if (c == 0xe0 && b(i + 1) < 0xa0) return 0;   // overlong
    if (c == 0xed && b(i + 1) >= 0xa0) return 0;  // surrogate
    *code_point = (uint32_t{c} & 0x0f) << 12 | (uint32_t{b(i + 1)} & 0x3f) << 6 | (b(i + 2) & 0x3f);
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4 && cont(i + 1) && cont(i + 2) && cont(i + 3)) {
    if (c == 0xf0 && b(i + 1) < 0x90) return 0;   // overlong
    if (c == 0xf4 && b(i + 1) >= 0x90) return 0;  // beyond U+10FFFF
    *code_point = (uint32_t{c} & 0x07) << 18 | (uint32_t{b(i + 1)} & 0x3f) << 12 |
                  (uint32_t{b(i + 2)} & 0x3f) << 6 | (b(i + 3) & 0x3f);
    return 4;
  }
  return 0;
}

// Characters outside ASCII that a terminal may act on instead of showing: C1 controls (U+0085 is a
// line break to some), the line and paragraph separators, and the bidirectional controls that can
// make text read differently from its bytes.
bool IsInvisibleControl(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

void AppendByteEscape(uint8_t byte, std::string* out) {
  const char escape[4] = {'\\', 'x', kHex[byte >> 4], kHex[byte & 15]};
  out->append(escape, sizeof(escape));
}

// Appends text[0, max_bytes) escaped, and returns how many bytes of `text` it consumed.
size_t AppendEscaped(std::string_view text, bool quoting, size_t max_bytes, std::string* out) {
  size_t i = 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    const size_t len = Utf8Sequence(text, i, &cp);
    if (i + (len == 0 ? 1 : len) > max_bytes) break;
    if (len == 0) {
      AppendByteEscape(static_cast<uint8_t>(text[i]), out);
      i += 1;
      continue;
    }
    if (len == 1) {
      const char c = text[i];
      if (c == '\n') {
        out->append("\\n");
      } else if (c == '\r') {
        out->append("\\r");
      } else if (c == '\t') {
        out->append("\\t");
      } else if (cp < 0x20 || cp == 0x7f) {
        AppendByteEscape(static_cast<uint8_t>(c), out);
      } else if (quoting && (c == '\\' || c == '\'')) {
        out->push_back('\\');
        out->push_back(c);
      } else {
        out->push_back(c);
      }
    } else if (IsInvisibleControl(cp)) {
      const char escape[6] = {
          '\\',         'u', kHex[(cp >> 12) & 15], kHex[(cp >> 8) & 15], kHex[(cp >> 4) & 15],
          kHex[cp & 15]};
      out->append(escape, sizeof(escape));
    } else {
      out->append(text.substr(i, len));
    }
    i += len;
  }
  return i;
}

}  // namespace

std::string QuoteForMessage(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 2);
  out.push_back('\'');
  const size_t shown = AppendEscaped(text, /*quoting=*/true, max_bytes, &out);
  out.push_back('\'');
  if (shown < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

std::string EscapeForOneLine(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendEscaped(text, /*quoting=*/false, text.size(), &out);
  return out;
}

}  // namespace daas::core
