// The interpreter loop and the runtime halves of the operators: field lookup on document bytes,
// the any-of / every-element expansion of arrays, and the functions.
#include "expr/evaluator.h"

#include <re2/re2.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>

#include "core/coding.h"
#include "expr/datetime.h"
#include "expr/expr_internal.h"
#include "expr/semantics.h"

namespace daas::expr {

using internal::BindingRef;
using internal::FieldRef;
using internal::Instr;
using internal::LikeConst;
using internal::Op;
using internal::Segment;

namespace {

constexpr uint32_t kNoLike = UINT32_MAX;
constexpr size_t kMinScratchBlock = 4096;

// Date macros are computed for instants in years 0000-9999; `now` is clamped into that range so
// that calendar arithmetic cannot overflow whatever the caller passes.
const int64_t kMinNow = FromCivil(0, 1, 1, 0, 0, 0, 0);
const int64_t kMaxNow = FromCivil(9999, 12, 31, 23, 59, 59, 999999);

// memcmp(a, b, n) == 0 without a library call for the short keys documents mostly have.
inline bool SameBytes(const char* a, const char* b, size_t n) {
  if (n > 16) return std::memcmp(a, b, n) == 0;
  auto load64 = [](const char* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
  };
  auto load32 = [](const char* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
  };
  if (n >= 8) return load64(a) == load64(b) && load64(a + n - 8) == load64(b + n - 8);
  if (n >= 4) return load32(a) == load32(b) && load32(a + n - 4) == load32(b + n - 4);
  if (n == 0) return true;
  return a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1];
}

// Length of the validated value at p. The formats of typical fields are stepped over here; the
// rest (containers, long strings, binaries, ext) are measured by doc::ReadValue.
inline size_t SkipValue(const uint8_t* p, size_t avail) {
  const uint8_t b = p[0];
  if (b <= 0x7f || b >= 0xe0) return 1;           // fixint
  if ((b & 0xe0) == 0xa0) return 1 + (b & 0x1f);  // fixstr
  if (b == 0xd9) return 2 + size_t{p[1]};         // str 8: most strings over 31 bytes
  switch (b) {
    case 0xc0:
    case 0xc2:
    case 0xc3:
      return 1;
    case 0xcc:
    case 0xd0:
      return 2;
    case 0xcd:
    case 0xd1:
      return 3;
    case 0xca:
    case 0xce:
    case 0xd2:
      return 5;
    case 0xcb:
    case 0xcf:
    case 0xd3:
      return 9;
    default:
      return doc::ReadValue(std::string_view(reinterpret_cast<const char*>(p), avail)).raw.size();
  }
}

// The value at the start of `bytes` (validated): the common scalar formats inline, the rest through
// doc::ReadValue.
[[gnu::always_inline]] inline Value DecodeFast(std::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t b = p[0];
  if (b <= 0x7f) return Value::Int(b);
  if (b >= 0xe0) return Value::Int(static_cast<int8_t>(b));
  if ((b & 0xe0) == 0xa0) return Value::String(bytes.substr(1, b & 0x1f));
  switch (b) {
    case 0xd9:
      return Value::String(bytes.substr(2, p[1]));
    case 0xc2:
    case 0xc3:
      return Value::Bool(b == 0xc3);
    case 0xcb: {
      const uint64_t bits = core::GetBig64(p + 1);
      double v;
      std::memcpy(&v, &bits, sizeof(v));
      return Value::Double(v);
    }
    case 0xcc:
      return Value::Int(p[1]);
    case 0xcd:
      return Value::Int(core::GetBig16(p + 1));
    case 0xce:
      return Value::Int(core::GetBig32(p + 1));
    case 0xd0:
      return Value::Int(static_cast<int8_t>(p[1]));
    case 0xd1:
      return Value::Int(static_cast<int16_t>(core::GetBig16(p + 1)));
    case 0xd2:
      return Value::Int(static_cast<int32_t>(core::GetBig32(p + 1)));
    case 0xd3:
      return Value::Int(static_cast<int64_t>(core::GetBig64(p + 1)));
    default:
      return FromDocValue(doc::ReadValue(bytes));
  }
}

// The operands an array stands for in a comparison: its elements, or one null when it is empty;
// any other value stands for itself. Walks the array's bytes with the inline decoders above.
class Elements {
 public:
  explicit Elements(const Value& v) : single_(v) {
    if (v.type != ValueType::kArray) return;
    if (v.count == 0) {
      single_ = Value::Null();
      return;
    }
    const auto b = static_cast<uint8_t>(v.bytes[0]);
    const size_t head = b == 0xdc ? 3 : b == 0xdd ? 5 : 1;  // array 16, array 32, fixarray
    rest_ = v.bytes.substr(head);
    left_ = v.count;
    array_ = true;
  }
  bool Next(Value* out) {
    if (array_) {
      if (left_ == 0) return false;
      --left_;
      *out = DecodeFast(rest_);
      rest_.remove_prefix(SkipValue(reinterpret_cast<const uint8_t*>(rest_.data()), rest_.size()));
      return true;
    }
    if (done_) return false;
    done_ = true;
    *out = single_;
    return true;
  }

