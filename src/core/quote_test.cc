#include "core/quote.h"

#include <gtest/gtest.h>

#include <string>

namespace daas::core {
namespace {

TEST(QuoteForMessage, LeavesPlainTextAsItIs) {
  EXPECT_EQ(QuoteForMessage("users"), "'users'");
  EXPECT_EQ(QuoteForMessage("./data/users 2.jsonl"), "'./data/users 2.jsonl'");
  EXPECT_EQ(QuoteForMessage(""), "''");
  EXPECT_EQ(QuoteForMessage("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
            "'caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80'");
}

TEST(QuoteForMessage, EscapesWhatWouldBreakTheLine) {
  EXPECT_EQ(QuoteForMessage("a\nb"), "'a\\nb'");
  EXPECT_EQ(QuoteForMessage("a\r\tb"), "'a\\r\\tb'");
  EXPECT_EQ(QuoteForMessage(std::string("a\0b\x1b[2J\x7f", 8)), "'a\\x00b\\x1b[2J\\x7f'");
  EXPECT_EQ(QuoteForMessage("it's a\\b"), "'it\\'s a\\\\b'");
}

TEST(QuoteForMessage, EscapesBytesThatAreNotUtf8) {
  EXPECT_EQ(QuoteForMessage("a\xff"
                            "b"),
            "'a\\xffb'");
  EXPECT_EQ(QuoteForMessage("\xc3"), "'\\xc3'");                    // truncated sequence
  EXPECT_EQ(QuoteForMessage("\xc0\xaf"), "'\\xc0\\xaf'");           // overlong
  EXPECT_EQ(QuoteForMessage("\xed\xa0\x80"), "'\\xed\\xa0\\x80'");  // surrogate
}

TEST(QuoteForMessage, EscapesInvisibleUnicodeControls) {
  EXPECT_EQ(QuoteForMessage("a\xc2\x85"
                            "b"),
            "'a\\u0085b'");  // NEL
  EXPECT_EQ(QuoteForMessage("a\xe2\x80\xa8"
                            "b"),
            "'a\\u2028b'");  // line separator
  EXPECT_EQ(QuoteForMessage("a\xe2\x80\xae"
                            "b"),
            "'a\\u202eb'");  // right-to-left override
  EXPECT_EQ(QuoteForMessage("a\xe2\x81\xa6"
                            "b"),
            "'a\\u2066b'");  // left-to-right isolate
}

TEST(QuoteForMessage, CutsLongTextWithAnEllipsisAndItsLength) {
  EXPECT_EQ(QuoteForMessage(std::string(300, 'x')),
            "'" + std::string(200, 'x') + "'... (300 bytes)");
  EXPECT_EQ(QuoteForMessage("abcdef", 4), "'abcd'... (6 bytes)");
  EXPECT_EQ(QuoteForMessage("abcd", 4), "'abcd'");
  // Never half a character: the 2-byte 'é' does not fit after 3 bytes.
  EXPECT_EQ(QuoteForMessage("abc\xc3\xa9", 4), "'abc'... (5 bytes)");
}

TEST(EscapeForOneLine, EscapesControlsButKeepsQuotes) {
  EXPECT_EQ(EscapeForOneLine("collection 'a\nb': bad"), "collection 'a\\nb': bad");
  EXPECT_EQ(EscapeForOneLine("x\\y \xff"), "x\\y \\xff");
  const std::string long_text(5000, 'y');
  EXPECT_EQ(EscapeForOneLine(long_text), long_text);
}

}  // namespace
}  // namespace daas::core
