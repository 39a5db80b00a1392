// File: repo/delta/bsdiff_apply.cc
//
// The bsdiff decoder (layout in bsdiff.h), one block at a time: its
// controls; the base bytes every diff run starts from, read with
// positioned reads in base order; its diff bytes, added run by run; then
// its extra bytes, each run written to its place in the block's output.
// Memory: one block's controls and output, whatever the size of the base,
// the patch or the target.
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "repo/delta/apply_in_memory.h"
#include "repo/delta/bsdiff.h"
#include "repo/delta/limits.h"
#include "repo/delta/sparse_diff.h"
#include "src/encoding/encoding.h"

namespace larch::delta {

namespace {

struct Run {
  uint32_t diff_len;
  uint32_t extra_len;
  int64_t seek;
};

constexpr size_t kControlSize = 4 + 4 + 8;
constexpr int64_t kMaxSeek = int64_t{1} << 40;
constexpr size_t kBaseChunk = 64 << 10;

Status Bad(const std::string& msg) { return Status::Corruption("bsdiff patch: " + msg); }

// out[i] += add[i] for every byte of out (add holds at least as many).
void AddBytes(MutableByteSpan out, ByteSpan add) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(out[i] + add[i]);
}

Status ReadExactly(ByteSource& patch, MutableByteSpan buf) {
  LARCH_ASSIGN_OR_RETURN(bool full, ReadFull(patch, buf));
  if (!full) return Bad("truncated");
  return Status::Ok();
}

// Where a diff run reads the base: `len` bytes from `base` into the
// block's output at `out`.
struct BaseRead {
  uint64_t base;
  uint32_t out;
  uint32_t len;
};

// Base reads this close together are made as one read (of at most
// kMaxBsdiffSpan bytes).
constexpr uint64_t kSpanGap = 16384;

class BlockReader {
 public:
  BlockReader(RandomAccess& base, ByteSource& patch, uint32_t max_controls)
      : base_(base), patch_(patch), max_controls_(max_controls) {}

  // The next block's output, at most `left` bytes; valid until the next call.
  Result<ByteSpan> Next(uint64_t left);

 private:
  Status ReadControls(uint64_t left, uint64_t* produces);
  Status PlanBaseReads();
  Status ReadBase(uint8_t* out);
  Status AddDiff(MutableByteSpan out);
  Status AddSparse(SparseDiffReader& diff, MutableByteSpan out);

