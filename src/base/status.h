// File: src/base/status.h
//
// Status: the outcome of an operation that can fail. Larch does not throw
// across module boundaries (see docs/decisions.md, "Errors"): every function
// that touches disk, network or untrusted bytes returns a Status or a
// Result<T>, so each exit of a durability sequence is visible in review and
// reachable from the fault-injection tests.
//
//   Status s = WriteRef(store, name, id);
//   if (!s.ok()) return s.WithContext("updating " + name);
#pragma once

#include <string>
#include <string_view>

namespace larch {

// The codes are few on purpose: callers branch on them (NotFound and
// AlreadyExists are normal outcomes), the CLI maps them to exit codes in one
// table (tools/larch/exit_codes.h), and the message carries the detail.
enum class StatusCode {
  kOk = 0,
  kNotFound,
  kAlreadyExists,
  kCorruption,       // stored or received bytes are malformed or do not hash right
  kVerifyFailed,     // a signature, policy or trust rule refused the input
  kIoError,          // the OS said no; errno() has the detail
  kNoSpace,          // ENOSPC/EDQUOT, or a free-space guard
  kInvalidArgument,  // the caller's input is wrong (bad name, bad option)
  kUnsupported,      // a valid request we decline (e.g. device nodes)
  kCancelled,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  static Status AlreadyExists(std::string msg) { return Status(StatusCode::kAlreadyExists, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(StatusCode::kCorruption, std::move(msg)); }
  static Status VerifyFailed(std::string msg) { return Status(StatusCode::kVerifyFailed, std::move(msg)); }
  static Status InvalidArgument(std::string msg) { return Status(StatusCode::kInvalidArgument, std::move(msg)); }
  static Status Unsupported(std::string msg) { return Status(StatusCode::kUnsupported, std::move(msg)); }
  static Status NoSpace(std::string msg) { return Status(StatusCode::kNoSpace, std::move(msg)); }
  static Status Cancelled(std::string msg) { return Status(StatusCode::kCancelled, std::move(msg)); }
  static Status IoError(std::string msg, int err = 0);

  // The one place errno becomes a Status. ENOENT maps to kNotFound, EEXIST to
  // kAlreadyExists, ENOSPC/EDQUOT to kNoSpace, everything else to kIoError.
  // The message reads "<context>: <strerror>".
  static Status FromErrno(int err, std::string_view context);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  int sys_errno() const { return errno_; }
  const std::string& message() const { return message_; }

  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsAlreadyExists() const { return code_ == StatusCode::kAlreadyExists; }
  bool IsCorruption() const { return code_ == StatusCode::kCorruption; }

  // "context: message"; an OK status stays OK.
  Status WithContext(std::string_view context) const;
  std::string ToString() const;

 private:
  Status(StatusCode code, std::string msg, int err = 0)
      : code_(code), errno_(err), message_(std::move(msg)) {}

  StatusCode code_ = StatusCode::kOk;
  int errno_ = 0;
  std::string message_;
};

}  // namespace larch