 private:
  Value single_;
  std::string_view rest_;
  uint32_t left_ = 0;
  bool array_ = false;
  bool done_ = false;
};

// Makes *v the bool b. Only `type` and `boolean` are written: a kBool's other fields are never
// read, and assigning a whole Value here made the compiler build it on the stack with overlapping
// stores and copy it with wider loads, which stalls store-to-load forwarding in the hot loop.
[[gnu::always_inline]] inline void SetBool(Value* v, bool b) {
  v->type = ValueType::kBool;
  v->boolean = b;
}

bool IsOrderable(const Value& v) {
  return v.is_number() || v.type == ValueType::kString || v.type == ValueType::kDatetime ||
         v.type == ValueType::kBinary;
}

}  // namespace

int64_t SystemNowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Evaluator::Evaluator(const Program& program, const EvalContext& context) : p_(*program.data_) {
  stack_.resize(p_.max_stack + 1);
  top_.resize(p_.top_keys.size());
  // Parameters do not change between documents: their paths are followed here, once, rather than
  // by every evaluation.
  bindings_.reserve(p_.bindings.size());
  for (uint32_t b = 0; b < p_.bindings.size(); ++b) {
    bindings_.push_back(ResolveBinding(b, context.bindings));
  }
  SetNow(context.now_micros);
}

void Evaluator::SetNow(int64_t now_micros) {
  if (!p_.reads_clock) return;
  const int64_t now = std::clamp(now_micros, kMinNow, kMaxNow);
  const CivilTime c = ToCivil(now);
  auto set = [&](Macro m, Value v) { macros_[static_cast<int>(m)] = v; };
  set(Macro::kNow, Value::Datetime(now));
  set(Macro::kYesterday, Value::Datetime(now - kMicrosPerDay));
  set(Macro::kTomorrow, Value::Datetime(now + kMicrosPerDay));
  set(Macro::kSecond, Value::Int(c.second));
  set(Macro::kMinute, Value::Int(c.minute));
  set(Macro::kHour, Value::Int(c.hour));
  set(Macro::kWeekday, Value::Int(c.weekday));
  set(Macro::kDay, Value::Int(c.day));
  set(Macro::kMonth, Value::Int(c.month));
  set(Macro::kYear, Value::Int(c.year));
  const int64_t today = FromCivil(c.year, c.month, c.day, 0, 0, 0, 0);
  set(Macro::kTodayStart, Value::Datetime(today));
  set(Macro::kTodayEnd, Value::Datetime(today + kMicrosPerDay - 1));
  set(Macro::kMonthStart, Value::Datetime(FromCivil(c.year, c.month, 1, 0, 0, 0, 0)));
  set(Macro::kMonthEnd, Value::Datetime(FromCivil(c.year, c.month, DaysInMonth(c.year, c.month), 23,
                                                  59, 59, 999999)));
  set(Macro::kYearStart, Value::Datetime(FromCivil(c.year, 1, 1, 0, 0, 0, 0)));
  set(Macro::kYearEnd, Value::Datetime(FromCivil(c.year, 12, 31, 23, 59, 59, 999999)));
}

Evaluator::~Evaluator() = default;

char* Evaluator::Scratch(size_t n) {
  while (true) {
    if (block_ < blocks_.size()) {
      if (block_sizes_[block_] - block_used_ >= n) {
        char* p = blocks_[block_].get() + block_used_;
        block_used_ += n;
        return p;
      }
      ++block_;
      block_used_ = 0;
      continue;
    }
    const size_t size =
        std::max({n, kMinScratchBlock, block_sizes_.empty() ? 0 : 2 * block_sizes_.back()});
    blocks_.push_back(std::make_unique<char[]>(size));
    block_sizes_.push_back(size);
  }
}

