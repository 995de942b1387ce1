#include "schema/validate.h"

#include <re2/re2.h>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

#include "core/status_macros.h"
#include "daas/doc_id.h"
#include "doc/json.h"
#include "doc/msgpack_reader.h"
#include "doc/msgpack_writer.h"
#include "expr/datetime.h"
#include "expr/evaluator.h"
#include "expr/program.h"
#include "expr/semantics.h"
#include "expr/value.h"
#include "schema/schema_internal.h"

namespace daas::schema {

const char* ViolationCodeName(ViolationCode code) {
  switch (code) {
    case ViolationCode::kRequired:
      return "validation_required";
    case ViolationCode::kNull:
      return "validation_null";
    case ViolationCode::kType:
      return "validation_type";
    case ViolationCode::kUnknownField:
      return "validation_unknown_field";
    case ViolationCode::kMin:
      return "validation_min";
    case ViolationCode::kMax:
      return "validation_max";
    case ViolationCode::kMinLength:
      return "validation_min_length";
    case ViolationCode::kMaxLength:
      return "validation_max_length";
    case ViolationCode::kPattern:
      return "validation_pattern";
    case ViolationCode::kEnum:
      return "validation_enum";
    case ViolationCode::kFormat:
      return "validation_format";
    case ViolationCode::kReadonly:
      return "validation_readonly";
    case ViolationCode::kCheck:
      return "validation_check";
    case ViolationCode::kUnique:
      return "validation_unique";
    case ViolationCode::kRef:
      return "validation_ref";
  }
  return "validation_unknown";
}

namespace {

// Containers larger than this are described ("array of 1000 elements") rather than printed, so
// reporting a violation never renders megabytes only to cut them to 64 bytes.
constexpr size_t kMaxRenderBytes = 1024;

// Cuts `s` to at most `n` bytes without splitting a UTF-8 sequence.
size_t Utf8Cut(std::string_view s, size_t n) {
  if (s.size() <= n) return s.size();
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n;
}

uint64_t CodePoints(std::string_view s) {
  uint64_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!IsHex(s[i])) {
      return false;
    }
  }
  return true;
}

bool IsEmail(std::string_view s) {
  const size_t at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || s.size() > 254) return false;
  const std::string_view local = s.substr(0, at);
  const std::string_view domain = s.substr(at + 1);
  for (char c : local) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '@' || c == '"' || c == '(' || c == ')' || c == ',' ||
        c == ':' || c == ';' || c == '<' || c == '>' || c == '[' || c == ']' || c == '\\') {
      return false;
    }
  }
  if (local.front() == '.' || local.back() == '.') return false;
  // Domain: two or more labels of letters, digits and '-', not starting or ending with '-'.
  if (domain.empty() || domain.find('.') == std::string_view::npos) return false;
  size_t label = 0;
  for (size_t i = 0; i <= domain.size(); ++i) {
    if (i == domain.size() || domain[i] == '.') {
      if (label == 0 || label > 63 || domain[i - 1] == '-' || domain[i - label] == '-') {
        return false;
      }
      label = 0;
    } else {
      const auto u = static_cast<unsigned char>(domain[i]);
      if (!(std::isalnum(u) || u == '-' || u >= 0x80)) return false;
      ++label;
    }
  }
  return true;
}

bool IsUrl(std::string_view s) {
  const size_t colon = s.find("://");
  if (colon == std::string_view::npos || colon == 0) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (size_t i = 0; i < colon; ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (!(std::isalnum(u) || u == '+' || u == '-' || u == '.')) return false;
  }
  const std::string_view rest = s.substr(colon + 3);
  const size_t host_end = rest.find_first_of("/?#");
  const std::string_view host = rest.substr(0, host_end);
  if (host.empty() || host.front() == ':' || host.front() == '@') return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return false;
  }
  return true;
}

// Evaluators of checks and expression defaults by program: built on first use, reused for every
// document.
using EvaluatorCache = std::unordered_map<const expr::Program*, std::unique_ptr<expr::Evaluator>>;

// The Evaluator of `program` in `cache`, built on first use with @now at context.now_micros.
expr::Evaluator& EvaluatorFor(EvaluatorCache* cache, const expr::Program& program,
                              const ValidationContext& context) {
  std::unique_ptr<expr::Evaluator>& ev = (*cache)[&program];
  if (!ev) {
    ev = std::make_unique<expr::Evaluator>(program, expr::EvalContext{nullptr, context.now_micros});
  }
  return *ev;
}

}  // namespace

