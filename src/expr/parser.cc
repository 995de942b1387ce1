// Recursive descent over a one-token-lookahead lexer, one function per precedence level (lowest
// first): || , && , comparison and `in`, + - , * / % , unary ! - , primary. Recursion happens only
// where the text nests (parentheses, unary operators, call arguments, list elements) and is
// counted against Limits::max_depth, as is the height of every node built.
#include "expr/parser.h"

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "expr/semantics.h"

namespace daas::expr {
namespace {

enum class Tok : uint8_t {
  kEnd,
  kNumber,
  kString,
  kPath,  // a field path, a keyword (true false null in) or a function name
  kAt,    // @name[.path]
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kAndAnd,
  kOrOr,
  kNot,
  kCompare,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPercent,
};

enum class Modifier : uint8_t { kNone, kIsset, kLength, kLower, kEach };

struct Token {
  Tok kind = Tok::kEnd;
  uint32_t pos = 0;
  uint32_t end = 0;
  CompareOp compare = CompareOp::kEq;
  bool any = false;
  // kNumber
  ValueType number_type = ValueType::kInt;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double double_value = 0;
  // kString: the decoded text; kAt: the name
  std::string text;
  // kPath, kAt
  std::vector<PathSegment> path;
  Modifier modifier = Modifier::kNone;
  uint32_t modifier_pos = 0;
};

bool IsIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) { return IsIdentStart(c) || IsDigit(c); }

// Offset of the first byte that breaks UTF-8 well-formedness (Unicode table 3-7), or npos.
size_t FirstInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    const uint8_t c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    auto cont = [&](size_t k) { return k < n && (p[k] & 0xc0) == 0x80; };
    if (c >= 0xc2 && c < 0xe0) {
      if (!cont(i + 1)) return i;
      i += 2;
    } else if (c >= 0xe0 && c < 0xf0) {
      if (!cont(i + 1) || !cont(i + 2)) return i;
      if (c == 0xe0 && p[i + 1] < 0xa0) return i;
      if (c == 0xed && p[i + 1] > 0x9f) return i;
      i += 3;
    } else if (c >= 0xf0 && c < 0xf5) {
      if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return i;
      if (c == 0xf0 && p[i + 1] < 0x90) return i;
      if (c == 0xf4 && p[i + 1] > 0x8f) return i;
      i += 4;
    } else {
      return i;
    }
  }
  return std::string_view::npos;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

struct MacroEntry {
  std::string_view name;
  Macro macro;
};
constexpr MacroEntry kMacros[] = {
    {"now", Macro::kNow},
    {"yesterday", Macro::kYesterday},
    {"tomorrow", Macro::kTomorrow},
    {"second", Macro::kSecond},
    {"minute", Macro::kMinute},
    {"hour", Macro::kHour},
    {"weekday", Macro::kWeekday},
    {"day", Macro::kDay},
    {"month", Macro::kMonth},
    {"year", Macro::kYear},
    {"todayStart", Macro::kTodayStart},
    {"todayEnd", Macro::kTodayEnd},
    {"monthStart", Macro::kMonthStart},
    {"monthEnd", Macro::kMonthEnd},
    {"yearStart", Macro::kYearStart},
    {"yearEnd", Macro::kYearEnd},
};

struct FunctionEntry {
  std::string_view name;
  Function function;
  uint32_t min_args;
  uint32_t max_args;
};
constexpr uint32_t kManyArgs = 64;
constexpr FunctionEntry kFunctions[] = {
    {"len", Function::kLen, 1, 1},         {"lower", Function::kLower, 1, 1},
    {"upper", Function::kUpper, 1, 1},     {"abs", Function::kAbs, 1, 1},
    {"min", Function::kMin, 1, kManyArgs}, {"max", Function::kMax, 1, kManyArgs},
    {"now", Function::kNow, 0, 0},         {"date", Function::kDate, 1, 1},
    {"has", Function::kHas, 1, 1},         {"regex", Function::kRegex, 2, 2},
};

