// File: repo/delta/elf_patch.cc
#include "repo/delta/elf_patch.h"

#include <algorithm>

#include "repo/delta/apply_in_memory.h"
#include "repo/delta/bsdiff.h"
#include "repo/delta/elf_image.h"
#include "repo/delta/elf_patch_header.h"
#include "repo/delta/elf_symbols.h"
#include "repo/delta/limits.h"

namespace larch::delta {

namespace {

// The base is rewritten in chunks of this size.
constexpr size_t kBaseChunk = 1u << 20;

Result<ElfPatchHeader> PlanPatch(ByteSpan base, ByteSpan target, ByteSpan raw_bsdiff) {
  LARCH_ASSIGN_OR_RETURN(ElfImage old_image, ParseElf(base));
  LARCH_ASSIGN_OR_RETURN(ElfImage new_image, ParseElf(target));
  if (old_image.machine != new_image.machine) return Status::Unsupported("elf: machines differ");
  ElfPatchHeader header;
  header.machine = old_image.machine;
  LARCH_ASSIGN_OR_RETURN(header.base, LayoutOf(old_image, base, true));
  LARCH_ASSIGN_OR_RETURN(header.target, LayoutOf(new_image, target, false));
  LARCH_ASSIGN_OR_RETURN(std::vector<BsdiffMatch> matches, BsdiffMatches(raw_bsdiff));
  header.anchors = MakeAnchors(matches, base, old_image, new_image,
                               SymbolAnchors(base, old_image, target, new_image));
  return header;
}

class MemoryScratch : public RandomAccess {
 public:
  uint64_t size() const override { return data_.size(); }
  Status ReadAt(uint64_t offset, MutableByteSpan buf) override {
    return SpanRandomAccess(data_).ReadAt(offset, buf);
  }
  Bytes data_;
};

// `expected`: the rewritten base's size (the base's), reserved at once: an
// 8 MB base grown chunk by chunk was copied about 20 times over.
Result<std::unique_ptr<RandomAccess>> InMemory(const ScratchWriter& produce, size_t expected) {
  auto scratch = std::make_unique<MemoryScratch>();
  scratch->data_.reserve(expected);
  LARCH_RETURN_IF_ERROR(produce([&](ByteSpan chunk) {
    scratch->data_.insert(scratch->data_.end(), chunk.begin(), chunk.end());
    return Status::Ok();
  }));
  return std::unique_ptr<RandomAccess>(std::move(scratch));
}

// The base, read in order, rewritten into scratch space.
Result<std::unique_ptr<RandomAccess>> RewriteBase(RandomAccess& base, const ElfPatchHeader& header,
                                                  const AddressMap& map, const Scratch& scratch) {
  return scratch([&](const compress::Sink& sink) -> Status {
    RefTransformer rewrite(header.machine, header.base, RefDirection::kToAbsoluteMapped, &map, sink);
    Bytes chunk;
    for (uint64_t at = 0; at < base.size(); at += chunk.size()) {
      chunk.resize(static_cast<size_t>(std::min<uint64_t>(kBaseChunk, base.size() - at)));
      LARCH_RETURN_IF_ERROR(base.ReadAt(at, chunk));
      LARCH_RETURN_IF_ERROR(rewrite.Feed(chunk));
    }
    return rewrite.Finish();
  });
}

}  // namespace

Result<Bytes> ElfPatchCreate(ByteSpan base, ByteSpan target, ByteSpan raw_bsdiff) {
  LARCH_ASSIGN_OR_RETURN(ElfPatchHeader header, PlanPatch(base, target, raw_bsdiff));
  AddressMap map(header.anchors);
  LARCH_ASSIGN_OR_RETURN(Bytes old_rewritten, TransformRefs(header.machine, header.base,
                                                            RefDirection::kToAbsoluteMapped, &map, base));
  LARCH_ASSIGN_OR_RETURN(Bytes new_rewritten, TransformRefs(header.machine, header.target,
                                                            RefDirection::kToAbsolute, nullptr, target));
  LARCH_ASSIGN_OR_RETURN(Bytes inner, BsdiffCreate(old_rewritten, new_rewritten, DiffForm::kSparse));
  old_rewritten = {};
  new_rewritten = {};
  Bytes patch = EncodeElfPatchHeader(header);
  patch.insert(patch.end(), inner.begin(), inner.end());
  inner = {};
  if (patch.size() > kMaxBsdiffPatch) return Status::Unsupported("elf: patch above the engine's limits");
  Result<Bytes> check = ElfPatchApply(base, patch, target.size());
  if (!check.ok() || !std::equal(check->begin(), check->end(), target.begin(), target.end()))
    return Status::Unsupported("elf: the patch does not reproduce the target");
  return patch;
}

Status ElfPatchApplyStream(RandomAccess& base, ByteSource& patch, uint64_t target_size,
                           const compress::Sink& out, const Scratch& scratch) {
  LARCH_ASSIGN_OR_RETURN(ElfPatchHeader header, ReadElfPatchHeader(patch, base.size(), target_size));
  std::unique_ptr<RandomAccess> rewritten;
  {
    // Held only while the base is rewritten: memory for the blocks after.
    AddressMap map(std::move(header.anchors));
    LARCH_ASSIGN_OR_RETURN(rewritten, RewriteBase(base, header, map, scratch));
  }
  RefTransformer undo(header.machine, header.target, RefDirection::kToRelative, nullptr, out);
  LARCH_RETURN_IF_ERROR(BsdiffApplyStream(*rewritten, patch, target_size,
                                          [&](ByteSpan block) { return undo.Feed(block); },
                                          kMaxBsdiffBlockControls));
  return undo.Finish();
}

Result<Bytes> ElfPatchApply(ByteSpan base, ByteSpan patch, size_t target_size) {
  SpanRandomAccess old(base);
  return ApplyInMemory(
      patch, target_size,
      [&](ByteSource& src, const compress::Sink& out) {
        return ElfPatchApplyStream(old, src, target_size, out, [&](const ScratchWriter& produce) {
          return InMemory(produce, base.size());
        });
      },
      Status::Corruption("elf patch: bytes after the last block"));
}

}  // namespace larch::delta