namespace internal {

std::string BoundText(FieldKind kind, const Bound& bound) {
  char buf[64];
  if (kind == FieldKind::kDatetime) {
    return std::string(buf, expr::FormatDatetime(std::get<int64_t>(bound), buf));
  }
  if (const int64_t* i = std::get_if<int64_t>(&bound)) return std::to_string(*i);
  const double d = std::get<double>(bound);
  if (std::trunc(d) == d && std::fabs(d) < 1e18) {
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(d));
    return buf;
  }
  // The shortest text that reads back as `d`: 0.1, not 0.10000000000000001.
  const auto r = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, r.ptr);
}

std::string ValueText(const doc::Value& value) {
  std::string json;
  if (value.type == doc::Type::kString) {
    std::string bytes;
    doc::Writer w(&bytes);
    w.String(value.bytes.substr(0, Utf8Cut(value.bytes, kMaxValueTextBytes)));
    doc::MsgpackToJson(bytes, &json);
  } else if (value.raw.size() > kMaxRenderBytes && value.type == doc::Type::kArray) {
    json = "array of " + std::to_string(value.count) + " elements";
  } else if (value.raw.size() > kMaxRenderBytes && value.type == doc::Type::kMap) {
    json = "object of " + std::to_string(value.count) + " keys";
  } else if (value.raw.size() > kMaxRenderBytes) {
    json = std::string(doc::TypeName(value.type)) + " of " + std::to_string(value.raw.size()) +
           " bytes";
  } else {
    doc::MsgpackToJson(value.raw, &json);
  }
  if (json.size() > kMaxValueTextBytes) {
    json.resize(Utf8Cut(json, kMaxValueTextBytes));
    json += "...";
  }
  return json;
}

}  // namespace internal

struct Validator::State {
  EvaluatorCache evaluators;
  std::string path;  // the walk's path buffer, reused so deep paths allocate once
};

namespace {

// One walk over a document. `path` is a reused buffer holding the dotted path of the value being
// checked; violations copy it.
class Walker {
 public:
  Walker(const ValidationContext& context, EvaluatorCache* ev, std::string* path,
         std::vector<Violation>* out)
      : context_(context), evaluators_(ev), path_(*path), out_(out) {}

  const Status& status() const { return status_; }

  void Add(ViolationCode code, std::string message) {
    Violation v;
    v.code = code;
    v.path = path_;
    v.message = std::move(message);
    out_->push_back(std::move(v));
  }

  // Appends ".name" (or "name" at the root) to the path; PopTo restores it.
  size_t Push(std::string_view name) {
    const size_t mark = path_.size();
    if (!path_.empty()) path_.push_back('.');
    path_.append(name);
    return mark;
  }
  size_t PushIndex(size_t i) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof(buf), i);
    return Push(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
  }
  void PopTo(size_t mark) { path_.resize(mark); }

  // Whether the check holds on `map` (a check that cannot run, without evaluators, holds).
  bool Holds(const Check& check, const doc::Value& map) {
    if (evaluators_ == nullptr || !check.expr.program) return true;
    auto r = EvaluatorFor(evaluators_, *check.expr.program, context_).Matches(map.raw);
    if (!r.ok()) {
      if (status_.ok()) status_ = r.status();
      return true;
    }
    return *r;
  }

  std::string CheckMessage(const Check& check) {
    if (!check.message.empty()) return check.message;
    std::string m = "check ";
    if (!check.name.empty()) m += "'" + check.name + "' ";
    m += "(" + check.expr.text + ") is not true";
    return m;
  }

