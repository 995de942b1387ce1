#include "daas/status.h"

#include <gtest/gtest.h>

#include "core/status_macros.h"

namespace daas {
namespace {

TEST(Status, DefaultIsOkAndEmpty) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(Status, CarriesCodeAndMessageThroughCopies) {
  Status s = Status::NotFound("no document x");
  Status copy = s;
  EXPECT_EQ(copy.code(), StatusCode::kNotFound);
  EXPECT_EQ(copy.ToString(), "not_found: no document x");
  EXPECT_EQ(s.WithContext("get users").message(), "get users: no document x");
}

TEST(Status, DetailTravelsThroughContextAndCopies) {
  const Status s = Status::SchemaViolation("bad").WithDetail(R"({"a":{"code":"x"}})");
  const Status wrapped = s.WithContext("collection 'c'");
  EXPECT_EQ(wrapped.message(), "collection 'c': bad");
  EXPECT_EQ(wrapped.detail(), R"({"a":{"code":"x"}})");
  Status copy = wrapped;
  EXPECT_EQ(copy.detail(), wrapped.detail());
  EXPECT_EQ(Status::NotFound("x").detail(), "");
  EXPECT_TRUE(Status::OK().WithDetail("{}").ok());
  EXPECT_EQ(Status::OK().detail(), "");
}

TEST(Status, ViolationsBelongToSchemaViolationsOnly) {
  const std::vector<Violation> v = {{"users", "", "age", "validation_min", "must be at least 0"}};
  const Status bad = Status::SchemaViolation("age too low").WithViolations(v);
  EXPECT_EQ(bad.violations(), v);
  EXPECT_EQ(bad.WithContext("insert").violations(), v);
  EXPECT_TRUE(Status::InvalidArgument("x").WithViolations(v).violations().empty());
  EXPECT_TRUE(Status::OK().WithViolations(v).violations().empty());
}

TEST(Status, CodeNumbersAreStable) {
  // These numbers are part of the C ABI and the HTTP mapping: this test fails if one moves.
  EXPECT_EQ(static_cast<int>(StatusCode::kInvalidArgument), 1);
  EXPECT_EQ(static_cast<int>(StatusCode::kNotFound), 2);
  EXPECT_EQ(static_cast<int>(StatusCode::kSchemaViolation), 5);
  EXPECT_EQ(static_cast<int>(StatusCode::kResourceExhausted), 8);
  EXPECT_EQ(static_cast<int>(StatusCode::kCorruption), 11);
  EXPECT_EQ(static_cast<int>(StatusCode::kInternal), 14);
  EXPECT_STREQ(StatusCodeName(StatusCode::kIOError), "io_error");
}

Result<int> Half(int v) {
  if (v % 2) return Status::InvalidArgument("odd");
  return v / 2;
}

Status Quarter(int v, int* out) {
  DAAS_ASSIGN_OR_RETURN(int h, Half(v));
  DAAS_ASSIGN_OR_RETURN(*out, Half(h));
  return Status::OK();
}

TEST(Result, PropagatesErrorsAndValues) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = Quarter(6, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  Result<int> bad = Status::OK();  // a programming error, reported rather than hidden
  EXPECT_EQ(bad.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace daas