uint32_t Evaluator::Top(uint32_t top) {
  TopSlot& slot = top_[top];
  if (slot.generation == generation_) return slot.offset;
  const auto* d = reinterpret_cast<const uint8_t*>(doc_.data());
  const size_t n = doc_.size();
  // The scan position lives in locals: stores through top_ could alias the members.
  size_t pos = scan_pos_;
  uint32_t left = scan_left_;
  uint32_t result = 0;
  while (left > 0) {
    --left;
    size_t key_len;
    if ((d[pos] & 0xe0) == 0xa0) {  // fixstr: nearly every key
      key_len = d[pos] & 0x1f;
      pos += 1;
    } else {
      const doc::Value k = doc::ReadValue(doc_.substr(pos));
      key_len = k.bytes.size();
      pos += k.raw.size() - key_len;
    }
    const char* key = doc_.data() + pos;
    const size_t value_pos = pos + key_len;
    pos = value_pos + SkipValue(d + value_pos, n - value_pos);
    uint32_t k = p_.first_by_length[std::min<size_t>(key_len, internal::ProgramData::kLongKey)];
    for (; k != internal::ProgramData::kNoKey; k = p_.next_same_length[k]) {
      const std::string_view want = p_.top_keys[k];
      if (want.size() == key_len && SameBytes(want.data(), key, key_len)) break;
    }
    if (k == internal::ProgramData::kNoKey) continue;
    TopSlot& s = top_[k];
    s.generation = generation_;
    s.offset = static_cast<uint32_t>(value_pos);
    if (k == top) {
      result = s.offset;
      break;
    }
  }
  scan_pos_ = pos;
  scan_left_ = left;
  if (result == 0) {
    // The scan is over: every key not recorded for this document is absent.
    slot.generation = generation_;
    slot.offset = 0;
  }
  return result;
}

bool Evaluator::Descend(doc::Value* v, uint32_t first, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) {
    const Segment& seg = p_.segments[first + i];
    if (v->type == doc::Type::kMap) {
      doc::MapIterator it(*v);
      std::string_view key;
      doc::Value child;
      bool found = false;
      while (it.Next(&key, &child)) {
        if (budget_ > 0) --budget_;
        if (key == seg.key) {
          found = true;
          break;
        }
      }
      if (!found) return false;
      *v = child;
    } else if (v->type == doc::Type::kArray && seg.index >= 0 && seg.index < v->count) {
      doc::ArrayIterator it(*v);
      doc::Value child;
      for (int64_t k = 0; k <= seg.index; ++k) it.Next(&child);
      budget_ -= std::min<uint64_t>(budget_, static_cast<uint64_t>(seg.index));
      *v = child;
    } else {
      return false;
    }
  }
  return true;
}

[[gnu::always_inline]] inline Value Evaluator::LoadField(uint32_t field) {
  const FieldRef& f = p_.fields[field];
  const uint32_t at = Top(f.top);
  if (at == 0) return Value::Null();
  if (f.count == 0) return DecodeFast(doc_.substr(at));
  doc::Value v = doc::ReadValue(doc_.substr(at));
  if (!Descend(&v, f.first, f.count)) return Value::Null();
  return FromDocValue(v);
}

Evaluator::ResolvedBinding Evaluator::ResolveBinding(uint32_t binding, const Bindings* bindings) {
  const BindingRef& b = p_.bindings[binding];
  const std::string* bytes = bindings ? bindings->Find(p_.binding_names[b.slot]) : nullptr;
  if (bytes == nullptr || bytes->empty()) return ResolvedBinding();
  // Outside an evaluation budget_ is 0, so Descend charges nothing.
  doc::Value v = doc::ReadValue(*bytes);
  if (b.count > 0 && !Descend(&v, b.first, b.count)) return ResolvedBinding();
  return ResolvedBinding{FromDocValue(v), true};
}

