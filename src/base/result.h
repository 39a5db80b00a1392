// File: src/base/result.h
//
// Result<T>: a value or a non-OK Status (C++20 has no std::expected). Check
// ok() before value(); the macros below keep call sites short:
//
//   LARCH_ASSIGN_OR_RETURN(UniqueFd dir, fs.OpenDirPath(root, "objects"));
//   LARCH_RETURN_IF_ERROR(fs.Fsync(dir.get()));
#pragma once

#include <cassert>
#include <optional>
#include <utility>

#include "src/base/status.h"

namespace larch {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result built from an OK Status has no value");
    if (status_.ok()) status_ = Status::IoError("internal: Result from OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const& { return status_; }
  // By value on temporaries, so `Call().status()` never dangles.
  Status status() && { return std::move(status_); }

  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  Result WithContext(std::string_view context) && {
    if (ok()) return std::move(*this);
    return Result(status_.WithContext(context));
  }

 private:
  std::optional<T> value_;
  Status status_;
};

namespace internal {
inline const Status& AsStatus(const Status& s) { return s; }
template <typename T>
const Status& AsStatus(const Result<T>& r) { return r.status(); }
}  // namespace internal

}  // namespace larch

#define LARCH_CONCAT_INNER(a, b) a##b
#define LARCH_CONCAT(a, b) LARCH_CONCAT_INNER(a, b)

#define LARCH_RETURN_IF_ERROR(expr)                                      \
  do {                                                                   \
    const auto& _larch_st = (expr);                                      \
    if (!::larch::internal::AsStatus(_larch_st).ok())                    \
      return ::larch::internal::AsStatus(_larch_st);                     \
  } while (0)

#define LARCH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()

#define LARCH_ASSIGN_OR_RETURN(lhs, expr) \
  LARCH_ASSIGN_OR_RETURN_IMPL(LARCH_CONCAT(_larch_r, __COUNTER__), lhs, expr)
