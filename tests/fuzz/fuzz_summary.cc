// File: tests/fuzz/fuzz_summary.cc
// A signed summary as a device receives it: envelope first, then the body.
// Anything accepted must be valid and re-encode byte for byte.
#include <cstddef>
#include <cstdint>

#include "repo/objects/signed_envelope.h"
#include "repo/objects/summary.h"
#include "tests/fuzz/canonical_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace larch::repo;
  const larch::ByteSpan input(data, size);
  auto env = DecodeSignedEnvelope(input, SignedKind::kSummary, kMaxSummarySize);
  if (env.ok()) {
    if (!ValidateSignedEnvelope(*env).ok()) __builtin_trap();
    larch::fuzz::TrapUnlessSame(input, EncodeSignedEnvelope(*env));
  }
  // Also the body decoder on its own, so the fuzzer need not find the envelope.
  auto summary = DecodeSummary(env.ok() ? larch::ByteSpan(env->body) : input);
  if (!summary.ok()) return 0;
  if (!ValidateSummary(*summary).ok()) __builtin_trap();
  larch::fuzz::TrapUnlessSame(env.ok() ? larch::ByteSpan(env->body) : input, EncodeSummary(*summary));
  return 0;
}
