#include "engine/base/status.h"

#include <cstring>

namespace credsweep {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "Invalid argument";
    case StatusCode::kNotFound: return "Not found";
    case StatusCode::kCorruption: return "Corruption";
    case StatusCode::kIOError: return "I/O error";
    case StatusCode::kUnavailable: return "Unavailable";
    case StatusCode::kPermissionDenied: return "Permission denied";
    case StatusCode::kFailedPrecondition: return "Failed precondition";
    case StatusCode::kInternal: return "Internal error";
  }
  return "Unknown";
}

Status Status::FromErrno(const std::string& what, int err) {
  return IOError(what + ": " + std::strerror(err));
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code())) + ": " + message();
}

Status Status::WithContext(const std::string& context) const {
  if (ok()) return *this;
  return Status(code(), context + ": " + message());
}

int ExitCodeFor(const Status& s) {
  if (s.ok()) return kExitOk;
  if (s.code() == StatusCode::kInvalidArgument) return kExitUsage;
  return kExitRuntime;
}

}  // namespace credsweep
