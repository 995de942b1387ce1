// Index keys: document values encoded so that equal values (by the expression language's
// equality: numbers across int and float, strings by bytes) give equal bytes, and a tuple of
// values concatenates its parts unambiguously (docs/indexes.md, "Keys").
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "doc/msgpack_reader.h"

namespace daas::index {

// Appends the key bytes of one value. Order within a type is the value order for numbers,
// strings (bytewise) and bools; arrays, maps and binaries compare by their MessagePack bytes.
void AppendKey(const doc::Value& value, std::string* out);

// The key of `fields` (top-level names) of `document`, or nullopt when any of them is missing or
// null: such a document is not indexed (SQL semantics: nulls never collide). Requires: a
// validated document.
std::optional<std::string> KeyOf(std::string_view document, std::span<const std::string> fields);

}  // namespace daas::index
