// Fuzzes the expression language end to end on untrusted text: Parse, Check (with and without a
// schema), Compile and evaluation on fixed documents with parameters bound. Nothing may crash,
// hang or overflow the stack; what parses must print (Ast::ToString) as text that parses to the
// same tree; what compiles must evaluate, or fail only by running out of its step budget.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "daas/options.h"
#include "daas/status.h"
#include "doc/json.h"
#include "expr/bindings.h"
#include "expr/checker.h"
#include "expr/datetime.h"
#include "expr/evaluator.h"
#include "expr/parser.h"
#include "expr/program.h"

namespace {

[[noreturn]] void Fail(const char* what, std::string_view detail = {},
                       const daas::Status& status = daas::Status::OK()) {
  std::fprintf(stderr, "fuzz_expr: %s %.*s %s\n", what, static_cast<int>(detail.size()),
               detail.data(), status.ToString().c_str());
  std::abort();
}

// A schema where a few names are typed and everything else is unknown.
class Schema : public daas::expr::SchemaResolver {
 public:
  std::optional<daas::expr::FieldType> ResolveField(
      const std::vector<daas::expr::PathSegment>& path) const override {
    using daas::expr::FieldKind;
    const std::string& k = path[0].key;
    if (k == "age" || k == "n") return daas::expr::FieldType{FieldKind::kNumber};
    if (k == "name" || k == "s") return daas::expr::FieldType{FieldKind::kString};
    if (k == "tags") return daas::expr::FieldType{FieldKind::kArray, FieldKind::kString};
    if (k == "created") return daas::expr::FieldType{FieldKind::kDatetime};
    if (k == "zz") return std::nullopt;
    return daas::expr::FieldType{};
  }
};

struct Fixture {
  std::vector<std::string> docs;
  daas::expr::Bindings bindings;
};

const Fixture& GetFixture() {
  static const Fixture* f = [] {
    auto* fx = new Fixture;
    for (const char* json : {
             R"({"name": "Ada Lovelace", "age": 36, "tags": ["math", "poet"], "s": "50% off",
                 "n": -9223372036854775808, "big": 18446744073709551615, "f": 2.5,
                 "obj": {"a": {"b": [1, 2, {"c": null}]}}, "created": "2024-05-01 10:00:00.000Z",
                 "none": [], "nul": null, "t": true})",
             R"({"age": "36", "tags": "x", "arr": [[1], [2, [3]]], "e": "", "f": 1e300})", "{}"}) {
      auto mp = daas::doc::JsonToMsgpack(json, daas::DocumentLimits());
      if (!mp.ok()) Fail("fixture document", json, mp.status());
      fx->docs.push_back(*mp);
    }
    if (!fx->bindings.SetJson("request", R"({"auth": {"id": "u1", "role": "admin"}, "n": 3})")
             .ok() ||
        !fx->bindings.SetField("param", "x", daas::expr::Value::Int(5)).ok()) {
      Fail("fixture bindings");
    }
    return fx;
  }();
  return *f;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  daas::expr::Limits limits;
  limits.max_expression_bytes = 4096;
  limits.max_depth = 64;
  limits.max_program_instructions = 4096;
  limits.max_evaluation_steps = 200000;

  auto ast = daas::expr::Parse(text, limits);
  if (!ast.ok()) {
    const auto code = ast.status().code();
    if (code != daas::StatusCode::kInvalidArgument &&
        code != daas::StatusCode::kResourceExhausted) {
      Fail("unexpected parse status", text, ast.status());
    }
    return 0;
  }
  // The canonical text parses back to the same tree.
  const std::string canonical = ast->ToString();
  daas::expr::Limits roomy = limits;
  roomy.max_expression_bytes = 1 << 20;
  roomy.max_depth = 4 * limits.max_depth;  // parentheses and unary operators count too
  auto again = daas::expr::Parse(canonical, roomy);
  if (!again.ok()) Fail("canonical text does not parse:", canonical, again.status());
  if (again->ToString() != canonical) Fail("canonical text parses differently:", canonical);

  // Check may refuse the expression, but only as its contract says: InvalidArgument.
  Schema schema;
  daas::expr::CheckOptions value_mode;
  value_mode.require_condition = false;
  for (const daas::Status& checked :
       {daas::expr::Check(*ast, nullptr), daas::expr::Check(*ast, &schema, value_mode)}) {
    if (!checked.ok() && checked.code() != daas::StatusCode::kInvalidArgument) {
      Fail("unexpected check status", text, checked);
    }
  }

  auto program = daas::expr::Compile(*ast, limits);
  if (!program.ok()) {
    const auto code = program.status().code();
    if (code != daas::StatusCode::kInvalidArgument &&
        code != daas::StatusCode::kResourceExhausted) {
      Fail("unexpected compile status", text, program.status());
    }
    return 0;
  }
  (void)program->Disassemble();
  const Fixture& fx = GetFixture();
  const int64_t now = daas::expr::FromCivil(2024, 5, 15, 13, 45, 30, 250000);
  for (const daas::expr::Bindings* b :
       {&fx.bindings, static_cast<const daas::expr::Bindings*>(nullptr)}) {
    daas::expr::Evaluator ev(*program, daas::expr::EvalContext{b, now});
    for (const std::string& doc : fx.docs) {
      auto v = ev.Evaluate(doc);
      if (!v.ok()) {
        if (v.status().code() != daas::StatusCode::kResourceExhausted) {
          Fail("unexpected evaluation status", text, v.status());
        }
        continue;
      }
      std::string json;
      daas::expr::AppendJson(*v, &json);
      auto m = ev.Matches(doc);
      if (!m.ok()) Fail("Matches failed where Evaluate succeeded", text, m.status());
      if (*m != v->is_true()) Fail("Matches disagrees with Evaluate", text);
    }
  }
  return 0;
}
