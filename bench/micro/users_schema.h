// The "users" collection the schema benchmarks share (schema_micro.cc times the schema layer on
// it, commit_micro.cc whole commits): ten fields with length, format, bound, enum, pattern and
// check rules, two defaults, an array and a nested object.
#pragma once

#include <string>
#include <string_view>

namespace daas::bench {

// The collection's definition (the value under collections.users in a schema file), version 1;
// `email_options` is appended to the email field's options (e.g. `, "unique": true`).
inline std::string UsersCollectionJson(std::string_view email_options = "") {
  return std::string(R"({"version": 1, "fields": {
  "name": {"type": "string", "required": true, "minLength": 1, "maxLength": 80},
  "email": {"type": "string", "format": "email", "required": true)") +
         std::string(email_options) + R"(},
  "age": {"type": "int", "min": 0, "max": 150},
  "balance": {"type": "float", "check": "balance >= 0"},
  "role": {"type": "string", "enum": ["admin", "user", "guest"], "default": "user"},
  "active": "bool",
  "joined": {"type": "datetime", "default": {"$expr": "@now"}},
  "tags": {"type": "array", "items": {"type": "string", "maxLength": 16}, "maxLength": 8},
  "address": {"type": "object", "fields": {"city": {"type": "string", "required": true},
                                            "zip": "string"}},
  "country": {"type": "string", "pattern": "^[A-Z]{2}$"}}})";
}

}  // namespace daas::bench
