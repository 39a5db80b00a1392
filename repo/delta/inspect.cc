// File: repo/delta/inspect.cc
#include "repo/delta/inspect.h"

#include "repo/delta/limits.h"
#include "repo/delta/part.h"
#include "repo/delta/part_compression.h"

namespace larch::delta {

namespace {

Result<Bytes> ReadPart(DeltaSource& source, size_t index, const PartInfo& info) {
  Bytes part;
  LARCH_RETURN_IF_ERROR(source.Part(index, info.compressed_size, [&](ByteSpan chunk) -> Status {
    if (part.size() + chunk.size() > info.compressed_size)
      return Status::Corruption("part " + std::to_string(index) + " is larger than declared");
    part.insert(part.end(), chunk.begin(), chunk.end());
    return Status::Ok();
  }));
  if (part.size() != info.compressed_size || crypto::Sha256::Hash(part) != info.sha256)
    return Status::Corruption("part " + std::to_string(index) + " does not match the superblock");
  return part;
}

Status Tally(ByteSpan part, const PartInfo& info, std::array<uint64_t, kNumOpKinds + 1>& bytes) {
  SpanSource compressed(part);
  LARCH_ASSIGN_OR_RETURN(auto raw, OpenPart(compressed, info));
  PartReader reader(*raw);
  LARCH_RETURN_IF_ERROR(reader.Start());
  for (;;) {
    LARCH_ASSIGN_OR_RETURN(std::optional<OpHead> head, reader.Next());
    if (!head) break;
    bytes[static_cast<size_t>(head->kind)] += head->payload_size;
    LARCH_RETURN_IF_ERROR(reader.StreamPayload([](ByteSpan) { return Status::Ok(); }));
  }
  return reader.Finish();
}

}  // namespace

Result<DeltaSummary> InspectDelta(DeltaSource& source, repo::SignedKind kind, bool read_parts) {
  DeltaSummary out;
  LARCH_ASSIGN_OR_RETURN(Bytes file, source.Superblock());
  out.superblock_bytes = file.size();
  LARCH_ASSIGN_OR_RETURN(repo::SignedEnvelope envelope,
                         repo::DecodeSignedEnvelope(file, kind, kMaxSuperblockSize));
  out.signatures = envelope.signatures.size();
  LARCH_ASSIGN_OR_RETURN(out.superblock, DecodeSuperblock(envelope.body));
  for (const PartInfo& p : out.superblock.parts)
    for (const PartObject& o : p.objects) ++out.count[static_cast<size_t>(o.op)];
  if (!read_parts) return out;
  out.payload_bytes.emplace();
  for (size_t i = 0; i < out.superblock.parts.size(); ++i) {
    const PartInfo& info = out.superblock.parts[i];
    LARCH_ASSIGN_OR_RETURN(Bytes part, ReadPart(source, i, info));
    LARCH_RETURN_IF_ERROR(Tally(part, info, *out.payload_bytes).WithContext("part " + std::to_string(i)));
  }
  return out;
}

}  // namespace larch::delta