  void Object(const ObjectSchema& o, const doc::Value& map, const doc::Value* previous, bool top) {
    // Which declared fields are present: on the stack for ordinary schemas.
    constexpr size_t kInline = 64;
    bool inline_seen[kInline] = {};
    std::unique_ptr<bool[]> heap_seen;
    bool* seen = inline_seen;
    if (o.fields.size() > kInline) {
      heap_seen = std::make_unique<bool[]>(o.fields.size());
      seen = heap_seen.get();
    }
    doc::MapIterator it(map);
    std::string_view key;
    doc::Value value;
    while (it.Next(&key, &value)) {
      size_t index = o.fields.size();
      for (size_t i = 0; i < o.fields.size(); ++i) {
        if (o.fields[i].name.size() == key.size() && o.fields[i].name == key) {
          index = i;
          break;
        }
      }
      if (index == o.fields.size()) {
        if (o.additional_fields || (top && internal::IsSystemField(key))) continue;
        const size_t mark = Push(key);
        Add(ViolationCode::kUnknownField,
            "unknown field (the schema does not declare it and additionalFields is false), "
            "found " +
                internal::ValueText(value));
        PopTo(mark);
        continue;
      }
      const Field& f = o.fields[index];
      seen[index] = true;
      const size_t mark = Push(f.name);
      std::optional<doc::Value> prev;
      if (previous != nullptr) prev = doc::FindField(previous->raw, f.name);
      const size_t before = out_->size();
      Value(f, value, prev ? &*prev : nullptr);
      // A readonly field the previous document lacked may be set (docs/schema.md §3).
      if (f.readonly && prev && prev->raw != value.raw) {
        Add(ViolationCode::kReadonly,
            "is readonly and cannot change after create, found " + internal::ValueText(value));
      }
      if (f.check && out_->size() == before && value.type != doc::Type::kNil &&
          !Holds(*f.check, map)) {
        Add(ViolationCode::kCheck,
            CheckMessage(*f.check) + ", found " + internal::ValueText(value));
      }
      PopTo(mark);
    }
    for (size_t i = 0; i < o.fields.size(); ++i) {
      if (seen[i]) continue;
      const Field& f = o.fields[i];
      const size_t mark = Push(f.name);
      if (f.required) Add(ViolationCode::kRequired, "is required");
      if (f.readonly && previous != nullptr && doc::FindField(previous->raw, f.name)) {
        Add(ViolationCode::kReadonly, "is readonly and cannot be removed after create");
      }
      PopTo(mark);
    }
    for (const Check& c : o.checks) {
      if (!Holds(c, map)) Add(ViolationCode::kCheck, CheckMessage(c));
    }
  }

  void Type(const Field& f, const doc::Value& v) {
    std::string m = std::string("expected ") + FieldKindName(f.kind);
    if (f.kind == FieldKind::kRef) m += " (a document ID of '" + f.ref_collection + "')";
    if (f.kind == FieldKind::kId) m += " (a document ID)";
    if (f.kind == FieldKind::kDatetime) m += " (a timestamp or a date string)";
    Add(ViolationCode::kType,
        m + ", found " + doc::TypeName(v.type) + " " + internal::ValueText(v));
  }

  // The bound as an expression value, which expr::Order compares exactly with the field's values:
  // an int64 or a double with any number, microseconds with a datetime.
  static expr::Value BoundValue(FieldKind kind, const Bound& bound) {
    if (kind == FieldKind::kDatetime) return expr::Value::Datetime(std::get<int64_t>(bound));
    if (const int64_t* i = std::get_if<int64_t>(&bound)) return expr::Value::Int(*i);
    return expr::Value::Double(std::get<double>(bound));
  }

  // Checks `x`, the value `v` of field `f` as a number or datetime, against f's min and max. NaN,
  // unordered with every bound, is outside both.
  void Bounds(const Field& f, const expr::Value& x, const doc::Value& v) {
    if (f.min) {
      const expr::Ordering o = expr::Order(x, BoundValue(f.kind, *f.min));
      if (o == expr::Ordering::kLess || o == expr::Ordering::kUnordered) {
        Add(ViolationCode::kMin, "must be >= " + internal::BoundText(f.kind, *f.min) +
                                     " (min), found " + internal::ValueText(v));
      }
    }
    if (f.max) {
      const expr::Ordering o = expr::Order(x, BoundValue(f.kind, *f.max));
      if (o == expr::Ordering::kGreater || o == expr::Ordering::kUnordered) {
        Add(ViolationCode::kMax, "must be <= " + internal::BoundText(f.kind, *f.max) +
                                     " (max), found " + internal::ValueText(v));
      }
    }
  }

