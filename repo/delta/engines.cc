// File: repo/delta/engines.cc
#include "repo/delta/engines.h"

#include <algorithm>

#include "repo/delta/bsdiff.h"
#include "repo/delta/elf_patch.h"
#include "repo/delta/gzip_patch.h"
#include "repo/delta/limits.h"
#include "repo/delta/zstd_patch.h"
#include "src/compress/zstd_stream.h"

namespace larch::delta {

namespace {

bool Big(ByteSpan data) { return data.size() > kMaxPatchInput; }

// What text compressed alone costs once compressed in a part with more
// text, as a fraction (see MakeNewGzip).
constexpr uint64_t kTextInPartNum = 3;
constexpr uint64_t kTextInPartDen = 4;

// The candidates, the smallest expected wire size first.
std::vector<PatchCandidate> Sorted(std::vector<PatchCandidate> out) {
  std::stable_sort(out.begin(), out.end(), [](const PatchCandidate& a, const PatchCandidate& b) {
    return a.wire_estimate < b.wire_estimate;
  });
  return out;
}

// What `data` costs once compressed with the part. A big input is measured
// at a fast level: level 19 would take minutes on hundreds of MiB, and the
// estimate only has to rank a patch against the whole file.
Result<uint64_t> CompressedSize(ByteSpan data) {
  int level = Big(data) ? kBigEstimateLevel : kPartLevel;
  int threads = Big(data) ? 2 : 1;
  LARCH_ASSIGN_OR_RETURN(Bytes z, compress::ZstdCompress(data, level, threads));
  return z.size();
}

// The ELF engine's candidate, made from the raw bsdiff patch's matches;
// nullopt for files it does not handle.
Result<std::optional<PatchCandidate>> ElfCandidate(ByteSpan base, ByteSpan target, ByteSpan raw_bsdiff) {
  Result<Bytes> patch = ElfPatchCreate(base, target, raw_bsdiff);
  if (!patch.ok()) {
    if (patch.status().code() == StatusCode::kUnsupported) return std::optional<PatchCandidate>();
    return patch.status();
  }
  LARCH_ASSIGN_OR_RETURN(uint64_t size, CompressedSize(*patch));
  return std::optional<PatchCandidate>(PatchCandidate{OpKind::kPatchElf, std::move(patch).value(), size});
}

// Whether `patch` rebuilds `target` from `base`, checked as a device would
// apply it (block by block, compared as produced: no second copy of a big
// target). A patch that does not is never handed out.
bool Reproduces(ByteSpan base, ByteSpan patch, ByteSpan target) {
  SpanRandomAccess old(base);
  SpanSource src(patch);
  uint64_t at = 0;
  Status s = BsdiffApplyStream(old, src, target.size(), [&](ByteSpan block) -> Status {
    if (block.size() > target.size() - at || !std::equal(block.begin(), block.end(), target.begin() + at))
      return Status::Corruption("differs");
    at += block.size();
    return Status::Ok();
  }, kMaxBsdiffBlockControls);
  uint8_t more;
  Result<size_t> after = src.Read(MutableByteSpan(&more, 1));
  return s.ok() && at == target.size() && after.ok() && *after == 0;
}

}  // namespace

Result<std::vector<PatchCandidate>> MakePatches(ByteSpan base, ByteSpan target, PatchFeatures features) {
  std::vector<PatchCandidate> out;
  // zstd patch-from and the gzip engine need base and target whole in the
  // applier's memory (and zstd's window over both): small files only.
  bool small = !Big(base) && !Big(target);
  if (small) {
    LARCH_ASSIGN_OR_RETURN(Bytes zpatch, ZstdPatchCreate(base, target));
    // Already compressed: the part's compression will not shrink it.
    uint64_t zsize = zpatch.size();
    out.push_back({OpKind::kPatchZstd, std::move(zpatch), zsize});
  }
  Result<Bytes> bpatch = BsdiffCreate(base, target);
  if (bpatch.ok() && !Reproduces(base, *bpatch, target))
    bpatch = Status::Unsupported("bsdiff: the patch does not reproduce the target");
  if (bpatch.ok()) {
    if (features.elf) {
      LARCH_ASSIGN_OR_RETURN(std::optional<PatchCandidate> epatch, ElfCandidate(base, target, *bpatch));
      if (epatch) out.push_back(std::move(*epatch));
    }
    // Stored raw and compressed with the part: estimate with the part's level.
    LARCH_ASSIGN_OR_RETURN(uint64_t size, CompressedSize(*bpatch));
    out.push_back({OpKind::kPatchBsdiff, std::move(bpatch).value(), size});
  } else if (bpatch.status().code() != StatusCode::kUnsupported) {
    return bpatch.status();
  }
  if (!small) return Sorted(std::move(out));
  Result<Bytes> gpatch = GzipPatchCreate(base, target, features.gnu_gzip);
  if (gpatch.ok()) {
    uint64_t gsize = gpatch->size();  // its inner patch is already compressed
    out.push_back({OpKind::kPatchGzip, std::move(gpatch).value(), gsize});
  } else if (gpatch.status().code() != StatusCode::kUnsupported) {
    return gpatch.status();
  }
  return Sorted(std::move(out));
}

Result<uint64_t> NewObjectEstimate(ByteSpan target) { return CompressedSize(target); }

Result<std::optional<GzipCandidate>> MakeNewGzip(ByteSpan target) {
  if (!IsPlainGzip(target)) return std::optional<GzipCandidate>();
  Result<Bytes> content = Gunzip(target, kMaxNewGzipContent);
  if (!content.ok()) return std::optional<GzipCandidate>();
  Result<GzipRecipe> recipe = FindGzipRecipe(target, *content, true);
  if (!recipe.ok()) {
    if (recipe.status().code() != StatusCode::kUnsupported) return recipe.status();
    return std::optional<GzipCandidate>();
  }
  LARCH_ASSIGN_OR_RETURN(uint64_t size, CompressedSize(*content));
  // The content is compressed with the part, next to other text (other
  // man pages and changelogs share most of their words), while a patch or
  // the member itself is already compressed and gains nothing there. On
  // the corpus's 251 new .gz files, their contents together as one xz
  // stream take 0.75 of the sum of their zstd -19 sizes one by one. The
  // recipe and the content's size travel in the part too.
  uint64_t estimate = size * kTextInPartNum / kTextInPartDen + kGzipRecipeSize + 8;
  return std::optional<GzipCandidate>(GzipCandidate{*recipe, std::move(content).value(), estimate});
}

Result<Bytes> ApplyPatch(OpKind engine, ByteSpan base, ByteSpan patch, size_t target_size) {
  switch (engine) {
    case OpKind::kPatchZstd: return ZstdPatchApply(base, patch, target_size);
    case OpKind::kPatchBsdiff: return BsdiffApply(base, patch, target_size);
    case OpKind::kPatchGzip: return GzipPatchApply(base, patch, target_size);
    case OpKind::kPatchElf: return ElfPatchApply(base, patch, target_size);
    default: return Status::InvalidArgument("not a patch operation");
  }
}

}  // namespace larch::delta