  RandomAccess& base_;
  ByteSource& patch_;
  uint32_t max_controls_;
  std::vector<Run> runs_;
  std::vector<BaseRead> reads_;
  uint64_t diff_bytes_ = 0;  // the block's diff runs, added up
  bool sparse_ = false;      // its diff bytes in sparse form
  int64_t old_pos_ = 0;  // carried across blocks
  Bytes chunk_, span_;
  // The block's output. Not a vector: every byte of it is written, and
  // zeroing 8 MiB first (resize) was a tenth of qemu-system-x86's apply
  // in perf (page faults included).
  std::unique_ptr<uint8_t[]> out_;
  size_t out_capacity_ = 0;
};

Status BlockReader::ReadControls(uint64_t left, uint64_t* produces) {
  uint8_t head[4];
  LARCH_RETURN_IF_ERROR(ReadExactly(patch_, head));
  encoding::Decoder count_dec(head, "bsdiff patch");
  LARCH_ASSIGN_OR_RETURN(uint32_t n, count_dec.U32());
  sparse_ = (n & kSparseDiffFlag) != 0;
  n &= ~kSparseDiffFlag;
  if (n == 0 || n > max_controls_) return Bad("block of " + std::to_string(n) + " controls");
  Bytes raw(size_t{n} * kControlSize);
  LARCH_RETURN_IF_ERROR(ReadExactly(patch_, raw));
  encoding::Decoder dec(raw, "bsdiff patch");
  runs_.resize(n);
  uint64_t total = 0;
  diff_bytes_ = 0;
  for (Run& r : runs_) {
    LARCH_ASSIGN_OR_RETURN(r.diff_len, dec.U32());
    LARCH_ASSIGN_OR_RETURN(r.extra_len, dec.U32());
    LARCH_ASSIGN_OR_RETURN(uint64_t seek, dec.U64());
    r.seek = static_cast<int64_t>(seek);
    if (r.seek > kMaxSeek || r.seek < -kMaxSeek) return Bad("seek out of range");
    total += uint64_t{r.diff_len} + r.extra_len;
    diff_bytes_ += r.diff_len;
  }
  if (total > left)
    return Bad("runs add up to more than the object's remaining " + std::to_string(left) + " bytes");
  if (total == 0 || total > kMaxBsdiffBlock) return Bad("block of " + std::to_string(total) + " bytes");
  *produces = total;
  return Status::Ok();
}

// Where each diff run reads the base, each checked to lie inside it.
Status BlockReader::PlanBaseReads() {
  const int64_t old_size = static_cast<int64_t>(base_.size());
  reads_.clear();
  uint64_t at = 0;
  for (const Run& r : runs_) {
    if (r.diff_len > 0) {
      if (old_pos_ < 0 || old_pos_ > old_size - static_cast<int64_t>(r.diff_len))
        return Bad("run outside the base");
      reads_.push_back({static_cast<uint64_t>(old_pos_), static_cast<uint32_t>(at), r.diff_len});
    }
    at += uint64_t{r.diff_len} + r.extra_len;
    old_pos_ += static_cast<int64_t>(r.diff_len) + r.seek;
  }
  return Status::Ok();
}

// Every diff run's base bytes into place, in base order. A text file's
// runs are often a few bytes each, scattered over the whole base: one
// positioned read per run made a 97 MB file millions of system calls.
// Runs close together in the base are read as one span.
Status BlockReader::ReadBase(uint8_t* out) {
  std::sort(reads_.begin(), reads_.end(), [](const BaseRead& a, const BaseRead& b) {
    return a.base < b.base || (a.base == b.base && a.out < b.out);
  });
  for (size_t i = 0; i < reads_.size();) {
    const BaseRead& first = reads_[i];
    uint64_t begin = first.base, end = first.base + first.len;
    size_t j = i + 1;
    for (; j < reads_.size(); ++j) {
      const BaseRead& r = reads_[j];
      uint64_t new_end = std::max(end, r.base + r.len);
      if (r.base > end + kSpanGap || new_end - begin > kMaxBsdiffSpan) break;
      end = new_end;
    }
    if (j == i + 1) {
      LARCH_RETURN_IF_ERROR(base_.ReadAt(first.base, MutableByteSpan(out + first.out, first.len)));
    } else {
      // Grown once, never shrunk: resizing up would zero it first.
      const size_t n = static_cast<size_t>(end - begin);
      if (span_.size() < n) span_.resize(n);
      LARCH_RETURN_IF_ERROR(base_.ReadAt(begin, MutableByteSpan(span_.data(), n)));
      for (size_t k = i; k < j; ++k) {
        const BaseRead& r = reads_[k];
        std::memcpy(out + r.out, span_.data() + (r.base - begin), r.len);
      }
    }
    i = j;
  }
  return Status::Ok();
}

// out += the next out.size() diff bytes of the patch.
Status BlockReader::AddDiff(MutableByteSpan out) {
  if (chunk_.size() < kBaseChunk) chunk_.resize(kBaseChunk);
  for (size_t done = 0; done < out.size();) {
    size_t n = std::min(chunk_.size(), out.size() - done);
    LARCH_RETURN_IF_ERROR(ReadExactly(patch_, MutableByteSpan(chunk_.data(), n)));
    AddBytes(out.subspan(done, n), chunk_);
    done += n;
  }
  return Status::Ok();
}

// The same for diff bytes in sparse form: only the literal stretches are
// added; the zeros cost nothing.
Status BlockReader::AddSparse(SparseDiffReader& diff, MutableByteSpan out) {
  if (chunk_.size() < kBaseChunk) chunk_.resize(kBaseChunk);
  for (size_t done = 0; done < out.size();) {
    const size_t want = std::min(chunk_.size(), out.size() - done);
    LARCH_ASSIGN_OR_RETURN(SparseDiffReader::Stretch s, diff.Take(MutableByteSpan(chunk_.data(), want)));
    if (!s.zeros) AddBytes(out.subspan(done, s.size), chunk_);
    done += s.size;
  }
  return Status::Ok();
}

Result<ByteSpan> BlockReader::Next(uint64_t left) {
  uint64_t produces = 0;
  LARCH_RETURN_IF_ERROR(ReadControls(left, &produces));
  LARCH_RETURN_IF_ERROR(PlanBaseReads());
  if (out_capacity_ < produces) {
    // Drop the smaller buffer before taking one of exactly this size
    // (growing would hold both); default-initialized, not zeroed.
    out_.reset();
    out_.reset(new uint8_t[static_cast<size_t>(produces)]);
    out_capacity_ = static_cast<size_t>(produces);
  }
  MutableByteSpan out(out_.get(), static_cast<size_t>(produces));
  LARCH_RETURN_IF_ERROR(ReadBase(out.data()));
  std::optional<SparseDiffReader> sparse;
  if (sparse_) {
    uint8_t len[4];
    LARCH_RETURN_IF_ERROR(ReadExactly(patch_, len));
    encoding::Decoder len_dec(len, "bsdiff patch");
    LARCH_ASSIGN_OR_RETURN(uint32_t encoded, len_dec.U32());
    // The writer uses the sparse form only when it is smaller.
    if (encoded == 0 || encoded >= diff_bytes_)
      return Bad("sparse diff of " + std::to_string(encoded) + " bytes for " +
                 std::to_string(diff_bytes_) + " diff bytes");
    sparse.emplace(patch_, encoded, diff_bytes_);
  }
  size_t at = 0;
  for (const Run& r : runs_) {  // the diff stream
    if (r.diff_len > 0) {
      MutableByteSpan run(out.data() + at, r.diff_len);
      LARCH_RETURN_IF_ERROR(sparse ? AddSparse(*sparse, run) : AddDiff(run));
    }
    at += uint64_t{r.diff_len} + r.extra_len;
  }
  if (sparse) LARCH_RETURN_IF_ERROR(sparse->Finish());
  at = 0;
  for (const Run& r : runs_) {  // the extra stream
    at += r.diff_len;
    LARCH_RETURN_IF_ERROR(ReadExactly(patch_, MutableByteSpan(out.data() + at, r.extra_len)));
    at += r.extra_len;
  }
  return ByteSpan(out);
}

}  // namespace