class Parser {
 public:
  Parser(std::string_view text, const Limits& limits) : text_(text), limits_(limits) {}

  Result<Ast> Run();

 private:
  // ---- errors
  bool Fail(StatusCode code, uint32_t pos, std::string_view what) {
    if (status_.ok()) {
      status_ =
          Status(code, "expression at byte " + std::to_string(pos) + ": " + std::string(what));
    }
    return false;
  }
  bool Fail(uint32_t pos, std::string_view what) {
    return Fail(StatusCode::kInvalidArgument, pos, what);
  }
  // "expected X, found Y" at the current token.
  bool Expected(std::string_view what) {
    return Fail(tok_.pos, "expected " + std::string(what) + ", found " + Describe(tok_));
  }
  std::string Describe(const Token& t) const;

  // ---- lexer
  bool Advance();  // scans the next token into tok_
  bool SkipSpaceAndComments();
  bool LexNumber(Token* t);
  bool LexString(Token* t);
  bool LexPath(Token* t, bool at);
  bool NextIsLParen() const;

  // ---- parser
  bool Enter(uint32_t pos) {
    if (++depth_ > limits_.max_depth) {
      return Fail(StatusCode::kResourceExhausted, pos,
                  "nesting deeper than max_depth (" + std::to_string(limits_.max_depth) + ")");
    }
    return true;
  }
  void Leave() { --depth_; }
  bool Make(Node node, NodeId* out);

  bool ParseOr(NodeId* out);
  bool ParseAnd(NodeId* out);
  bool ParseComparison(NodeId* out);
  bool ParseAdditive(NodeId* out);
  bool ParseMultiplicative(NodeId* out);
  bool ParseUnary(NodeId* out);
  bool ParsePrimary(NodeId* out);
  bool ParseCall(const Token& name, NodeId* out);
  bool ApplyModifier(const Token& t, NodeId operand, NodeId* out);

  std::string_view text_;
  const Limits& limits_;
  size_t pos_ = 0;  // lexer position: the byte after tok_
  Token tok_;
  uint32_t depth_ = 0;
  Ast ast_;
  Status status_;
};

std::string Parser::Describe(const Token& t) const {
  if (t.kind == Tok::kEnd) return "end of expression";
  std::string_view s = text_.substr(t.pos, t.end - t.pos);
  constexpr size_t kMax = 32;
  std::string out = "'";
  out.append(s.substr(0, kMax));
  if (s.size() > kMax) out.append("...");
  out.append("'");
  return out;
}

bool Parser::SkipSpaceAndComments() {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++pos_;
    } else if (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/') {
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    } else {
      break;
    }
  }
  return true;
}

bool Parser::NextIsLParen() const {
  size_t p = pos_;
  while (p < text_.size() &&
         (text_[p] == ' ' || text_[p] == '\t' || text_[p] == '\n' || text_[p] == '\r')) {
    ++p;
  }
  return p < text_.size() && text_[p] == '(';
}

bool Parser::LexNumber(Token* t) {
  const size_t start = pos_;
  while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
  bool is_float = false;
  if (pos_ < text_.size() && text_[pos_] == '.') {
    ++pos_;
    if (pos_ >= text_.size() || !IsDigit(text_[pos_])) {
      t->end = static_cast<uint32_t>(pos_);
      return Fail(static_cast<uint32_t>(pos_), "expected a digit after '.' in number");
    }
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    is_float = true;
  }
  if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (pos_ >= text_.size() || !IsDigit(text_[pos_])) {
      return Fail(static_cast<uint32_t>(pos_), "expected a digit in the exponent of number");
    }
    while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_;
    is_float = true;
  }
  t->end = static_cast<uint32_t>(pos_);
  const char* first = text_.data() + start;
  const char* last = text_.data() + pos_;
  if (is_float) {
    double d = 0;
    const auto r = std::from_chars(first, last, d);
    if (r.ec != std::errc() || r.ptr != last) {
      return Fail(t->pos, "number " + std::string(first, last) + " is out of range");
    }
    t->number_type = ValueType::kDouble;
    t->double_value = d;
    return true;
  }
  uint64_t u = 0;
  const auto r = std::from_chars(first, last, u);
  if (r.ec != std::errc() || r.ptr != last) {
    return Fail(t->pos, "integer " + std::string(first, last) + " is out of range");
  }
  if (u <= static_cast<uint64_t>(INT64_MAX)) {
    t->number_type = ValueType::kInt;
    t->int_value = static_cast<int64_t>(u);
  } else {
    t->number_type = ValueType::kUint;
    t->uint_value = u;
  }
  return true;
}

