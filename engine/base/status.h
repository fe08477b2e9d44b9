// Status and Result<T>: errors as values across module boundaries.
//
// Every fallible function in credsweep returns Status (no value) or Result<T> (a value or a
// Status). Only main() turns a Status into an exit code (ExitCodeFor below); nothing else calls
// exit() or abort(). Messages say what was wrong, where (FILE:LINE, DN, URL) and what to do —
// and never contain a password, an NT hash or a bind secret.
//
// Example:
//   Result<Manifest> m = Manifest::Load(dir);
//   if (!m.ok()) return m.status().WithContext("opening store " + dir);
//   Use(m.value());
//
// Thread-safety: plain values; copy freely. An OK Status holds no allocation.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <variant>

namespace credsweep {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad input from the user: options, config, a malformed line
  kNotFound,            // a file, account or key that should exist does not
  kCorruption,          // a persisted file fails its magic/version/checksum/size check
  kIOError,             // the OS said no: open, read, write, mmap, rename
  kUnavailable,         // a server could not be reached (LDAP, SMTP)
  kPermissionDenied,    // a server refused an operation (bind, modify)
  kFailedPrecondition,  // the world is not in the state needed (lock held, cap exceeded)
  kInternal,            // a bug in credsweep
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return {StatusCode::kInvalidArgument, std::move(msg)}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) { return {StatusCode::kPermissionDenied, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) { return {StatusCode::kFailedPrecondition, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }
  // IOError from errno: "<what>: <strerror(errno)>".
  static Status FromErrno(const std::string& what, int err);

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  const std::string& message() const;
  // "Corruption: <message>" or "OK".
  std::string ToString() const;
  // Prefixes the message: "<context>: <message>". No-op on OK.
  Status WithContext(const std::string& context) const;

 private:
  Status(StatusCode code, std::string msg)
      : rep_(std::make_shared<const Rep>(Rep{code, std::move(msg)})) {}
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;
};

// Process exit codes shared by every subcommand (README "Exit codes"):
//   0 success, 1 "found something" (leaked input / failed actions — set by the command itself),
//   2 usage or configuration error (kInvalidArgument), 3 runtime error (everything else).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFound = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRuntime = 3;
int ExitCodeFor(const Status& s);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                 // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}          // NOLINT: must not be OK
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace credsweep

// Early return on error: CS_RETURN_IF_ERROR(DoThing());
#define CS_RETURN_IF_ERROR(expr)                          \
  do {                                                    \
    ::credsweep::Status cs_status_ = (expr);              \
    if (!cs_status_.ok()) return cs_status_;              \
  } while (0)

// Assigns a Result's value or returns its status: CS_ASSIGN_OR_RETURN(auto x, Load());
#define CS_CONCAT_INNER_(a, b) a##b
#define CS_CONCAT_(a, b) CS_CONCAT_INNER_(a, b)
#define CS_ASSIGN_OR_RETURN(lhs, expr) CS_ASSIGN_OR_RETURN_IMPL_(CS_CONCAT_(cs_result_, __LINE__), lhs, expr)
#define CS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
