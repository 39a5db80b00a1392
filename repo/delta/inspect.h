// File: repo/delta/inspect.h
//
// What a delta holds, for `larch delta show`: operation counts from the
// superblock and, when the parts are at hand, the uncompressed payload
// bytes each kind of operation takes (parts are checked against the
// superblock and decoded with the same strict decoders apply uses).
#pragma once

#include <array>
#include <optional>

#include "repo/delta/source.h"
#include "repo/delta/superblock.h"
#include "repo/objects/signed_envelope.h"

namespace larch::delta {

struct DeltaSummary {
  DeltaSuperblock superblock;
  size_t superblock_bytes = 0;
  size_t signatures = 0;
  std::array<uint64_t, kNumOpKinds + 1> count{};          // by OpKind value
  std::optional<std::array<uint64_t, kNumOpKinds + 1>> payload_bytes;  // with parts
};

// `kind`: the envelope kind the file must have. With read_parts, every part
// is read, checked and decoded.
Result<DeltaSummary> InspectDelta(DeltaSource& source, repo::SignedKind kind, bool read_parts);

}  // namespace larch::delta
