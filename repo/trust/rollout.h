// File: repo/trust/rollout.h
//
// What a device may install from a verified summary, given the publisher's
// rollout control (repo/objects/summary.h; docs/rollouts.md):
//   staged rollout  the ref's head goes to the devices whose bucket is
//                   below the published share; a halted rollout to none;
//   recall          the ref's head is withdrawn: a device running it goes
//                   back to the named release (although older), every
//                   other device installs nothing.
// A device's bucket is a stable function of its id and the release, so the
// same devices go first for one release, the waves differ between releases,
// and a device let in at 10% is still in at 20% (bucket < share).
// Decided only for unattended upgrades: `larch pull` and `admin deploy`
// install what they are told.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "repo/objects/summary.h"
#include "src/base/result.h"

namespace larch::trust {

inline constexpr uint32_t kFullRollout = 10000;  // basis points: 100%

// 0..9999: SHA-256 over a domain tag, the device id and the commit id,
// scaled to 10000 buckets without modulo bias worth the name.
uint32_t RolloutBucket(std::string_view device_id, const repo::ObjectId& commit);

struct RolloutContext {
  std::string device_id;
  std::optional<repo::ObjectId> running;  // the commit the device runs (its booted deployment)
  bool ignore_rollout = false;            // a person installs a staged or halted release anyway
};

enum class Offer {
  kHead,          // install the ref's head
  kRecallTarget,  // install `entry`, the recall's target: the version rule yields
  kNotYet,        // staged: not for this device yet
  kHalted,        // the rollout is halted
  kRecalled,      // the head is recalled and this device does not run it
};

struct OfferDecision {
  Offer offer = Offer::kHead;
  const repo::SummaryRef* entry = nullptr;  // what to install (kHead, kRecallTarget)
  std::string reason;                       // for anything but a plain kHead
  uint32_t basis_points = kFullRollout;     // the staged share (kNotYet, kHalted)
};

// `head` must be summary.FindRef(ref).
OfferDecision DecideOffer(const repo::Summary& summary, const repo::SummaryRef& head, const RolloutContext& context);

// "10%", "0.5%", "12.34%".
std::string FormatShare(uint32_t basis_points);
// "10", "10%", "0.01", "12.5%": 0..100 with at most two decimals.
Result<uint32_t> ParseShare(std::string_view text);

}  // namespace larch::trust