bool Parser::LexString(Token* t) {
  const char quote = text_[pos_++];
  std::string& out = t->text;
  auto hex4 = [&](size_t at, uint32_t* cp) {
    if (text_.size() - at < 4) return false;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      const char c = text_[at + k];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    *cp = v;
    return true;
  };
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == quote) {
      ++pos_;
      t->end = static_cast<uint32_t>(pos_);
      return true;
    }
    if (c != '\\' || pos_ + 1 >= text_.size()) {
      out.push_back(c);
      ++pos_;
      continue;
    }
    const char e = text_[pos_ + 1];
    switch (e) {
      case '\'':
      case '"':
      case '\\':
        out.push_back(e);
        pos_ += 2;
        break;
      case 'n':
        out.push_back('\n');
        pos_ += 2;
        break;
      case 't':
        out.push_back('\t');
        pos_ += 2;
        break;
      case 'r':
        out.push_back('\r');
        pos_ += 2;
        break;
      case 'u': {
        uint32_t cp;
        if (!hex4(pos_ + 2, &cp)) {
          return Fail(static_cast<uint32_t>(pos_), "expected 4 hex digits after \\u in string");
        }
        size_t len = 6;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          uint32_t lo;
          if (pos_ + 7 < text_.size() && text_[pos_ + 6] == '\\' && text_[pos_ + 7] == 'u' &&
              hex4(pos_ + 8, &lo) && lo >= 0xdc00 && lo <= 0xdfff) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            len = 12;
          } else {
            return Fail(static_cast<uint32_t>(pos_),
                        "expected a low surrogate \\uDC00-\\uDFFF after a high surrogate");
          }
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
          return Fail(static_cast<uint32_t>(pos_), "unpaired low surrogate in \\u escape");
        }
        AppendUtf8(cp, &out);
        pos_ += len;
        break;
      }
      default:
        // Any other backslash stays, so `\%` and `\_` reach the `~` operator as escapes.
        out.push_back('\\');
        out.push_back(e);
        pos_ += 2;
        break;
    }
  }
  return Fail(t->pos, std::string("expected a closing ") + quote + " for the string");
}