  void Length(const Field& f, uint64_t n, const doc::Value& v, const char* unit) {
    if (f.min_length && n < *f.min_length) {
      Add(ViolationCode::kMinLength, "must have at least " + std::to_string(*f.min_length) + " " +
                                         unit + " (minLength), found " + std::to_string(n) + ": " +
                                         internal::ValueText(v));
    }
    if (f.max_length && n > *f.max_length) {
      Add(ViolationCode::kMaxLength, "must have at most " + std::to_string(*f.max_length) + " " +
                                         unit + " (maxLength), found " + std::to_string(n) + ": " +
                                         internal::ValueText(v));
    }
  }

  void Enum(const Field& f, const doc::Value& v) {
    if (f.enum_values.empty()) return;
    const expr::Value x = expr::FromDocValue(v);
    for (const std::string& e : f.enum_values) {
      if (expr::Equal(x, expr::DecodeValue(e))) return;
    }
    std::string allowed;
    for (const std::string& e : f.enum_values) {
      if (!allowed.empty()) allowed += ", ";
      if (allowed.size() > 200) {
        allowed += "...";
        break;
      }
      doc::MsgpackToJson(e, &allowed);
    }
    Add(ViolationCode::kEnum,
        "must be one of [" + allowed + "] (enum), found " + internal::ValueText(v));
  }

  void Value(const Field& f, const doc::Value& v, const doc::Value* previous) {
    if (v.type == doc::Type::kNil) {
      if (!f.nullable) Add(ViolationCode::kNull, "must not be null");
      return;
    }
    switch (f.kind) {
      case FieldKind::kString: {
        if (v.type != doc::Type::kString) return Type(f, v);
        if (f.min_length || f.max_length) Length(f, CodePoints(v.bytes), v, "characters");
        if (f.pattern_re && !RE2::PartialMatch(v.bytes, *f.pattern_re)) {
          Add(ViolationCode::kPattern,
              "must match the pattern " + f.pattern + ", found " + internal::ValueText(v));
        }
        bool format_ok = true;
        switch (f.format) {
          case StringFormat::kNone:
            break;
          case StringFormat::kEmail:
            format_ok = IsEmail(v.bytes);
            break;
          case StringFormat::kUrl:
            format_ok = IsUrl(v.bytes);
            break;
          case StringFormat::kUuid:
            format_ok = IsUuid(v.bytes);
            break;
        }
        if (!format_ok) {
          Add(ViolationCode::kFormat, std::string("must be a valid ") + StringFormatName(f.format) +
                                          " (format), found " + internal::ValueText(v));
        }
        Enum(f, v);
        return;
      }
      case FieldKind::kInt: {
        const bool ok =
            v.type == doc::Type::kInt || v.type == doc::Type::kUint ||
            (v.type == doc::Type::kDouble && std::trunc(v.double_value) == v.double_value &&
             v.double_value >= -9223372036854775808.0 && v.double_value < 9223372036854775808.0);
        if (!ok) return Type(f, v);
        Bounds(f, expr::FromDocValue(v), v);
        Enum(f, v);
        return;
      }
      case FieldKind::kFloat: {
        const bool ok =
            v.type == doc::Type::kInt || v.type == doc::Type::kUint || v.type == doc::Type::kDouble;
        if (!ok) return Type(f, v);
        Bounds(f, expr::FromDocValue(v), v);
        Enum(f, v);
        return;
      }
      case FieldKind::kBool:
        if (v.type != doc::Type::kBool) return Type(f, v);
        return;
      case FieldKind::kDatetime: {
        std::optional<int64_t> micros;
        if (v.type == doc::Type::kString) {
          micros = expr::ParseDatetime(v.bytes);
        } else if (const expr::Value x = expr::FromDocValue(v);
                   x.type == expr::ValueType::kDatetime) {
          micros = x.int_value;
        }
        if (!micros) return Type(f, v);
        Bounds(f, expr::Value::Datetime(*micros), v);
        return;
      }
      case FieldKind::kId:
      case FieldKind::kRef: {
        if (v.type != doc::Type::kString || v.bytes.size() != DocId::kTextSize) return Type(f, v);
        auto id = DocId::Parse(v.bytes);
        if (!id.ok() || id->is_null()) return Type(f, v);
        return;
      }
      case FieldKind::kArray: {
        if (v.type != doc::Type::kArray) return Type(f, v);
        if (f.min_length || f.max_length) Length(f, v.count, v, "elements");
        if (f.items.empty()) return;
        doc::ArrayIterator it(v);
        doc::Value e;
        for (size_t i = 0; it.Next(&e); ++i) {
          const size_t mark = PushIndex(i);
          Value(f.items[0], e, nullptr);  // readonly does not reach into arrays
          PopTo(mark);
        }
        return;
      }
      case FieldKind::kObject: {
        if (v.type != doc::Type::kMap) return Type(f, v);
        if (!f.object) return;
        const bool prev_map = previous != nullptr && previous->type == doc::Type::kMap;
        Object(*f.object, v, prev_map ? previous : nullptr, false);
        return;
      }
      case FieldKind::kJson:
        return;
    }
  }

