// Declarations shared by the doc module's own sources only (STYLE.md §6); nothing outside src/doc
// includes this header.
#pragma once

#include <string_view>

namespace daas::doc::internal {

// True when `text` is exactly one number in JSON's grammar (RFC 8259 §6):
//   -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
// Ext type 1 payloads must match it, so that MsgpackToJson can print them verbatim. Thread-safe.
bool IsJsonNumberText(std::string_view text);

}  // namespace daas::doc::internal
