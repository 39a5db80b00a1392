#include "src/base/status.h"

#include <cerrno>
#include <cstring>

namespace larch {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kNotFound: return "not found";
    case StatusCode::kAlreadyExists: return "already exists";
    case StatusCode::kCorruption: return "corruption";
    case StatusCode::kVerifyFailed: return "verification failed";
    case StatusCode::kIoError: return "I/O error";
    case StatusCode::kNoSpace: return "no space";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kCancelled: return "cancelled";
  }
  return "unknown";
}

Status Status::IoError(std::string msg, int err) {
  return Status(StatusCode::kIoError, std::move(msg), err);
}

Status Status::FromErrno(int err, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += std::strerror(err);
  switch (err) {
    case ENOENT: return Status(StatusCode::kNotFound, std::move(msg), err);
    case EEXIST: return Status(StatusCode::kAlreadyExists, std::move(msg), err);
    case ENOSPC:
    case EDQUOT: return Status(StatusCode::kNoSpace, std::move(msg), err);
    default: return Status(StatusCode::kIoError, std::move(msg), err);
  }
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, std::move(msg), errno_);
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return message_;
}

}  // namespace larch
