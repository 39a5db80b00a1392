// File: repo/delta/sparse_diff.cc
#include "repo/delta/sparse_diff.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace larch::delta {

namespace {

// A zero run this long ends a literal stretch: it saves more than the two
// bytes the next pair costs.
constexpr size_t kMinZeroRun = 3;
constexpr size_t kBufferSize = 64 << 10;
constexpr int kMaxVarintBytes = 5;

void PutVarint(Bytes& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

size_t ZerosAt(ByteSpan d, size_t i) {
  size_t j = i;
  while (j < d.size() && d[j] == 0) ++j;
  return j - i;
}

Status Bad(const std::string& msg) { return Status::Corruption("bsdiff patch: sparse diff: " + msg); }

}  // namespace

Bytes EncodeSparseDiff(ByteSpan diff) {
  Bytes out;
  size_t i = 0;
  while (i < diff.size()) {
    const size_t zeros = ZerosAt(diff, i);
    size_t j = i + zeros;
    const size_t start = j;
    while (j < diff.size()) {
      const size_t run = ZerosAt(diff, j);
      if (run >= kMinZeroRun || j + run == diff.size()) break;
      j += run == 0 ? 1 : run;
    }
    PutVarint(out, zeros);
    PutVarint(out, j - start);
    out.insert(out.end(), diff.begin() + static_cast<ptrdiff_t>(start),
               diff.begin() + static_cast<ptrdiff_t>(j));
    i = j;
  }
  return out;
}

SparseDiffReader::SparseDiffReader(ByteSource& patch, uint64_t encoded_size, uint64_t diff_size)
    : patch_(patch), unread_(encoded_size), diff_left_(diff_size) {}

Status SparseDiffReader::Refill() {
  if (unread_ == 0) return Bad("ends before the block's diff bytes do");
  if (buf_.empty()) buf_.resize(kBufferSize);
  const auto want = static_cast<size_t>(std::min<uint64_t>(unread_, buf_.size()));
  LARCH_ASSIGN_OR_RETURN(bool full, ReadFull(patch_, MutableByteSpan(buf_.data(), want)));
  if (!full) return Status::Corruption("bsdiff patch: truncated");
  unread_ -= want;
  pos_ = 0;
  len_ = want;
  return Status::Ok();
}

Result<uint64_t> SparseDiffReader::Varint() {
  uint64_t v = 0;
  for (int i = 0; i < kMaxVarintBytes; ++i) {
    if (pos_ == len_) LARCH_RETURN_IF_ERROR(Refill());
    const uint8_t b = buf_[pos_++];
    v |= uint64_t{b & 0x7Fu} << (7 * i);
    if ((b & 0x80) == 0) {
      if (v > UINT32_MAX) return Bad("a count above 2^32 - 1");
      return v;
    }
  }
  return Bad("a count longer than 5 bytes");
}

Status SparseDiffReader::NextPair() {
  LARCH_ASSIGN_OR_RETURN(uint64_t zeros, Varint());
  LARCH_ASSIGN_OR_RETURN(uint64_t literals, Varint());
  if (zeros + literals == 0) return Bad("a pair that covers nothing");
  if (zeros + literals > diff_left_)
    return Bad("covers more than the block's " + std::to_string(diff_left_) + " remaining diff bytes");
  diff_left_ -= zeros + literals;
  zeros_ = zeros;
  literals_ = literals;
  return Status::Ok();
}

Status SparseDiffReader::Copy(MutableByteSpan out) {
  for (size_t done = 0; done < out.size();) {
    if (pos_ == len_) LARCH_RETURN_IF_ERROR(Refill());
    const size_t n = std::min(out.size() - done, len_ - pos_);
    std::memcpy(out.data() + done, buf_.data() + pos_, n);
    pos_ += n;
    done += n;
  }
  return Status::Ok();
}

Result<SparseDiffReader::Stretch> SparseDiffReader::Take(MutableByteSpan out) {
  if (out.empty()) return Stretch{0, false};
  if (zeros_ == 0 && literals_ == 0) LARCH_RETURN_IF_ERROR(NextPair());
  if (zeros_ > 0) {
    const auto n = static_cast<size_t>(std::min<uint64_t>(zeros_, out.size()));
    zeros_ -= n;
    return Stretch{n, true};
  }
  const auto n = static_cast<size_t>(std::min<uint64_t>(literals_, out.size()));
  LARCH_RETURN_IF_ERROR(Copy(out.first(n)));
  literals_ -= n;
  return Stretch{n, false};
}

Status SparseDiffReader::Fill(MutableByteSpan out) {
  for (size_t done = 0; done < out.size();) {
    MutableByteSpan rest = out.subspan(done);
    LARCH_ASSIGN_OR_RETURN(Stretch s, Take(rest));
    if (s.zeros) std::memset(rest.data(), 0, s.size);
    done += s.size;
  }
  return Status::Ok();
}

Status SparseDiffReader::Finish() const {
  if (zeros_ != 0 || literals_ != 0 || diff_left_ != 0)
    return Bad("covers fewer bytes than the block's diff runs");
  if (pos_ != len_ || unread_ != 0)
    return Bad(std::to_string(len_ - pos_ + unread_) + " encoded bytes after the last diff byte");
  return Status::Ok();
}

}  // namespace larch::delta
