// Status and Result: how every fallible DaaS call reports failure, as a value (STYLE.md §4).
//
// Invariant: a StatusCode's number never changes once released. The same numbers are returned by
// the C ABI (daas.h) and mapped to HTTP statuses in one table, so they are part of the wire
// contract.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace daas {

// Stable error codes. Persisted and exported: never renumber or reuse a value.
enum class StatusCode : int32_t {
  kOk = 0,
  kInvalidArgument = 1,    // the request itself is malformed: bad JSON, bad ID text, bad name
  kNotFound = 2,           // no such document, collection or file
  kAlreadyExists = 3,      // a collection name or unique key is taken
  kConflict = 4,           // a concurrent change won; retrying would change the meaning
  kSchemaViolation = 5,    // the document breaks a schema rule or constraint
  kUnauthenticated = 6,    // no or bad credentials
  kPermissionDenied = 7,   // credentials are fine, the rule says no
  kResourceExhausted = 8,  // a limit was hit: document size, nesting depth, slots, memory quota,
                           // or space: a full disk or quota (ENOSPC, EDQUOT), out of memory
  kBusy = 9,               // try again later
  kAborted = 10,           // the operation was cancelled or its transaction aborted
  kCorruption = 11,        // stored bytes fail their checksum or grammar
  kIOError = 12,           // the operating system refused a read, write or sync (a device or
                           // file error; a full disk is kResourceExhausted)
  kNotSupported = 13,      // valid, but not implemented by this build or mode
  kInternal = 14,          // a DaaS bug: please report it
};

// "invalid_argument", "not_found", ...: the stable snake_case name printed by the CLI and the API.
const char* StatusCodeName(StatusCode code) noexcept;

// One rule a document breaks: the structured form of a SchemaViolation (Status::violations()).
// How a face shows it (an HTTP error's field map, a DaasError) is that face's business.
struct Violation {
  std::string collection;
  std::string document;  // the document's ID; empty for one not inserted yet
  std::string field;     // dotted path ("age", "address.city", "items.2.price"); empty for a
                         // check of the whole document
  std::string code;      // stable: "validation_required", "validation_min", ... (docs/schema.md)
  std::string message;   // the rule and the value found: "must be >= 18 (min), found 12"
  bool operator==(const Violation&) const = default;
};

// A code and a message. OK carries nothing and does not allocate.
// Thread-compatible: const methods may be called concurrently; copies are independent.
class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(StatusCode code, std::string_view message);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  static Status OK() noexcept { return Status(); }
  static Status InvalidArgument(std::string_view msg) {
    return {StatusCode::kInvalidArgument, msg};
  }
  static Status NotFound(std::string_view msg) { return {StatusCode::kNotFound, msg}; }
  static Status AlreadyExists(std::string_view msg) { return {StatusCode::kAlreadyExists, msg}; }
  static Status Conflict(std::string_view msg) { return {StatusCode::kConflict, msg}; }
  static Status SchemaViolation(std::string_view msg) {
    return {StatusCode::kSchemaViolation, msg};
  }
  static Status ResourceExhausted(std::string_view msg) {
    return {StatusCode::kResourceExhausted, msg};
  }
  static Status Busy(std::string_view msg) { return {StatusCode::kBusy, msg}; }
  static Status Aborted(std::string_view msg) { return {StatusCode::kAborted, msg}; }
  static Status Corruption(std::string_view msg) { return {StatusCode::kCorruption, msg}; }
  static Status IOError(std::string_view msg) { return {StatusCode::kIOError, msg}; }
  static Status NotSupported(std::string_view msg) { return {StatusCode::kNotSupported, msg}; }
  static Status Internal(std::string_view msg) { return {StatusCode::kInternal, msg}; }

  bool ok() const noexcept { return state_ == nullptr; }
  StatusCode code() const noexcept { return state_ ? state_->code : StatusCode::kOk; }
  std::string_view message() const noexcept {
    return state_ ? std::string_view(state_->message) : std::string_view();
  }
  // Machine-readable details, as JSON, for errors that have them: for SchemaViolation, its
  // violations() as an array of {"collection", "document", "field", "code", "message"}. Empty
  // otherwise.
  std::string_view detail() const noexcept {
    return state_ ? std::string_view(state_->detail) : std::string_view();
  }
  // The same status with `detail` set; OK stays OK.
  Status WithDetail(std::string_view detail) const;
  // A SchemaViolation's violations, every one, in the order found; empty for other errors.
  const std::vector<Violation>& violations() const noexcept;
  // The same status with `violations` set when it is a SchemaViolation; any other status is
  // returned as it is (violations() stays empty for them).
  Status WithViolations(std::vector<Violation> violations) const;
  // "not_found: no document ..." or "ok".
  std::string ToString() const;
  // The same code and detail with "context: " put before the message; OK stays OK.
  Status WithContext(std::string_view context) const;
  // Marks a status as deliberately dropped; say why in a comment at the call.
  void IgnoreError() const noexcept {}

 private:
  struct State {
    StatusCode code;
    std::string message;
    std::string detail;
    std::vector<Violation> violations;
  };
  std::unique_ptr<State> state_;
};

// A value of type T, or the non-OK Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  // Implicit on purpose, so `return value;` and `return status;` both work.
  Result(T value) : v_(std::in_place_index<1>, std::move(value)) {}        // NOLINT
  Result(Status status) : v_(std::in_place_index<0>, std::move(status)) {  // NOLINT
    if (std::get<0>(v_).ok()) {
      v_.template emplace<0>(StatusCode::kInternal, "Result constructed from an OK status");
    }
  }

  bool ok() const noexcept { return v_.index() == 1; }
  const Status& status() const& noexcept {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<0>(v_);
  }
  Status status() && { return ok() ? Status() : std::move(std::get<0>(v_)); }

  // Requires: ok().
  T& value() & { return std::get<1>(v_); }
  const T& value() const& { return std::get<1>(v_); }
  T&& value() && { return std::get<1>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace daas
