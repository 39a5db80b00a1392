// File: deploy/failed_releases.h
//
// Releases that failed to boot on this device: when `larch admin boot-ok`
// finds the boot-time helper fell back, the default it gave up on is
// recorded here (state database, schema step 3). `larch admin upgrade`
// then leaves that commit alone, so that a device whose operator rolled
// back or undeployed a bad release does not install it again from the
// unattended timer and burn its boot tries once more. An explicit `larch
// admin deploy` still installs it: a person decided.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "src/base/result.h"
#include "src/sqlite/database.h"

namespace larch::deploy {

struct FailedRelease {
  std::string os;
  std::string commit;  // hex
  uint64_t time = 0;   // 0: now
  std::string reason;  // why the helper fell back
  bool operator==(const FailedRelease&) const = default;
};

// Records (or refreshes) `release`.
Status RecordFailedRelease(sqlite::Database& db, const FailedRelease& release);
// The record for `os` and `commit`, if this device saw it fail.
Result<std::optional<FailedRelease>> FindFailedRelease(sqlite::Database& db, const std::string& os,
                                                       const std::string& commit);

}  // namespace larch::deploy