bool Parser::LexPath(Token* t, bool at) {
  // First segment: an identifier.
  if (pos_ >= text_.size() || !IsIdentStart(text_[pos_])) {
    return Fail(static_cast<uint32_t>(pos_), "expected a name after '@'");
  }
  size_t start = pos_;
  while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
  if (at) {
    t->text.assign(text_.substr(start, pos_ - start));
  } else {
    t->path.push_back(PathSegment{std::string(text_.substr(start, pos_ - start)), -1});
  }
  while (pos_ < text_.size() && text_[pos_] == '.') {
    ++pos_;
    start = pos_;
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
    if (pos_ == start) return Fail(static_cast<uint32_t>(pos_), "expected a field name after '.'");
    PathSegment seg{std::string(text_.substr(start, pos_ - start)), -1};
    if (seg.key.size() <= 10) {
      uint64_t v = 0;
      bool digits = true;
      for (char c : seg.key) {
        if (!IsDigit(c)) {
          digits = false;
          break;
        }
        v = v * 10 + static_cast<uint64_t>(c - '0');
      }
      if (digits && v <= UINT32_MAX) seg.index = static_cast<int64_t>(v);
    }
    t->path.push_back(std::move(seg));
  }
  if (pos_ < text_.size() && text_[pos_] == ':') {
    t->modifier_pos = static_cast<uint32_t>(pos_);
    ++pos_;
    start = pos_;
    while (pos_ < text_.size() && IsIdentChar(text_[pos_])) ++pos_;
    const std::string_view m = text_.substr(start, pos_ - start);
    if (m == "isset") {
      t->modifier = Modifier::kIsset;
    } else if (m == "length") {
      t->modifier = Modifier::kLength;
    } else if (m == "lower") {
      t->modifier = Modifier::kLower;
    } else if (m == "each") {
      t->modifier = Modifier::kEach;
    } else {
      return Fail(t->modifier_pos,
                  "expected a modifier :isset, :length, :lower or :each, found ':" +
                      std::string(m.substr(0, 32)) + "'");
    }
  }
  t->end = static_cast<uint32_t>(pos_);
  return true;
}

bool Parser::Advance() {
  SkipSpaceAndComments();
  tok_ = Token();
  tok_.pos = static_cast<uint32_t>(pos_);
  if (pos_ >= text_.size()) {
    tok_.kind = Tok::kEnd;
    tok_.end = tok_.pos;
    return true;
  }
  const char c = text_[pos_];
  const auto rest = text_.substr(pos_);
  auto op = [&](Tok kind, size_t len) {
    tok_.kind = kind;
    pos_ += len;
    tok_.end = static_cast<uint32_t>(pos_);
    return true;
  };
  auto cmp = [&](CompareOp o, bool any, size_t len) {
    tok_.compare = o;
    tok_.any = any;
    return op(Tok::kCompare, len);
  };
  if (IsDigit(c)) {
    tok_.kind = Tok::kNumber;
    return LexNumber(&tok_);
  }
  if (c == '"' || c == '\'') {
    tok_.kind = Tok::kString;
    return LexString(&tok_);
  }
  if (IsIdentStart(c)) {
    tok_.kind = Tok::kPath;
    return LexPath(&tok_, false);
  }
  if (c == '@') {
    tok_.kind = Tok::kAt;
    ++pos_;
    return LexPath(&tok_, true);
  }
  switch (c) {
    case '(':
      return op(Tok::kLParen, 1);
    case ')':
      return op(Tok::kRParen, 1);
    case '[':
      return op(Tok::kLBracket, 1);
    case ']':
      return op(Tok::kRBracket, 1);
    case ',':
      return op(Tok::kComma, 1);
    case '+':
      return op(Tok::kPlus, 1);
    case '-':
      return op(Tok::kMinus, 1);
    case '*':
      return op(Tok::kStar, 1);
    case '/':
      return op(Tok::kSlash, 1);
    case '%':
      return op(Tok::kPercent, 1);
    case '~':
      return cmp(CompareOp::kLike, false, 1);
    case '&':
      if (rest.starts_with("&&")) return op(Tok::kAndAnd, 2);
      break;
    case '|':
      if (rest.starts_with("||")) return op(Tok::kOrOr, 2);
      break;
    case '=':
      return cmp(CompareOp::kEq, false, rest.starts_with("==") ? 2 : 1);
    case '!':
      if (rest.starts_with("!=")) return cmp(CompareOp::kNe, false, 2);
      if (rest.starts_with("!~")) return cmp(CompareOp::kNotLike, false, 2);
      return op(Tok::kNot, 1);
    case '<':
      if (rest.starts_with("<=")) return cmp(CompareOp::kLe, false, 2);
      return cmp(CompareOp::kLt, false, 1);
    case '>':
      if (rest.starts_with(">=")) return cmp(CompareOp::kGe, false, 2);
      return cmp(CompareOp::kGt, false, 1);
    case '?':
      if (rest.starts_with("?!=")) return cmp(CompareOp::kNe, true, 3);
      if (rest.starts_with("?!~")) return cmp(CompareOp::kNotLike, true, 3);
      if (rest.starts_with("?>=")) return cmp(CompareOp::kGe, true, 3);
      if (rest.starts_with("?<=")) return cmp(CompareOp::kLe, true, 3);
      if (rest.starts_with("?=")) return cmp(CompareOp::kEq, true, 2);
      if (rest.starts_with("?>")) return cmp(CompareOp::kGt, true, 2);
      if (rest.starts_with("?<")) return cmp(CompareOp::kLt, true, 2);
      if (rest.starts_with("?~")) return cmp(CompareOp::kLike, true, 2);
      return Fail(tok_.pos, "expected an any-of operator ?= ?!= ?> ?>= ?< ?<= ?~ ?!~ after '?'");
    default:
      break;
  }
  const size_t len = (static_cast<uint8_t>(c) < 0x80) ? 1 : 0;
  return Fail(tok_.pos, len == 1 ? "unexpected character '" + std::string(1, c) + "'"
                                 : std::string("unexpected character"));
}

