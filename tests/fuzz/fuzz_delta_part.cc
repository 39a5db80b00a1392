// File: tests/fuzz/fuzz_delta_part.cc
// Decode the operations of a delta part; anything accepted must re-encode
// byte for byte. Every patch it carries is then run through its engine
// against a fixed base: engines see hostile patches only after the part's
// checksum passed, but must refuse them cleanly all the same. A new-gzip's
// recipe rebuilds a member from its content.
#include <cstddef>
#include <cstdint>

#include "repo/delta/engines.h"
#include "repo/delta/limits.h"
#include "repo/delta/part.h"
#include "tests/fuzz/canonical_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const larch::ByteSpan input(data, size);
  auto decoded = larch::delta::DecodePart(input);
  if (!decoded.ok()) return 0;
  larch::fuzz::TrapUnlessSame(input, larch::delta::EncodePart(*decoded));
  static const larch::Bytes base(4096, 'b');
  for (const larch::delta::PartOp& op : *decoded) {
    if (op.head.kind == larch::delta::OpKind::kNewGzip) {
      // The applier rebuilds the member from the content by the recipe.
      if (!larch::delta::RebuildGzip(op.head.gzip, op.payload).ok()) __builtin_trap();
      continue;
    }
    if (!larch::delta::IsPatch(op.head.kind)) continue;
    auto out = larch::delta::ApplyPatch(op.head.kind, base, op.payload,
                                        static_cast<size_t>(op.head.header.size));
    if (out.ok() && out->size() != op.head.header.size) __builtin_trap();
  }
  return 0;
}
