// File: tools/larch/exit_codes.h
// The one table from Status codes to process exit codes (docs/cli.md).
#pragma once

#include "src/base/status.h"

namespace larch::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,        // I/O and other failures; target already exists
  kExitUsage = 2,        // bad arguments, invalid names
  kExitNotFound = 3,     // no such ref, commit, object or path
  kExitCorruption = 4,   // corrupt or missing data (fsck found problems)
  kExitVerify = 5,       // a signature or trust rule refused the input
  kExitNoSpace = 6,      // disk full or free-space guard
  kExitUnsupported = 7,  // valid request Larch declines (device nodes, ...)
  kExitNoUpdate = 77,    // admin upgrade --check: no update (as rpm-ostree upgrade --check)
};

inline int ExitCodeFor(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument: return kExitUsage;
    case StatusCode::kNotFound: return kExitNotFound;
    case StatusCode::kCorruption: return kExitCorruption;
    case StatusCode::kVerifyFailed: return kExitVerify;
    case StatusCode::kNoSpace: return kExitNoSpace;
    case StatusCode::kUnsupported: return kExitUnsupported;
    case StatusCode::kAlreadyExists:
    case StatusCode::kIoError:
    case StatusCode::kCancelled: return kExitError;
  }
  return kExitError;
}

}  // namespace larch::cli
