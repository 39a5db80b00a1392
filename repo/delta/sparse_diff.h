// File: repo/delta/sparse_diff.h
//
// The sparse form of a bsdiff block's diff bytes. Where the base and the
// target agree, a diff run is zero bytes: an ELF patch of a 47 MB library
// carries 47 MB of them. The part compressor squeezes them to almost
// nothing on the wire, but the device still decompressed and added every
// one: a quarter of applying such a patch went to LZMA copying zeros. Like
// Zucchini's raw delta, the sparse form stores only what is not zero:
//   repeated: varint zeros | varint literals | literals bytes
// (unsigned LEB128, each at most 2^32 - 1), covering exactly the block's
// diff bytes. A literal stretch may hold short runs of zeros (a pair costs
// two bytes, so runs of fewer than three stay inside it).
#pragma once

#include <cstdint>

#include "repo/delta/byte_source.h"
#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::delta {

// The sparse form of `diff`. The writer uses it only when it is smaller.
Bytes EncodeSparseDiff(ByteSpan diff);

// Reads the sparse form of `diff_size` diff bytes, `encoded_size` bytes of
// `patch`, never more, through a small buffer (memory does not grow with
// the block). Strict: kCorruption on a pair that covers nothing, runs past
// the diff bytes, a varint above 2^32 - 1 or longer than 5 bytes, or
// encoded bytes that do not end with the last diff byte.
class SparseDiffReader {
 public:
  SparseDiffReader(ByteSource& patch, uint64_t encoded_size, uint64_t diff_size);
  // The next out.size() diff bytes.
  Status Fill(MutableByteSpan out);
  // The next stretch of at most out.size() diff bytes that are all zero or
  // all literal: how long it is, whether it is zeros (out is left as it
  // was: the caller copies the base there instead of adding nothing to
  // it) or literals (copied to the front of out).
  struct Stretch {
    size_t size;
    bool zeros;
  };
  Result<Stretch> Take(MutableByteSpan out);
  // Every diff byte was filled and every encoded byte used.
  Status Finish() const;

 private:
  Status NextPair();
  Result<uint64_t> Varint();
  Status Copy(MutableByteSpan out);
  Status Refill();

  ByteSource& patch_;
  uint64_t unread_;     // encoded bytes not yet pulled from the patch
  uint64_t diff_left_;  // diff bytes not yet covered by a pair
  uint64_t zeros_ = 0, literals_ = 0;  // what is left of the current pair
  Bytes buf_;
  size_t pos_ = 0, len_ = 0;
};

}  // namespace larch::delta
