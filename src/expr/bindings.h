// Bindings: the values of an expression's parameters, @request, @auth and @param, for one
// evaluation context (one HTTP request, one rule check). Each is one MessagePack value, usually a
// map: `@request.auth.id` reads key "auth" then "id" of @request.
//
// Invariant: every value held is well-formed MessagePack (checked when set), so the evaluator may
// read it without further checks.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daas/status.h"
#include "expr/value.h"

namespace daas::expr {

// Thread-compatible: set it up on one thread, then any number of Evaluators may read it
// concurrently while nobody changes it.
class Bindings {
 public:
  // Binds @name ("request", "auth" or "param") to the MessagePack value `msgpack`, replacing any
  // earlier value or fields. Errors: InvalidArgument for another name or bytes that are not one
  // valid MessagePack value (doc::ValidateValue, ceiling limits).
  Status Set(std::string_view name, std::string_view msgpack);
  // As Set, from JSON text (any JSON value).
  Status SetJson(std::string_view name, std::string_view json);
  // Makes @name a map (if it is not one built by SetField already) and sets its key `key` to a
  // typed value: null, bool, numbers, strings, datetimes (stored as MessagePack timestamps).
  // Errors: InvalidArgument for an unknown name, or a value of another type (arrays, maps and
  // binaries go through Set).
  Status SetField(std::string_view name, std::string_view key, const Value& value);

  // The MessagePack bytes bound to @name, or nullptr when unbound (the parameter is then null).
  const std::string* Find(std::string_view name) const;

 private:
  struct Entry {
    std::string name;
    std::string msgpack;
    std::vector<std::pair<std::string, std::string>> fields;  // SetField's keys and values
  };
  Entry* Slot(std::string_view name);

  std::vector<Entry> entries_;
};

}  // namespace daas::expr