 private:
  const ValidationContext& context_;
  EvaluatorCache* evaluators_;  // null: checks are not run (literals at schema definition)
  std::string& path_;
  std::vector<Violation>* out_;
  Status status_;
};

}  // namespace

namespace internal {

void ValidateLiteral(const Field& field, const doc::Value& value, const std::string& path,
                     std::vector<Violation>* out) {
  ValidationContext context;
  std::string buffer = path;
  Walker walker(context, nullptr, &buffer, out);
  walker.Value(field, value, nullptr);
}

}  // namespace internal

Validator::Validator(const CollectionSchema& schema, const ValidationContext& context)
    : schema_(schema),
      context_(context),
      has_defaults_(HasDefaults(schema)),
      state_(std::make_unique<State>()) {}

Validator::~Validator() = default;

void Validator::SetContext(const ValidationContext& context) {
  context_ = context;
  for (auto& [program, evaluator] : state_->evaluators) evaluator->SetNow(context.now_micros);
}

Result<size_t> Validator::Validate(std::string_view document, ValidationMode mode,
                                   std::string_view previous, std::vector<Violation>* out) {
  const size_t before = out->size();
  state_->path.clear();
  Walker walker(context_, &state_->evaluators, &state_->path, out);
  const doc::Value root = doc::ReadValue(document);
  if (root.type != doc::Type::kMap) {
    walker.Add(ViolationCode::kType,
               std::string("expected a document (a map), found ") + doc::TypeName(root.type));
    return out->size() - before;
  }
  doc::Value prev_root;
  const doc::Value* prev = nullptr;
  if (mode == ValidationMode::kUpdate && !previous.empty()) {
    prev_root = doc::ReadValue(previous);
    if (prev_root.type == doc::Type::kMap) prev = &prev_root;
  }
  walker.Object(schema_.root, root, prev, true);
  if (!walker.status().ok()) return walker.status();
  return out->size() - before;
}

Result<std::vector<Violation>> Validate(const CollectionSchema& schema, std::string_view document,
                                        ValidationMode mode, std::string_view previous,
                                        const ValidationContext& context) {
  Validator validator(schema, context);
  std::vector<Violation> out;
  DAAS_RETURN_IF_ERROR(validator.Validate(document, mode, previous, &out).status());
  return out;
}

std::vector<daas::Violation> PublicViolations(std::string_view collection,
                                              std::string_view document_id,
                                              const std::vector<Violation>& violations) {
  std::vector<daas::Violation> out;
  out.reserve(violations.size());
  for (const Violation& v : violations) {
    out.push_back(daas::Violation{std::string(collection), std::string(document_id), v.path,
                                  ViolationCodeName(v.code), v.message});
  }
  return out;
}

std::string ViolationsToJson(const std::vector<daas::Violation>& violations) {
  std::string bytes;
  doc::Writer w(&bytes);
  w.ArrayHeader(static_cast<uint32_t>(violations.size()));
  for (const daas::Violation& v : violations) {
    w.MapHeader(5);
    w.String("collection");
    w.String(v.collection);
    w.String("document");
    w.String(v.document);
    w.String("field");
    w.String(v.field);
    w.String("code");
    w.String(v.code);
    w.String("message");
    w.String(v.message);
  }
  std::string json;
  doc::MsgpackToJson(bytes, &json);
  return json;
}

