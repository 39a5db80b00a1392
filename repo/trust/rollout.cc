// File: repo/trust/rollout.cc
#include "repo/trust/rollout.h"

#include "src/crypto/sha256.h"

namespace larch::trust {

namespace {

constexpr std::string_view kBucketTag = "larch-rollout-bucket-1";

std::string ShortId(const repo::ObjectId& id) { return id.Hex().substr(0, 12); }

}  // namespace

uint32_t RolloutBucket(std::string_view device_id, const repo::ObjectId& commit) {
  crypto::Sha256 h;
  // Length-prefixed fields: ("ab", "c") and ("a", "bc") must differ.
  auto field = [&h](std::string_view s) {
    const uint64_t n = s.size();
    uint8_t len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(n >> (8 * i));
    h.Update(ByteSpan(len, 8));
    h.Update(ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  field(kBucketTag);
  field(device_id);
  field(commit.Hex());
  const crypto::Sha256Digest d = h.Finish();
  uint64_t x = 0;
  for (int i = 0; i < 4; ++i) x = (x << 8) | d[i];
  // x / 2^32 * 10000: each bucket gets 429,496 or 429,497 of the 2^32 values.
  return static_cast<uint32_t>((x * kFullRollout) >> 32);
}

OfferDecision DecideOffer(const repo::Summary& summary, const repo::SummaryRef& head, const RolloutContext& context) {
  OfferDecision d;
  d.entry = &head;
  const bool runs_head = context.running && *context.running == head.commit;
  if (const repo::SummaryRecall* recall = summary.FindRecall(head.name)) {
    if (runs_head) {
      d.offer = Offer::kRecallTarget;
      d.entry = &recall->to;
      d.reason = "release " + ShortId(recall->recalled) + " (version " + head.version + ") of " + head.name +
                 " is recalled: back to " + ShortId(recall->to.commit) + " (version " + recall->to.version + ")";
    } else {
      d.offer = Offer::kRecalled;
      d.entry = nullptr;
      d.reason = "the release " + head.name + " offers (version " + head.version + ") is recalled; nothing to install";
    }
    return d;
  }
  const repo::SummaryRollout* rollout = summary.FindRollout(head.name);
  if (rollout == nullptr || runs_head || context.ignore_rollout) return d;
  d.basis_points = rollout->basis_points;
  if (rollout->halted) {
    d.offer = Offer::kHalted;
    d.reason = "update available (version " + head.version + "), its rollout is halted at " +
               FormatShare(rollout->basis_points);
  } else if (context.device_id.empty() || RolloutBucket(context.device_id, head.commit) >= rollout->basis_points) {
    // A device without an id cannot be placed: it waits for 100%.
    d.offer = Offer::kNotYet;
    d.reason = "update available (version " + head.version + "), not yet for this device (staged at " +
               FormatShare(rollout->basis_points) + ")" +
               (context.device_id.empty() ? "; this device has no id (device-id= in larch.conf)" : "");
  } else {
    return d;
  }
  d.entry = nullptr;
  return d;
}

std::string FormatShare(uint32_t bp) {
  std::string s = std::to_string(bp / 100);
  const uint32_t frac = bp % 100;
  if (frac != 0) {
    s += '.';
    s += static_cast<char>('0' + frac / 10);
    if (frac % 10 != 0) s += static_cast<char>('0' + frac % 10);
  }
  return s + "%";
}

Result<uint32_t> ParseShare(std::string_view text) {
  const std::string original(text);
  if (!text.empty() && text.back() == '%') text.remove_suffix(1);
  uint32_t whole = 0, frac = 0;
  size_t i = 0, digits = 0, decimals = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 3; ++i, ++digits) whole = whole * 10 + (text[i] - '0');
  bool ok = digits > 0;
  if (ok && i < text.size() && text[i] == '.') {
    ++i;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9' && decimals < 2; ++i, ++decimals)
      frac = frac * 10 + (text[i] - '0');
    ok = decimals > 0;
    if (decimals == 1) frac *= 10;
  }
  const uint32_t bp = whole * 100 + frac;
  if (!ok || i != text.size() || bp > kFullRollout)
    return Status::InvalidArgument("rollout share '" + original + "' is not a percentage from 0 to 100 in steps of 0.01");
  return bp;
}

}  // namespace larch::trust
