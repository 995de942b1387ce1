// Google Benchmark micro benchmarks of the schema layer (src/schema): validating a typical
// 10-field document (strings with length and format rules, numbers with bounds, an enum, a
// datetime, an array, a nested object and one check constraint) with a reused Validator, the
// one-shot Validate, and applying defaults (to a document missing some, one-shot and with a reused
// Validator, and to one missing none).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "daas/options.h"
#include "doc/json.h"
#include "schema/schema.h"
#include "schema/validate.h"
#include "users_schema.h"

namespace daas::bench {
namespace {

constexpr const char* kDocument = R"({"name": "Ada Lovelace", "email": "ada@example.com",
  "age": 36, "balance": 1250.5, "role": "admin", "active": true,
  "joined": "2024-05-01 10:00:00.000Z", "tags": ["math", "poetry", "engines"],
  "address": {"city": "London", "zip": "W1"}, "country": "GB"})";

template <typename T>
T Must(Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "schema_micro: %s: %s\n", what, r.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

// A schema file holding only the "users" collection.
const std::string& SchemaFile() {
  static const std::string* f =
      new std::string(R"({"collections": {"users": )" + UsersCollectionJson() + "}}");
  return *f;
}

const schema::Schema& TheSchema() {
  static const schema::Schema* s =
      new schema::Schema(Must(schema::ParseSchemaFile(SchemaFile()), "schema"));
  return *s;
}

const std::string& TheDocument() {
  static const std::string* d =
      new std::string(Must(doc::JsonToMsgpack(kDocument, DocumentLimits()), "document"));
  return *d;
}

void BM_SchemaValidate10Fields(benchmark::State& state) {
  const schema::CollectionSchema& users = TheSchema().collections[0];
  const std::string& d = TheDocument();
  schema::Validator validator(users, {1715780730250000});
  std::vector<schema::Violation> out;
  for (auto _ : state) {
    out.clear();
    auto n = validator.Validate(d, schema::ValidationMode::kCreate, "", &out);
    if (!n.ok() || *n != 0) state.SkipWithError("document should be valid");
    benchmark::DoNotOptimize(n);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * d.size()));
}
BENCHMARK(BM_SchemaValidate10Fields);

void BM_SchemaValidateOneShot(benchmark::State& state) {
  const schema::CollectionSchema& users = TheSchema().collections[0];
  const std::string& d = TheDocument();
  for (auto _ : state) {
    auto v = schema::Validate(users, d, schema::ValidationMode::kCreate, "", {1715780730250000});
    benchmark::DoNotOptimize(v);
  }
}
BENCHMARK(BM_SchemaValidateOneShot);

void BM_SchemaApplyDefaults(benchmark::State& state) {
  const schema::CollectionSchema& users = TheSchema().collections[0];
  const std::string d = Must(
      doc::JsonToMsgpack(R"({"name": "Ada", "email": "a@b.co"})", DocumentLimits()), "document");
  for (auto _ : state) {
    auto r = schema::ApplyDefaults(users, d, {1715780730250000});
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_SchemaApplyDefaults);

// The same through a reused Validator, as the engine fills an insert's defaults: the `@now`
// default's Evaluator is built once, not per document.
void BM_SchemaApplyDefaultsReusedValidator(benchmark::State& state) {
  const schema::CollectionSchema& users = TheSchema().collections[0];
  const std::string d = Must(
      doc::JsonToMsgpack(R"({"name": "Ada", "email": "a@b.co"})", DocumentLimits()), "document");
  schema::Validator validator(users, {1715780730250000});
  for (auto _ : state) {
    auto r = validator.ApplyDefaultsIfMissing(d);
    if (!r.ok() || !r->has_value()) state.SkipWithError("defaults should be missing");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_SchemaApplyDefaultsReusedValidator);

// The usual insert: every defaulted field given, so nothing is copied or re-encoded.
void BM_SchemaApplyDefaultsNoneMissing(benchmark::State& state) {
  const schema::CollectionSchema& users = TheSchema().collections[0];
  const std::string& d = TheDocument();
  for (auto _ : state) {
    auto r = schema::ApplyDefaultsIfMissing(users, d, {1715780730250000});
    if (!r.ok() || r->has_value()) state.SkipWithError("nothing should be missing");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_SchemaApplyDefaultsNoneMissing);

void BM_SchemaParseFile(benchmark::State& state) {
  for (auto _ : state) {
    auto s = schema::ParseSchemaFile(SchemaFile());
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_SchemaParseFile);

}  // namespace
}  // namespace daas::bench