Status ViolationStatus(std::string_view collection, std::string_view document_id,
                       const std::vector<Violation>& violations) {
  std::string m = "collection '" + std::string(collection) + "'";
  if (!document_id.empty()) m += ", document '" + std::string(document_id) + "'";
  m += ": " + std::to_string(violations.size()) +
       (violations.size() == 1 ? " violation: " : " violations: ");
  for (size_t i = 0; i < violations.size(); ++i) {
    const Violation& v = violations[i];
    if (i > 0) m += "; ";
    m += (v.path.empty() ? std::string("@document") : v.path) + ": " + ViolationCodeName(v.code) +
         ": " + v.message;
  }
  std::vector<daas::Violation> pub = PublicViolations(collection, document_id, violations);
  std::string json = ViolationsToJson(pub);
  return Status::SchemaViolation(m).WithDetail(json).WithViolations(std::move(pub));
}

// ---------------------------------------------------------------------------------------------
// Defaults.

namespace internal {

void WriteExprValue(const Field& field, const expr::Value& v, doc::Writer* w) {
  switch (v.type) {
    case expr::ValueType::kNull:
      return w->Nil();
    case expr::ValueType::kBool:
      return w->Bool(v.boolean);
    case expr::ValueType::kInt:
      return w->Int(v.int_value);
    case expr::ValueType::kUint:
      return w->Uint(v.uint_value);
    case expr::ValueType::kDouble:
      if (field.kind == FieldKind::kInt && std::trunc(v.double_value) == v.double_value &&
          std::fabs(v.double_value) < 9.2e18) {
        return w->Int(static_cast<int64_t>(v.double_value));
      }
      return w->Double(v.double_value);
    case expr::ValueType::kString:
      return w->String(v.bytes);
    case expr::ValueType::kDatetime: {
      char buf[expr::kDatetimeTextMax];
      const size_t n = expr::FormatDatetime(v.int_value, buf);
      return w->String(std::string_view(buf, n));
    }
    case expr::ValueType::kBinary:
      return w->Binary(v.bytes);
    case expr::ValueType::kArray:
    case expr::ValueType::kMap:
      return w->Raw(v.bytes);
    case expr::ValueType::kExt:
      return w->Ext(v.ext_type, v.bytes);
  }
}

}  // namespace internal

