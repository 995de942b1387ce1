#include "daas/status.h"

namespace daas {

const char* StatusCodeName(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kAlreadyExists:
      return "already_exists";
    case StatusCode::kConflict:
      return "conflict";
    case StatusCode::kSchemaViolation:
      return "schema_violation";
    case StatusCode::kUnauthenticated:
      return "unauthenticated";
    case StatusCode::kPermissionDenied:
      return "permission_denied";
    case StatusCode::kResourceExhausted:
      return "resource_exhausted";
    case StatusCode::kBusy:
      return "busy";
    case StatusCode::kAborted:
      return "aborted";
    case StatusCode::kCorruption:
      return "corruption";
    case StatusCode::kIOError:
      return "io_error";
    case StatusCode::kNotSupported:
      return "not_supported";
    case StatusCode::kInternal:
      return "internal";
  }
  return "unknown";
}

Status::Status(StatusCode code, std::string_view message) {
  if (code != StatusCode::kOk) {
    state_ = std::make_unique<State>(State{code, std::string(message), std::string(), {}});
  }
}

Status::Status(const Status& other)
    : state_(other.state_ ? std::make_unique<State>(*other.state_) : nullptr) {}

Status& Status::operator=(const Status& other) {
  if (this != &other) state_ = other.state_ ? std::make_unique<State>(*other.state_) : nullptr;
  return *this;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string out = StatusCodeName(state_->code);
  out += ": ";
  out += state_->message;
  return out;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return Status();
  std::string msg(context);
  msg += ": ";
  msg += state_->message;
  Status out(state_->code, msg);
  out.state_->detail = state_->detail;
  out.state_->violations = state_->violations;
  return out;
}

const std::vector<Violation>& Status::violations() const noexcept {
  static const std::vector<Violation> kNone;
  return state_ ? state_->violations : kNone;
}

Status Status::WithViolations(std::vector<Violation> violations) const {
  if (code() != StatusCode::kSchemaViolation) return *this;
  Status out(*this);
  out.state_->violations = std::move(violations);
  return out;
}

Status Status::WithDetail(std::string_view detail) const {
  Status out(*this);
  if (out.state_) out.state_->detail = std::string(detail);
  return out;
}

}  // namespace daas
