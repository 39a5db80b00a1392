// File: repo/delta/bsdiff.cc
// The matching loop follows bsdiff 4.3 (Colin Percival, BSD licence): find
// the longest exact match of the target's next bytes anywhere in the base
// (binary search over the suffix array), but only switch to it when it
// beats the current alignment by more than 8 bytes; then extend the
// previous alignment forwards and the new one backwards as far as they are
// right at least half the time, and emit the stretch between as literal.
// Two changes for big files, neither changing what a match is: the search
// skips the prefix it already knows matches, and a big target is scanned
// in pieces on every core.
#include "repo/delta/bsdiff.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "repo/delta/limits.h"
#include "repo/delta/sparse_diff.h"
#include "repo/delta/suffix_sort.h"
#include "src/base/parallel.h"
#include "src/encoding/encoding.h"

namespace larch::delta {

namespace {

// One run as the matching loop finds it; lengths are split to fit blocks
// when encoded.
struct Control {
  uint64_t diff_len;
  uint64_t extra_len;
  int64_t seek;
};

size_t MatchLen(ByteSpan a, ByteSpan b) {
  size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// Longest match of `target` among the base's suffixes (binary search over
// the suffix array). Every suffix sorted between two others shares with
// `target` at least the shorter of their matches with it, so each
// comparison starts there: on long matches (code that only moved) this
// reads each byte of the match about once instead of once per halving.
// Finds exactly what comparing from the first byte would.
size_t Search(const std::vector<int32_t>& sa, ByteSpan base, ByteSpan target, size_t* pos) {
  size_t lo = 0, hi = sa.size() - 1;
  size_t lo_match = MatchLen(base.subspan(static_cast<size_t>(sa[lo])), target);
  size_t hi_match = MatchLen(base.subspan(static_cast<size_t>(sa[hi])), target);
  while (hi - lo >= 2) {
    size_t mid = lo + (hi - lo) / 2;
    size_t at = static_cast<size_t>(sa[mid]);
    size_t known = std::min(lo_match, hi_match);
    ByteSpan suffix = base.subspan(at);
    size_t m = known + MatchLen(suffix.subspan(known), target.subspan(known));
    // The suffix sorts before `target` when it differs first with a smaller
    // byte; equal over the shorter length counts as not before.
    bool before = m < std::min(suffix.size(), target.size()) && suffix[m] < target[m];
    if (before) {
      lo = mid;
      lo_match = m;
    } else {
      hi = mid;
      hi_match = m;
    }
  }
  *pos = static_cast<size_t>(lo_match > hi_match ? sa[lo] : sa[hi]);
  return std::max(lo_match, hi_match);
}

class Differ {
 public:
  Differ(ByteSpan base, ByteSpan target, const std::vector<int32_t>& sa)
      : old_(base), new_(target), sa_(sa) {
    diff_.reserve(target.size());  // diff and extra runs add up to the target
  }

  void Run();
  std::vector<Control>& controls() { return controls_; }
  Bytes& diff() { return diff_; }
  Bytes& extra() { return extra_; }
  // The base position after the last run.
  int64_t end_pos() const { return lastpos_; }

 private:
  using Off = int64_t;
  uint8_t Old(Off i) const { return old_[static_cast<size_t>(i)]; }
  uint8_t New(Off i) const { return new_[static_cast<size_t>(i)]; }
  void Emit(Off scan, Off pos);

  ByteSpan old_, new_;
  const std::vector<int32_t>& sa_;
  std::vector<Control> controls_;
  Bytes diff_, extra_;
  Off lastscan_ = 0, lastpos_ = 0, lastoffset_ = 0;
};

void Differ::Run() {
  const Off oldsize = static_cast<Off>(old_.size()), newsize = static_cast<Off>(new_.size());
  Off scan = 0, len = 0;
  size_t pos = 0;
  while (scan < newsize) {
    Off oldscore = 0;
    Off scsc = scan += len;
    for (; scan < newsize; ++scan) {
      len = static_cast<Off>(Search(sa_, old_, new_.subspan(static_cast<size_t>(scan)), &pos));
      for (; scsc < scan + len; ++scsc)
        if (scsc + lastoffset_ < oldsize && Old(scsc + lastoffset_) == New(scsc)) ++oldscore;
      if ((len == oldscore && len != 0) || len > oldscore + 8) break;
      if (scan + lastoffset_ < oldsize && Old(scan + lastoffset_) == New(scan)) --oldscore;
    }
    if (len != oldscore || scan == newsize) Emit(scan, static_cast<Off>(pos));
  }
}

void Differ::Emit(Off scan, Off pos) {
  const Off oldsize = static_cast<Off>(old_.size()), newsize = static_cast<Off>(new_.size());
  Off s = 0, best = 0, lenf = 0;
  for (Off i = 0; lastscan_ + i < scan && lastpos_ + i < oldsize;) {
    if (Old(lastpos_ + i) == New(lastscan_ + i)) ++s;
    ++i;
    if (s * 2 - i > best * 2 - lenf) {
      best = s;
      lenf = i;
    }
  }
  Off lenb = 0;
  if (scan < newsize) {
    s = 0;
    best = 0;
    for (Off i = 1; scan >= lastscan_ + i && pos >= i; ++i) {
      if (Old(pos - i) == New(scan - i)) ++s;
      if (s * 2 - i > best * 2 - lenb) {
        best = s;
        lenb = i;
      }
    }
  }
  if (lastscan_ + lenf > scan - lenb) {
    Off overlap = (lastscan_ + lenf) - (scan - lenb);
    s = 0;
    best = 0;
    Off lens = 0;
    for (Off i = 0; i < overlap; ++i) {
      if (New(lastscan_ + lenf - overlap + i) == Old(lastpos_ + lenf - overlap + i)) ++s;
      if (New(scan - lenb + i) == Old(pos - lenb + i)) --s;
      if (s > best) {
        best = s;
        lens = i + 1;
      }
    }
    lenf += lens - overlap;
    lenb -= lens;
  }
  for (Off i = 0; i < lenf; ++i)
    diff_.push_back(static_cast<uint8_t>(New(lastscan_ + i) - Old(lastpos_ + i)));
  Off extra = (scan - lenb) - (lastscan_ + lenf);
  for (Off i = 0; i < extra; ++i) extra_.push_back(New(lastscan_ + lenf + i));
  controls_.push_back({static_cast<uint64_t>(lenf), static_cast<uint64_t>(extra),
                       (pos - lenb) - (lastpos_ + lenf)});
  lastscan_ = scan - lenb;
  lastpos_ = pos - lenb;
  lastoffset_ = pos - scan;
}

struct Scan {
  std::vector<Control> controls;
  Bytes diff, extra;
};

// A target above two pieces is scanned in pieces on every core. Each piece
// starts its own alignment, which costs a run or two at each seam (bytes,
// not correctness); pieces are fixed by size, not by the number of cores,
// so the patch is the same on every machine.
Result<Scan> ScanTarget(ByteSpan base, ByteSpan target, const std::vector<int32_t>& sa,
                        size_t scan_piece) {
  const size_t pieces =
      target.size() > 2 * scan_piece ? (target.size() + scan_piece - 1) / scan_piece : 1;
  const size_t piece = pieces == 1 ? target.size() : scan_piece;
  std::vector<std::unique_ptr<Differ>> differs(pieces);
  LARCH_RETURN_IF_ERROR(ParallelFor(pieces, [&](size_t i) {
    size_t begin = i * piece;
    differs[i] = std::make_unique<Differ>(base, target.subspan(begin, std::min(piece, target.size() - begin)), sa);
    differs[i]->Run();
    return Status::Ok();
  }));
  Scan scan;
  for (size_t i = 0; i < pieces; ++i) {
    Differ& d = *differs[i];
    scan.controls.insert(scan.controls.end(), d.controls().begin(), d.controls().end());
    // Each piece starts at base position 0: the seam's run seeks back there.
    if (i + 1 < pieces) scan.controls.back().seek -= d.end_pos();
    if (pieces == 1) {
      scan.diff = std::move(d.diff());
      scan.extra = std::move(d.extra());
    } else {
      scan.diff.insert(scan.diff.end(), d.diff().begin(), d.diff().end());
      scan.extra.insert(scan.extra.end(), d.extra().begin(), d.extra().end());
    }
    differs[i].reset();
  }
  return scan;
}

// Cuts the runs into blocks of at most kMaxBsdiffBlock output bytes and
// kMaxBsdiffBlockControls / 4 controls (a quarter of what the applier
// accepts, so the limit is never met by accident). A run is split without
// changing what it means: (d1 + d2, e, s) is (d1, 0, 0) then (d2, e, s), and
// (d, e1 + e2, s) is (d, e1, 0) then (0, e2, s).
class BlockWriter {
 public:
  // `runs`: how many controls will be added (to size the output once).
  BlockWriter(ByteSpan diff, ByteSpan extra, size_t runs, bool sparse)
      : diff_(diff), extra_(extra), sparse_(sparse) {
    size_t blocks = (diff.size() + extra.size()) / kMaxBsdiffBlock + 1;
    out_.reserve(diff.size() + extra.size() + (runs + 2 * blocks) * 16 + blocks * 4);
  }
  void Add(Control c);
  // Flushes the last block; nullopt when the patch would exceed kMaxBsdiffPatch.
  std::optional<Bytes> Finish();

 private:
  static constexpr size_t kControls = kMaxBsdiffBlockControls / 4;
  void Flush();

  ByteSpan diff_, extra_;
  bool sparse_;  // sparse blocks allowed
  size_t diff_pos_ = 0, extra_pos_ = 0;
  std::vector<Control> block_;
  uint64_t block_diff_ = 0, block_extra_ = 0;
  Bytes out_;
};

void BlockWriter::Add(Control c) {
  if (c.diff_len == 0 && c.extra_len == 0) {
    // Produces nothing: only its seek matters, for the next run.
    if (block_.empty()) {
      block_.push_back(c);
    } else {
      block_.back().seek += c.seek;
    }
    return;
  }
  while (c.diff_len + c.extra_len > 0) {
    uint64_t room = kMaxBsdiffBlock - block_diff_ - block_extra_;
    if (room == 0 || block_.size() == kControls) {
      Flush();
      continue;
    }
    Control piece = c;
    // A run whose diff bytes end exactly at the block's end, with no extra
    // bytes, goes whole with its seek (splitting it there dropped the seek:
    // every later run read the wrong place of the base).
    if (c.diff_len > room || (c.diff_len == room && c.extra_len > 0)) {
      piece = {room, 0, 0};
      c.diff_len -= room;
    } else if (c.diff_len + c.extra_len > room) {
      piece = {c.diff_len, room - c.diff_len, 0};
      c.extra_len -= piece.extra_len;
      c.diff_len = 0;
    } else {
      c = {0, 0, 0};
    }
    block_.push_back(piece);
    block_diff_ += piece.diff_len;
    block_extra_ += piece.extra_len;
  }
}

void BlockWriter::Flush() {
  encoding::Encoder enc;
  enc.U32(static_cast<uint32_t>(block_.size()));
  for (const Control& c : block_) {
    enc.U32(static_cast<uint32_t>(c.diff_len));
    enc.U32(static_cast<uint32_t>(c.extra_len));
    enc.U64(static_cast<uint64_t>(c.seek));
  }
  ByteSpan diff = diff_.subspan(diff_pos_, static_cast<size_t>(block_diff_));
  ByteSpan extra = extra_.subspan(extra_pos_, static_cast<size_t>(block_extra_));
  Bytes sparse = sparse_ ? EncodeSparseDiff(diff) : Bytes();
  if (sparse_ && !diff.empty() && sparse.size() < diff.size()) {
    // The count's top bit says "sparse"; it is written after the controls
    // are, so patch it in place.
    Bytes head = enc.bytes();
    head[3] |= static_cast<uint8_t>(kSparseDiffFlag >> 24);
    out_.insert(out_.end(), head.begin(), head.end());
    encoding::Encoder len;
    len.U32(static_cast<uint32_t>(sparse.size()));
    out_.insert(out_.end(), len.bytes().begin(), len.bytes().end());
    out_.insert(out_.end(), sparse.begin(), sparse.end());
  } else {
    out_.insert(out_.end(), enc.bytes().begin(), enc.bytes().end());
    out_.insert(out_.end(), diff.begin(), diff.end());
  }
  out_.insert(out_.end(), extra.begin(), extra.end());
  diff_pos_ += static_cast<size_t>(block_diff_);
  extra_pos_ += static_cast<size_t>(block_extra_);
  block_.clear();
  block_diff_ = block_extra_ = 0;
}

std::optional<Bytes> BlockWriter::Finish() {
  // A block that produces nothing (only a trailing seek) is left out: the
  // applier stops reading at the target's size.
  if (block_diff_ + block_extra_ > 0) Flush();
  if (out_.size() > kMaxBsdiffPatch) return std::nullopt;
  return std::move(out_);
}

}  // namespace

Result<Bytes> BsdiffCreate(ByteSpan base, ByteSpan target, DiffForm form, size_t scan_piece) {
  if (base.empty()) return Status::InvalidArgument("bsdiff: empty base");
  if (scan_piece == 0) return Status::InvalidArgument("bsdiff: empty scan piece");
  if (base.size() > kMaxBsdiffBase || target.size() > kMaxBsdiffPatch)
    return Status::Unsupported("bsdiff: file above the engine's limits");
  LARCH_ASSIGN_OR_RETURN(std::vector<int32_t> sa, SuffixArray(base));
  LARCH_ASSIGN_OR_RETURN(Scan scan, ScanTarget(base, target, sa, scan_piece));
  sa = {};  // the largest allocation (4 bytes per base byte), freed before encoding
  const bool sparse = form == DiffForm::kSparse || target.size() > kMaxBsdiffBlock;
  BlockWriter writer(scan.diff, scan.extra, scan.controls.size(), sparse);
  for (const Control& c : scan.controls) writer.Add(c);
  std::optional<Bytes> patch = writer.Finish();
  if (!patch) return Status::Unsupported("bsdiff: patch above the engine's limits");
  return std::move(*patch);
}

}  // namespace larch::delta