bool Parser::Make(Node node, NodeId* out) {
  uint32_t h = 0;
  for (NodeId c : node.children) h = std::max(h, ast_.node(c).height);
  node.height = h + 1;
  if (node.height > limits_.max_depth) {
    return Fail(StatusCode::kResourceExhausted, node.pos,
                "nesting deeper than max_depth (" + std::to_string(limits_.max_depth) + ")");
  }
  *out = ast_.Add(std::move(node));
  return true;
}

bool Parser::ParseOr(NodeId* out) {
  if (!Enter(tok_.pos)) return false;
  Node n;
  n.kind = NodeKind::kOr;
  NodeId first;
  if (!ParseAnd(&first)) return false;
  n.children.push_back(first);
  while (tok_.kind == Tok::kOrOr) {
    if (n.children.size() == 1) n.pos = tok_.pos;
    if (!Advance()) return false;
    NodeId next;
    if (!ParseAnd(&next)) return false;
    n.children.push_back(next);
  }
  Leave();
  if (n.children.size() == 1) {
    *out = first;
    return true;
  }
  return Make(std::move(n), out);
}

bool Parser::ParseAnd(NodeId* out) {
  Node n;
  n.kind = NodeKind::kAnd;
  NodeId first;
  if (!ParseComparison(&first)) return false;
  n.children.push_back(first);
  while (tok_.kind == Tok::kAndAnd) {
    if (n.children.size() == 1) n.pos = tok_.pos;
    if (!Advance()) return false;
    NodeId next;
    if (!ParseComparison(&next)) return false;
    n.children.push_back(next);
  }
  if (n.children.size() == 1) {
    *out = first;
    return true;
  }
  return Make(std::move(n), out);
}

bool IsInKeyword(const Token& t) {
  return t.kind == Tok::kPath && t.path.size() == 1 && t.path[0].key == "in" &&
         t.modifier == Modifier::kNone;
}

