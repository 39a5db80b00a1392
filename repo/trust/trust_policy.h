// File: repo/trust/trust_policy.h
//
// TrustPolicy: what a device demands before anything from one source
// becomes a ref or a deployment — signatures by `threshold` distinct,
// non-revoked keys of `keyring`, and (when `compatible` is non-empty) a
// commit that declares at least one of the device's compatible ids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "repo/trust/keyring.h"

namespace larch::trust {

struct TrustPolicy {
  std::string name;  // the remote's name (or "bundle"), for messages and trust state
  Keyring keyring;
  uint32_t threshold = 1;
  std::vector<std::string> compatible;  // the device's ids; empty: no check
};

}  // namespace larch::trust