Status BsdiffApplyStream(RandomAccess& base, ByteSource& patch, uint64_t target_size,
                         const compress::Sink& out, uint32_t max_controls) {
  BlockReader reader(base, patch, max_controls);
  for (uint64_t done = 0; done < target_size;) {
    LARCH_ASSIGN_OR_RETURN(ByteSpan block, reader.Next(target_size - done));
    done += block.size();
    LARCH_RETURN_IF_ERROR(out(block));
  }
  return Status::Ok();
}

Result<Bytes> BsdiffApply(ByteSpan base, ByteSpan patch, size_t target_size) {
  SpanRandomAccess old(base);
  // The patch is in memory already: a block may have as many controls as
  // it can hold (patches made before blocks existed had no other cap).
  auto max_controls = static_cast<uint32_t>(std::min<size_t>(UINT32_MAX, patch.size() / kControlSize));
  return ApplyInMemory(
      patch, target_size,
      [&](ByteSource& src, const compress::Sink& out) {
        return BsdiffApplyStream(old, src, target_size, out, max_controls);
      },
      Bad("stream lengths do not match"));
}

Result<std::vector<BsdiffMatch>> BsdiffMatches(ByteSpan patch) {
  encoding::Decoder dec(patch, "bsdiff patch");
  std::vector<BsdiffMatch> out;
  uint64_t target = 0;
  int64_t base = 0;
  while (dec.remaining() > 0) {
    LARCH_ASSIGN_OR_RETURN(uint32_t word, dec.U32());
    const bool sparse = (word & kSparseDiffFlag) != 0;
    const uint32_t n = word & ~kSparseDiffFlag;
    if (uint64_t{n} * kControlSize > dec.remaining()) return Bad("truncated");
    uint64_t payload = 0, diff_bytes = 0;
    for (uint32_t i = 0; i < n; ++i) {
      LARCH_ASSIGN_OR_RETURN(uint32_t diff_len, dec.U32());
      LARCH_ASSIGN_OR_RETURN(uint32_t extra_len, dec.U32());
      LARCH_ASSIGN_OR_RETURN(uint64_t seek, dec.U64());
      if (static_cast<int64_t>(seek) > kMaxSeek || static_cast<int64_t>(seek) < -kMaxSeek || base < 0)
        return Bad("seek out of range");
      if (diff_len > 0) out.push_back({static_cast<uint64_t>(base), target, diff_len});
      target += uint64_t{diff_len} + extra_len;
      base += int64_t{diff_len} + static_cast<int64_t>(seek);
      payload += uint64_t{diff_len} + extra_len;
      diff_bytes += diff_len;
    }
    if (sparse) {  // the diff bytes are replaced by their sparse form
      LARCH_ASSIGN_OR_RETURN(uint32_t encoded, dec.U32());
      payload = payload - diff_bytes + encoded;
    }
    if (payload > dec.remaining()) return Bad("truncated");
    LARCH_RETURN_IF_ERROR(dec.Raw(static_cast<size_t>(payload)).status());
  }
  return out;
}

}  // namespace larch::delta
