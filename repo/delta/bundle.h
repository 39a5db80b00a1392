// File: repo/delta/bundle.h
//
// A bundle: one file carrying a whole delta, for a USB stick. Layout
// (docs/formats.md, "Bundle"):
//   "LXBN" | u8 version (1) | u64 envelope length | signed envelope whose
//   body is the delta superblock | the parts, back to back, in order
// and nothing after the last part. The envelope is signed for bundles
// (trust's SignedKind::kBundle), so a delta superblock's signatures cannot
// be replayed as a bundle's and the other way round; every part is covered
// by its SHA-256 in the signed superblock, and the target commit carries its
// own signatures. Applying a bundle is ApplyDelta on a BundleSource: the
// same checks, in the same order, as any delta.
#pragma once

#include <memory>
#include <string>

#include "repo/delta/generate.h"
#include "repo/delta/source.h"

namespace larch::delta {

// Writes `delta` as a bundle at `path` (created exclusively through a temp
// name and renamed into place; the superblock is re-signed with `sign`).
Status WriteBundle(fs::Fs& fs, const std::string& path, const GeneratedDelta& delta,
                   const EnvelopeSigner& sign);

// Reads a bundle file sequentially: Superblock() first, then the parts in
// order; Finish() refuses bytes after the last part.
class BundleSource : public DeltaSource {
 public:
  static Result<std::unique_ptr<BundleSource>> Open(fs::Fs& fs, const std::string& path);
  Result<Bytes> Superblock() override;
  Status Part(size_t index, uint64_t expected_size, const compress::Sink& sink) override;
  Status Finish() override;

 private:
  BundleSource(fs::Fs& fs, UniqueFd fd, std::string path)
      : fs_(fs), fd_(std::move(fd)), path_(std::move(path)) {}
  fs::Fs& fs_;
  UniqueFd fd_;
  std::string path_;
  size_t next_part_ = 0;
  bool read_superblock_ = false;
};

}  // namespace larch::delta