bool Parser::ParseComparison(NodeId* out) {
  NodeId left;
  if (!ParseAdditive(&left)) return false;
  if (tok_.kind == Tok::kCompare) {
    Node n;
    n.kind = NodeKind::kCompare;
    n.pos = tok_.pos;
    n.compare = tok_.compare;
    n.any = tok_.any;
    const std::string op = CompareOpText(n.compare, n.any);
    if (!Advance()) return false;
    if (tok_.kind == Tok::kEnd) return Expected("an operand after '" + op + "'");
    NodeId right;
    if (!ParseAdditive(&right)) return false;
    n.children = {left, right};
    if (!Make(std::move(n), out)) return false;
  } else if (IsInKeyword(tok_)) {
    Node n;
    n.kind = NodeKind::kIn;
    n.pos = tok_.pos;
    n.children.push_back(left);
    if (!Advance()) return false;
    if (tok_.kind == Tok::kLBracket) {
      n.list = true;
      const uint32_t open = tok_.pos;
      if (!Enter(open) || !Advance()) return false;
      if (tok_.kind != Tok::kRBracket) {
        while (true) {
          NodeId e;
          if (!ParseOr(&e)) return false;
          n.children.push_back(e);
          if (n.children.size() > limits_.max_program_instructions) {
            return Fail(StatusCode::kResourceExhausted, open, "list too long");
          }
          if (tok_.kind == Tok::kComma) {
            if (!Advance()) return false;
            continue;
          }
          if (tok_.kind == Tok::kRBracket) break;
          return Expected("',' or ']' in the list started at byte " + std::to_string(open));
        }
      }
      Leave();
      if (!Advance()) return false;
    } else {
      if (tok_.kind == Tok::kEnd) return Expected("a list [...] or an operand after 'in'");
      NodeId right;
      if (!ParseAdditive(&right)) return false;
      n.children.push_back(right);
    }
    if (!Make(std::move(n), out)) return false;
  } else {
    *out = left;
    return true;
  }
  if (tok_.kind == Tok::kCompare || IsInKeyword(tok_)) {
    return Expected("'&&', '||' or the end (comparisons do not chain: add parentheses)");
  }
  return true;
}

bool Parser::ParseAdditive(NodeId* out) {
  NodeId left;
  if (!ParseMultiplicative(&left)) return false;
  while (tok_.kind == Tok::kPlus || tok_.kind == Tok::kMinus) {
    Node n;
    n.kind = NodeKind::kArith;
    n.pos = tok_.pos;
    n.arith = tok_.kind == Tok::kPlus ? ArithOp::kAdd : ArithOp::kSub;
    if (!Advance()) return false;
    NodeId right;
    if (!ParseMultiplicative(&right)) return false;
    n.children = {left, right};
    if (!Make(std::move(n), &left)) return false;
  }
  *out = left;
  return true;
}

bool Parser::ParseMultiplicative(NodeId* out) {
  NodeId left;
  if (!ParseUnary(&left)) return false;
  while (tok_.kind == Tok::kStar || tok_.kind == Tok::kSlash || tok_.kind == Tok::kPercent) {
    Node n;
    n.kind = NodeKind::kArith;
    n.pos = tok_.pos;
    n.arith = tok_.kind == Tok::kStar    ? ArithOp::kMul
              : tok_.kind == Tok::kSlash ? ArithOp::kDiv
                                         : ArithOp::kMod;
    if (!Advance()) return false;
    NodeId right;
    if (!ParseUnary(&right)) return false;
    n.children = {left, right};
    if (!Make(std::move(n), &left)) return false;
  }
  *out = left;
  return true;
}

bool Parser::ParseUnary(NodeId* out) {
  if (tok_.kind != Tok::kNot && tok_.kind != Tok::kMinus) return ParsePrimary(out);
  const bool is_not = tok_.kind == Tok::kNot;
  const uint32_t pos = tok_.pos;
  if (!Enter(pos) || !Advance()) return false;
  NodeId child;
  if (!ParseUnary(&child)) return false;
  Leave();
  const Node& c = ast_.node(child);
  if (!is_not && c.kind == NodeKind::kLiteral &&
      (c.literal_type == ValueType::kInt || c.literal_type == ValueType::kUint ||
       c.literal_type == ValueType::kDouble)) {
    // Fold `-literal` so that -9223372036854775808 is the int64 it reads as; Negate is the same
    // function the evaluator runs, so folding cannot change a result.
    const Value neg = Negate(ast_.LiteralValue(child));
    Node& m = ast_.mutable_node(child);
    m.pos = pos;
    m.literal_type = neg.type;
    m.int_value = neg.type == ValueType::kInt ? neg.int_value : 0;
    m.uint_value = neg.type == ValueType::kUint ? neg.uint_value : 0;
    m.double_value = neg.type == ValueType::kDouble ? neg.double_value : 0;
    *out = child;
    return true;
  }
  Node n;
  n.kind = is_not ? NodeKind::kNot : NodeKind::kNeg;
  n.pos = pos;
  n.children = {child};
  return Make(std::move(n), out);
}