[[gnu::always_inline]] inline bool Evaluator::CompareOne(uint8_t op, const Value& a, const Value& b,
                                                         uint32_t like) {
  if (like == kNoLike) {
    // The pairs filters mostly compare, inline; everything else by the one definition.
    const auto cop = static_cast<CompareOp>(op);
    if (a.type == ValueType::kInt && b.type == ValueType::kInt) {
      const int64_t x = a.int_value;
      const int64_t y = b.int_value;
      switch (cop) {
        case CompareOp::kEq:
          return x == y;
        case CompareOp::kNe:
          return x != y;
        case CompareOp::kLt:
          return x < y;
        case CompareOp::kLe:
          return x <= y;
        case CompareOp::kGt:
          return x > y;
        case CompareOp::kGe:
          return x >= y;
        default:
          return false;
      }
    }
    if (a.type == ValueType::kString && b.type == ValueType::kString &&
        (cop == CompareOp::kEq || cop == CompareOp::kNe)) {
      const bool eq = a.bytes.size() == b.bytes.size() &&
                      SameBytes(a.bytes.data(), b.bytes.data(), a.bytes.size());
      return eq == (cop == CompareOp::kEq);
    }
    return CompareScalar(cop, a, b, &budget_);
  }
  if (a.type != ValueType::kString) return false;
  const LikeConst& lc = p_.likes[like];
  const bool m =
      lc.contains ? ContainsFolded(a.bytes, lc.text, &budget_) : Like(a.bytes, lc.text, &budget_);
  return m == (static_cast<CompareOp>(op) == CompareOp::kLike);
}

[[gnu::always_inline]] inline bool Evaluator::Compare(uint8_t op, bool any, const Value& a,
                                                      const Value& b, uint32_t like) {
  if (a.type != ValueType::kArray && b.type != ValueType::kArray) {
    return CompareOne(op, a, b, like);
  }
  return CompareArrays(op, any, a, b, like, nullptr);
}

[[gnu::always_inline]] inline bool Evaluator::CompareConst(uint8_t op, uint8_t flags,
                                                           const Value& a, uint32_t c) {
  if ((flags & internal::kCompareDatetime) == 0) [[likely]] {
    return Compare(op, (flags & internal::kCompareAny) != 0, a, p_.constants[c], kNoLike);
  }
  return CompareDatetimeConst(op, flags, a, c);
}

// Out of line: inlined into each of Run's four compare-with-constant instructions, it slowed the
// common path by a fifth.
[[gnu::noinline]] bool Evaluator::CompareDatetimeConst(uint8_t op, uint8_t flags, const Value& a,
                                                       uint32_t c) {
  const bool any = (flags & internal::kCompareAny) != 0;
  const Value& b = p_.constants[c];
  // `b` is a string that parses as the datetime `t`: Equal and Order would parse it into `t`
  // against a datetime, so a datetime compares with `t` directly. Any other operand, a string
  // included, compares with `b` as before.
  const Value& t = p_.constants[c + 1];
  if (a.type == ValueType::kArray) return CompareArrays(op, any, a, b, kNoLike, &t);
  return CompareOne(op, a, a.type == ValueType::kDatetime ? t : b, kNoLike);
}

bool Evaluator::CompareArrays(uint8_t op, bool any, const Value& a, const Value& b, uint32_t like,
                              const Value* b_datetime) {
  // PocketBase's multi-value rule: the ?-form holds when some pair of elements does, the plain
  // form when every pair does.
  Elements left(a);
  Value x;
  while (left.Next(&x)) {
    Elements right(b);
    Value y;
    while (right.Next(&y)) {
      if (budget_ == 0) return false;
      --budget_;
      if (b_datetime != nullptr && x.type == ValueType::kDatetime) y = *b_datetime;
      const bool r = CompareOne(op, x, y, like);
      if (any && r) return true;
      if (!any && !r) return false;
    }
  }
  return !any;
}

bool Evaluator::InValue(const Value& x, const Value& list) {
  constexpr auto kEq = static_cast<uint8_t>(CompareOp::kEq);
  if (list.type != ValueType::kArray) return Compare(kEq, false, x, list, kNoLike);
  // In a comparison an empty array stands for one null (Elements); as an `in` list it is empty.
  if (list.count == 0) return false;
  Elements elements(list);
  Value e;
  while (elements.Next(&e)) {
    if (budget_ == 0) return false;
    --budget_;
    if (Compare(kEq, false, x, e, kNoLike)) return true;
  }
  return false;
}

