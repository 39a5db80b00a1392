// File: repo/delta/part_compression.h
//
// Parts travel as exactly one zstd frame: level 19 with long-distance
// matching over a window of 2^kPartWindowLog bytes, so similar patches and
// files in one part share a window, while a decoder never needs more than
// that window whatever the part's size. PartDecompressor is the pull side:
// a ByteSource that yields the part's uncompressed bytes and refuses
// anything but one frame of exactly the size the superblock declares.
#pragma once

#include <cstdint>
#include <memory>

#include "repo/delta/byte_source.h"

namespace larch::delta {

Result<Bytes> CompressPart(ByteSpan raw, int level);

class PartDecompressor : public ByteSource {
 public:
  // `compressed` must outlive this. Fails on reads past `expected_size`.
  static Result<std::unique_ptr<PartDecompressor>> Create(ByteSource& compressed,
                                                          uint64_t expected_size);
  ~PartDecompressor() override;
  Result<size_t> Read(MutableByteSpan buf) override;

 private:
  PartDecompressor() = default;
  Status Fill();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace larch::delta