namespace {

using internal::WriteExprValue;

bool HasDefault(const Field& f) { return f.default_literal || f.default_expr; }

bool AnyDefault(const ObjectSchema& o);

// Whether values of `f` hold objects with defaults: `f` is an object type, or an array whose
// elements (at any depth of arrays) are, with a default on some field inside.
bool NestedDefault(const Field& f) {
  if (f.kind == FieldKind::kObject) return f.object && AnyDefault(*f.object);
  if (f.kind == FieldKind::kArray) return !f.items.empty() && NestedDefault(f.items[0]);
  return false;
}

// Whether any field in `o`, at any depth through objects and arrays of objects, has a default.
bool AnyDefault(const ObjectSchema& o) {
  for (const Field& f : o.fields) {
    if (HasDefault(f) || NestedDefault(f)) return true;
  }
  return false;
}

// Expression defaults evaluate with @now at context.now_micros, by the Evaluators in *evaluators
// (null: a new one per default).
Status WriteWithDefaults(const ObjectSchema& o, const doc::Value& map,
                         const ValidationContext& context, EvaluatorCache* evaluators,
                         doc::Writer* w);

// Writes `value` of field `f` with the defaults of the objects inside it (none of its own).
Status WriteNestedWithDefaults(const Field& f, const doc::Value& value,
                               const ValidationContext& context, EvaluatorCache* evaluators,
                               doc::Writer* w) {
  if (f.kind == FieldKind::kObject && value.type == doc::Type::kMap && NestedDefault(f)) {
    return WriteWithDefaults(*f.object, value, context, evaluators, w);
  }
  if (f.kind == FieldKind::kArray && value.type == doc::Type::kArray && NestedDefault(f)) {
    w->ArrayHeader(value.count);
    doc::ArrayIterator it(value);
    doc::Value e;
    while (it.Next(&e)) {
      DAAS_RETURN_IF_ERROR(WriteNestedWithDefaults(f.items[0], e, context, evaluators, w));
    }
    return Status::OK();
  }
  w->Raw(value.raw);
  return Status::OK();
}

Status WriteWithDefaults(const ObjectSchema& o, const doc::Value& map,
                         const ValidationContext& context, EvaluatorCache* evaluators,
                         doc::Writer* w) {
  std::vector<const Field*> missing;
  for (const Field& f : o.fields) {
    if (HasDefault(f) && !doc::FindField(map.raw, f.name)) missing.push_back(&f);
  }
  w->MapHeader(map.count + static_cast<uint32_t>(missing.size()));
  doc::MapIterator it(map);
  std::string_view key;
  doc::Value value;
  while (it.Next(&key, &value)) {
    w->String(key);
    const Field* f = o.Find(key);
    if (f != nullptr) {
      DAAS_RETURN_IF_ERROR(WriteNestedWithDefaults(*f, value, context, evaluators, w));
    } else {
      w->Raw(value.raw);
    }
  }
  for (const Field* f : missing) {
    w->String(f->name);
    if (f->default_literal) {
      w->Raw(*f->default_literal);
      continue;
    }
    const expr::Program& program = *f->default_expr->program;
    if (evaluators != nullptr) {
      DAAS_ASSIGN_OR_RETURN(const expr::Value v,
                            EvaluatorFor(evaluators, program, context).Evaluate(map.raw));
      WriteExprValue(*f, v, w);
      continue;
    }
    // One-shot: an Evaluator on the stack costs less than filling a cache used once.
    expr::Evaluator ev(program, expr::EvalContext{nullptr, context.now_micros});
    DAAS_ASSIGN_OR_RETURN(const expr::Value v, ev.Evaluate(map.raw));
    WriteExprValue(*f, v, w);
  }
  return Status::OK();
}

bool Complete(const ObjectSchema& o, const doc::Value& map);

// Whether `value` of field `f` lacks no default in the objects inside it. Requires:
// NestedDefault(f) (so f.object is set, or f.items holds the element type).
bool NestedComplete(const Field& f, const doc::Value& value) {
  if (f.kind == FieldKind::kObject) {
    return value.type != doc::Type::kMap || Complete(*f.object, value);
  }
  if (value.type != doc::Type::kArray) return true;
  doc::ArrayIterator it(value);
  doc::Value e;
  while (it.Next(&e)) {
    if (!NestedComplete(f.items[0], e)) return false;
  }
  return true;
}

// Whether `map` already holds every field of `o` that has a default, and so do the objects nested
// in it: then WriteWithDefaults would only re-encode it. Reads, never allocates.
bool Complete(const ObjectSchema& o, const doc::Value& map) {
  bool nested = false;
  for (const Field& f : o.fields) {
    if (HasDefault(f) && !doc::FindField(map.raw, f.name)) return false;
    nested = nested || NestedDefault(f);
  }
  if (!nested) return true;  // no need to walk the values
  doc::MapIterator it(map);
  std::string_view key;
  doc::Value value;
  while (it.Next(&key, &value)) {
    const Field* f = o.Find(key);
    if (f != nullptr && NestedDefault(*f) && !NestedComplete(*f, value)) return false;
  }
  return true;
}

// ApplyDefaultsIfMissing with the Evaluators in *evaluators (null: a new one per default).
Result<std::optional<std::string>> FillDefaults(const CollectionSchema& schema,
                                                std::string_view document,
                                                const ValidationContext& context,
                                                EvaluatorCache* evaluators) {
  const doc::Value root = doc::ReadValue(document);
  if (root.type != doc::Type::kMap || Complete(schema.root, root)) {
    return std::optional<std::string>();
  }
  std::string out;
  out.reserve(document.size() + 64);
  doc::Writer w(&out);
  DAAS_RETURN_IF_ERROR(WriteWithDefaults(schema.root, root, context, evaluators, &w));
  return std::optional<std::string>(std::move(out));
}

}  // namespace

bool HasDefaults(const CollectionSchema& schema) { return AnyDefault(schema.root); }

Result<std::optional<std::string>> Validator::ApplyDefaultsIfMissing(std::string_view document) {
  return FillDefaults(schema_, document, context_, &state_->evaluators);
}

Result<std::optional<std::string>> ApplyDefaultsIfMissing(const CollectionSchema& schema,
                                                          std::string_view document,
                                                          const ValidationContext& context) {
  return FillDefaults(schema, document, context, nullptr);
}

Result<std::string> ApplyDefaults(const CollectionSchema& schema, std::string_view document,
                                  const ValidationContext& context) {
  DAAS_ASSIGN_OR_RETURN(std::optional<std::string> filled,
                        ApplyDefaultsIfMissing(schema, document, context));
  if (!filled) return std::string(document);
  return std::move(*filled);
}

}  // namespace daas::schema