Value Evaluator::Regex(const Value& s, const Value& pattern, uint32_t regex) {
  if (s.type != ValueType::kString) return Value::Null();
  // RE2 runs in time linear in the text (and compiles in time about linear in the pattern): charge
  // the budget that much, so a huge string cannot make one document arbitrarily slow.
  const bool dynamic = regex == kNoLike && pattern.type == ValueType::kString;
  const uint64_t cost = s.bytes.size() + (dynamic ? pattern.bytes.size() : 0);
  budget_ -= std::min(budget_, cost);
  const re2::StringPiece text(s.bytes.data(), s.bytes.size());
  if (regex != kNoLike) return Value::Bool(RE2::PartialMatch(text, *p_.regexes[regex]));
  if (pattern.type != ValueType::kString) return Value::Null();
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(internal::kRegexMaxMemBytes);
  const RE2 re(re2::StringPiece(pattern.bytes.data(), pattern.bytes.size()), options);
  if (!re.ok()) return Value::Null();
  return Value::Bool(RE2::PartialMatch(text, re));
}

Value Evaluator::Call(uint8_t function, Value* args, uint32_t argc) {
  const Value& a = args[0];
  switch (static_cast<Function>(function)) {
    case Function::kLen:
      switch (a.type) {
        case ValueType::kNull:
          return Value::Int(0);
        case ValueType::kString: {
          int64_t n = 0;
          for (char c : a.bytes) n += (static_cast<uint8_t>(c) & 0xc0) != 0x80;
          return Value::Int(n);
        }
        case ValueType::kBinary:
          return Value::Int(static_cast<int64_t>(a.bytes.size()));
        case ValueType::kArray:
        case ValueType::kMap:
          return Value::Int(a.count);
        default:
          return Value::Null();
      }
    case Function::kLower:
    case Function::kUpper: {
      if (a.type != ValueType::kString) return Value::Null();
      char* out = Scratch(a.bytes.size());
      const bool lower = static_cast<Function>(function) == Function::kLower;
      for (size_t i = 0; i < a.bytes.size(); ++i) {
        const char c = a.bytes[i];
        if (lower) {
          out[i] = FoldAscii(c);
        } else {
          out[i] = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
        }
      }
      return Value::String(std::string_view(out, a.bytes.size()));
    }
    case Function::kAbs:
      switch (a.type) {
        case ValueType::kInt:
          return a.int_value < 0 ? Negate(a) : a;
        case ValueType::kUint:
          return a;
        case ValueType::kDouble:
          return Value::Double(std::fabs(a.double_value));
        default:
          return Value::Null();
      }
    case Function::kMin:
    case Function::kMax: {
      const bool want_less = static_cast<Function>(function) == Function::kMin;
      Value best = a;
      if (!IsOrderable(best)) return Value::Null();
      for (uint32_t i = 1; i < argc; ++i) {
        const Ordering o = Order(args[i], best);
        if (o == Ordering::kUnordered || !IsOrderable(args[i])) return Value::Null();
        if (want_less ? o == Ordering::kLess : o == Ordering::kGreater) best = args[i];
      }
      if (best.type == ValueType::kDouble && std::isnan(best.double_value)) return Value::Null();
      return best;
    }
    case Function::kNow:
      return macros_[static_cast<int>(Macro::kNow)];
    case Function::kDate:
      if (a.type == ValueType::kDatetime) return a;
      if (a.type == ValueType::kString) {
        const std::optional<int64_t> t = ParseDatetime(a.bytes);
        if (t) return Value::Datetime(*t);
      }
      return Value::Null();
    case Function::kRegex:
      return Regex(args[0], args[1], kNoLike);
    case Function::kHas:
      break;  // compiled to kHasField / kHasBinding
  }
  return Value::Null();
}