bool Parser::ApplyModifier(const Token& t, NodeId operand, NodeId* out) {
  if (t.modifier == Modifier::kNone || t.modifier == Modifier::kEach) {
    // :each asks for every element to match, which is what a plain operator already does on an
    // array (docs/expressions.md, "Arrays").
    *out = operand;
    return true;
  }
  Node n;
  n.kind = NodeKind::kCall;
  n.pos = t.modifier_pos;
  n.function = t.modifier == Modifier::kIsset    ? Function::kHas
               : t.modifier == Modifier::kLength ? Function::kLen
                                                 : Function::kLower;
  n.children = {operand};
  return Make(std::move(n), out);
}

bool Parser::ParseCall(const Token& name, NodeId* out) {
  const FunctionEntry* fn = nullptr;
  for (const FunctionEntry& f : kFunctions) {
    if (f.name == name.path[0].key) fn = &f;
  }
  if (fn == nullptr) {
    return Fail(name.pos, "unknown function '" + name.path[0].key.substr(0, 32) +
                              "': expected len, lower, upper, abs, min, max, now, date, has or "
                              "regex");
  }
  Node n;
  n.kind = NodeKind::kCall;
  n.pos = name.pos;
  n.function = fn->function;
  if (!Advance()) return false;  // past the name: now at '('
  const uint32_t open = tok_.pos;
  if (!Enter(open) || !Advance()) return false;
  if (tok_.kind != Tok::kRParen) {
    while (true) {
      NodeId arg;
      if (!ParseOr(&arg)) return false;
      n.children.push_back(arg);
      if (n.children.size() > fn->max_args) break;
      if (tok_.kind == Tok::kComma) {
        if (!Advance()) return false;
        continue;
      }
      if (tok_.kind == Tok::kRParen) break;
      return Expected("',' or ')' in the call to " + std::string(fn->name) + "() at byte " +
                      std::to_string(name.pos));
    }
  }
  Leave();
  const size_t argc = n.children.size();
  if (argc < fn->min_args || argc > fn->max_args) {
    std::string want = std::to_string(fn->min_args);
    if (fn->max_args == kManyArgs) {
      want = "at least " + want;
    } else if (fn->max_args != fn->min_args) {
      want += " to " + std::to_string(fn->max_args);
    }
    return Fail(name.pos, std::string(fn->name) + "() takes " + want + " argument(s), found " +
                              (argc > fn->max_args ? "more" : std::to_string(argc)));
  }
  if (fn->function == Function::kHas) {
    const NodeKind k = ast_.node(n.children[0]).kind;
    if (k != NodeKind::kField && k != NodeKind::kBinding) {
      return Fail(ast_.node(n.children[0]).pos,
                  "has() takes a field path or an @request/@auth/@param path");
    }
  }
  if (!Advance()) return false;  // past ')'
  return Make(std::move(n), out);
}

