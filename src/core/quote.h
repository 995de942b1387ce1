// Renders text that came from a user (a collection name, a path, a command-line value) for an error
// message.
//
// Invariant: what these functions return holds no control character, no line or paragraph
// separator and no bidirectional override, so a message built from it prints as one line.
// QuoteForMessage's output also shows the text as it was, byte for byte recoverable from the
// escapes (it escapes '\' too); EscapeForOneLine leaves '\' as it is.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace daas::core {

// Bytes of user text that QuoteForMessage shows by default (a name, a value); longer text is cut.
inline constexpr size_t kMaxQuotedBytes = 200;
// For a file or directory path, which is often longer and whose end matters.
inline constexpr size_t kMaxQuotedPathBytes = 1024;

// Returns `text` between single quotes with every byte that could break or disguise the message
// escaped: '\' and '\'' as \\ and \', \n \r \t as themselves, other control bytes and bytes that
// are not UTF-8 as \xNN, and C1 controls, U+2028/U+2029 and bidirectional controls as \uNNNN. Shows
// at most `max_bytes` bytes of `text` (never half a UTF-8 character); when it cuts, "... (N bytes)"
// follows the closing quote. Plain text (a valid name or an ordinary path) comes back unchanged
// between the quotes: 'users'.
// Thread-safe.
std::string QuoteForMessage(std::string_view text, size_t max_bytes = kMaxQuotedBytes);

// Returns `text` with the same escapes as QuoteForMessage except that quotes and backslashes stay
// as they are, uncut: for a whole message that may hold user text, so it prints on one line.
// Thread-safe.
std::string EscapeForOneLine(std::string_view text);

}  // namespace daas::core