bool Evaluator::Run(std::string_view document) {
  ++generation_;
  budget_ = p_.max_evaluation_steps;
  block_ = 0;
  block_used_ = 0;
  doc_ = document;
  // The document's map header (fixmap, map 16 or map 32; validated): pairs follow it.
  const auto* d = reinterpret_cast<const uint8_t*>(document.data());
  if (d[0] >= 0x80 && d[0] <= 0x8f) {
    scan_left_ = d[0] & 0x0f;
    scan_pos_ = 1;
  } else if (d[0] == 0xde) {
    scan_left_ = core::GetBig16(d + 1);
    scan_pos_ = 3;
  } else {
    scan_left_ = core::GetBig32(d + 1);
    scan_pos_ = 5;
  }
  Value* sp = stack_.data();
  const Instr* code = p_.code.data();
  const auto n = static_cast<uint32_t>(p_.code.size());
  uint32_t pc = 0;
  while (pc < n) {
    if (budget_ == 0) return false;
    --budget_;
    const Instr& in = code[pc++];
    switch (in.op) {
      case Op::kPushConst:
        *sp++ = p_.constants[in.arg];
        break;
      case Op::kLoadField:
        *sp++ = LoadField(in.arg);
        break;
      case Op::kLoadBinding:
        *sp++ = bindings_[in.arg].value;
        break;
      case Op::kHasField: {
        const FieldRef& f = p_.fields[in.arg];
        const uint32_t at = Top(f.top);
        bool found = at != 0;
        if (found && f.count > 0) {
          doc::Value v = doc::ReadValue(doc_.substr(at));
          found = Descend(&v, f.first, f.count);
        }
        SetBool(sp++, found);
        break;
      }
      case Op::kHasBinding:
        SetBool(sp++, bindings_[in.arg].found);
        break;
      case Op::kPushMacro:
        *sp++ = macros_[in.a];
        break;
      case Op::kNot:
        SetBool(&sp[-1], !sp[-1].is_true());
        break;
      case Op::kNeg:
        sp[-1] = Negate(sp[-1]);
        break;
      case Op::kToBool:
        SetBool(&sp[-1], sp[-1].is_true());
        break;
      case Op::kArith:
        sp[-2] = Arithmetic(static_cast<ArithOp>(in.a), sp[-2], sp[-1]);
        --sp;
        break;
      case Op::kCompare:
        SetBool(&sp[-2], Compare(in.a, in.b != 0, sp[-2], sp[-1], kNoLike));
        --sp;
        break;
      case Op::kCompareConst:
        SetBool(&sp[-1], CompareConst(in.a, in.b, sp[-1], in.arg));
        break;
      case Op::kCompareFieldConst: {
        const Value f = LoadField(in.arg);
        SetBool(sp++, CompareConst(in.a, in.b, f, in.arg2));
        break;
      }
      case Op::kAndFieldConst: {
        const Value f = LoadField(in.arg);
        if (!CompareConst(in.a, in.b, f, in.arg2)) {
          SetBool(sp++, false);
          pc = in.arg3;
        }
        break;
      }
      case Op::kOrFieldConst: {
        const Value f = LoadField(in.arg);
        if (CompareConst(in.a, in.b, f, in.arg2)) {
          SetBool(sp++, true);
          pc = in.arg3;
        }
        break;
      }
      case Op::kLikeConst:
        SetBool(&sp[-1], Compare(in.a, in.b != 0, sp[-1], Value::String({}), in.arg));
        break;
      case Op::kJumpUnlessTrue:
        if (!sp[-1].is_true()) {
          SetBool(&sp[-1], false);
          pc = in.arg;
        } else {
          --sp;
        }
        break;
      case Op::kJumpIfTrue:
        if (sp[-1].is_true()) {
          SetBool(&sp[-1], true);
          pc = in.arg;
        } else {
          --sp;
        }
        break;
      case Op::kInEqual: {
        --sp;
        if (Compare(static_cast<uint8_t>(CompareOp::kEq), false, sp[-1], sp[0], kNoLike)) {
          SetBool(&sp[-1], true);
          pc = in.arg;
        }
        break;
      }
      case Op::kInFalse:
        SetBool(&sp[-1], false);
        break;
      case Op::kInValue:
        SetBool(&sp[-2], InValue(sp[-2], sp[-1]));
        --sp;
        break;
      case Op::kCall: {
        const uint32_t argc = in.b;
        Value* args = sp - argc;
        // now() has no arguments: its result goes where they would have started.
        const Value r = Call(in.a, args, argc);
        sp = args;
        *sp++ = r;
        break;
      }
      case Op::kRegexConst:
        sp[-1] = Regex(sp[-1], Value::Null(), in.arg);
        break;
    }
  }
  return budget_ > 0;
}

Status Evaluator::StepsExceeded() const {
  return Status::ResourceExhausted("expression evaluation exceeded max_evaluation_steps (" +
                                   std::to_string(p_.max_evaluation_steps) + ")");
}

Result<Value> Evaluator::Evaluate(std::string_view document) {
  if (!Run(document)) return StepsExceeded();
  return stack_[0];
}

Result<bool> Evaluator::Matches(std::string_view document) {
  if (!Run(document)) return StepsExceeded();
  return stack_[0].is_true();
}

}  // namespace daas::expr