bool Parser::ParsePrimary(NodeId* out) {
  Token t = std::move(tok_);
  tok_ = Token();
  tok_.kind = t.kind;  // keep Describe() working if an Expected() fires below
  tok_.pos = t.pos;
  tok_.end = t.end;
  Node n;
  n.pos = t.pos;
  switch (t.kind) {
    case Tok::kNumber:
      n.kind = NodeKind::kLiteral;
      n.literal_type = t.number_type;
      n.int_value = t.int_value;
      n.uint_value = t.uint_value;
      n.double_value = t.double_value;
      if (!Advance()) return false;
      return Make(std::move(n), out);
    case Tok::kString:
      n.kind = NodeKind::kLiteral;
      n.literal_type = ValueType::kString;
      n.text = std::move(t.text);
      if (!Advance()) return false;
      return Make(std::move(n), out);
    case Tok::kLParen: {
      if (!Advance()) return false;
      NodeId inner;
      if (!ParseOr(&inner)) return false;
      if (tok_.kind != Tok::kRParen) {
        return Expected("')' to close the '(' at byte " + std::to_string(t.pos));
      }
      if (!Advance()) return false;
      *out = inner;
      return true;
    }
    case Tok::kAt: {
      if (t.text == "collection") {
        return Fail(t.pos, "@collection references are not supported");
      }
      for (const MacroEntry& m : kMacros) {
        if (m.name == t.text) {
          if (!t.path.empty() || t.modifier != Modifier::kNone) {
            return Fail(t.pos, "a date macro takes no field path or modifier");
          }
          n.kind = NodeKind::kMacro;
          n.macro = m.macro;
          if (!Advance()) return false;
          return Make(std::move(n), out);
        }
      }
      bool known = false;
      for (std::string_view b : kParameterNames) known = known || b == t.text;
      if (!known) {
        return Fail(t.pos, "unknown name '@" + t.text.substr(0, 32) +
                               "': expected @request, @auth, @param or a date macro such as @now");
      }
      n.kind = NodeKind::kBinding;
      n.text = t.text;
      n.path = t.path;
      if (!Advance()) return false;
      NodeId operand;
      if (!Make(std::move(n), &operand)) return false;
      return ApplyModifier(t, operand, out);
    }
    case Tok::kPath: {
      if (t.path.size() == 1) {
        const std::string& k = t.path[0].key;
        const bool keyword = k == "true" || k == "false" || k == "null" || k == "in";
        if (keyword && t.modifier != Modifier::kNone) {
          // `false:isset` would otherwise name a field `false` that no text can name again.
          return Fail(t.modifier_pos, "a modifier needs a field path, found '" + k + "'");
        }
      }
      if (t.path.size() == 1 && t.modifier == Modifier::kNone) {
        const std::string& k = t.path[0].key;
        if (k == "true" || k == "false" || k == "null") {
          n.kind = NodeKind::kLiteral;
          n.literal_type = k == "null" ? ValueType::kNull : ValueType::kBool;
          n.boolean = k == "true";
          if (!Advance()) return false;
          return Make(std::move(n), out);
        }
        if (k == "in") return Expected("an operand");
        if (NextIsLParen()) return ParseCall(t, out);
      }
      n.kind = NodeKind::kField;
      n.path = t.path;
      if (!Advance()) return false;
      NodeId operand;
      if (!Make(std::move(n), &operand)) return false;
      return ApplyModifier(t, operand, out);
    }
    default:
      tok_ = std::move(t);
      return Expected("an operand (a field, a literal, '(' or a function call)");
  }
}

Result<Ast> Parser::Run() {
  if (text_.size() > limits_.max_expression_bytes) {
    return Status::ResourceExhausted("expression of " + std::to_string(text_.size()) +
                                     " bytes exceeds max_expression_bytes (" +
                                     std::to_string(limits_.max_expression_bytes) + ")");
  }
  const size_t bad = FirstInvalidUtf8(text_);
  if (bad != std::string_view::npos) {
    return Status::InvalidArgument("expression at byte " + std::to_string(bad) + ": invalid UTF-8");
  }
  NodeId root;
  if (Advance() && ParseOr(&root)) {
    if (tok_.kind != Tok::kEnd) Expected("an operator or the end of the expression");
  }
  if (!status_.ok()) return status_;
  ast_.set_root(root);
  ast_.set_source(text_);
  return std::move(ast_);
}

}  // namespace

Result<Ast> Parse(std::string_view text, const Limits& limits) {
  Parser p(text, limits);
  return p.Run();
}

}  // namespace daas::expr
