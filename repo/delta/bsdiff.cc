// File: repo/delta/bsdiff.cc
// The matching loop follows bsdiff 4.3 (Colin Percival, BSD licence): find
// the longest exact match of the target's next bytes anywhere in the base
// (binary search over the suffix array), but only switch to it when it
// beats the current alignment by more than 8 bytes; then extend the
// previous alignment forwards and the new one backwards as far as they are
// right at least half the time, and emit the stretch between as literal.
#include "repo/delta/bsdiff.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "repo/delta/suffix_sort.h"
#include "src/encoding/encoding.h"

namespace larch::delta {

namespace {

struct Control {
  uint32_t diff_len;
  uint32_t extra_len;
  int64_t seek;
};

size_t MatchLen(ByteSpan a, ByteSpan b) {
  size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// Longest match of `target` among the base's suffixes sa[lo..hi].
size_t Search(const std::vector<int32_t>& sa, ByteSpan base, ByteSpan target, size_t lo,
              size_t hi, size_t* pos) {
  while (hi - lo >= 2) {
    size_t mid = lo + (hi - lo) / 2;
    size_t at = static_cast<size_t>(sa[mid]);
    size_t n = std::min(base.size() - at, target.size());
    if (std::memcmp(base.data() + at, target.data(), n) < 0) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  size_t a = static_cast<size_t>(sa[lo]), b = static_cast<size_t>(sa[hi]);
  size_t x = MatchLen(base.subspan(a), target), y = MatchLen(base.subspan(b), target);
  *pos = x > y ? a : b;
  return std::max(x, y);
}

class Differ {
 public:
  Differ(ByteSpan base, ByteSpan target, const std::vector<int32_t>& sa)
      : old_(base), new_(target), sa_(sa) {}

  void Run();
  Bytes Encode() const;

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
      len = static_cast<Off>(Search(sa_, old_, new_.subspan(static_cast<size_t>(scan)), 0,
                                    sa_.size() - 1, &pos));
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
  controls_.push_back({static_cast<uint32_t>(lenf), static_cast<uint32_t>(extra),
                       (pos - lenb) - (lastpos_ + lenf)});
  lastscan_ = scan - lenb;
  lastpos_ = pos - lenb;
  lastoffset_ = pos - scan;
}

Bytes Differ::Encode() const {
  encoding::Encoder enc;
  enc.U32(static_cast<uint32_t>(controls_.size()));
  for (const Control& c : controls_) {
    enc.U32(c.diff_len);
    enc.U32(c.extra_len);
    enc.U64(static_cast<uint64_t>(c.seek));
  }
  enc.Raw(diff_);
  enc.Raw(extra_);
  return enc.Take();
}

Status Bad(const std::string& msg) { return Status::Corruption("bsdiff patch: " + msg); }

constexpr size_t kControlSize = 4 + 4 + 8;

}  // namespace

Result<Bytes> BsdiffCreate(ByteSpan base, ByteSpan target) {
  if (base.empty()) return Status::InvalidArgument("bsdiff: empty base");
  LARCH_ASSIGN_OR_RETURN(std::vector<int32_t> sa, SuffixArray(base));
  Differ differ(base, target, sa);
  differ.Run();
  return differ.Encode();
}

Result<Bytes> BsdiffApply(ByteSpan base, ByteSpan patch, size_t target_size) {
  encoding::Decoder dec(patch, "bsdiff patch");
  LARCH_ASSIGN_OR_RETURN(uint32_t n, dec.Count(UINT32_MAX, kControlSize));
  std::vector<Control> controls(n);
  uint64_t diff_total = 0, extra_total = 0;
  for (Control& c : controls) {
    LARCH_ASSIGN_OR_RETURN(c.diff_len, dec.U32());
    LARCH_ASSIGN_OR_RETURN(c.extra_len, dec.U32());
    LARCH_ASSIGN_OR_RETURN(uint64_t seek, dec.U64());
    c.seek = static_cast<int64_t>(seek);
    diff_total += c.diff_len;
    extra_total += c.extra_len;
  }
  if (diff_total + extra_total != target_size)
    return Bad("runs add up to " + std::to_string(diff_total + extra_total) +
               " bytes, the object has " + std::to_string(target_size));
  if (dec.remaining() != diff_total + extra_total) return Bad("stream lengths do not match");
  LARCH_ASSIGN_OR_RETURN(ByteSpan diff, dec.Raw(static_cast<size_t>(diff_total)));
  LARCH_ASSIGN_OR_RETURN(ByteSpan extra, dec.Raw(static_cast<size_t>(extra_total)));
  LARCH_RETURN_IF_ERROR(dec.Finish());
  Bytes out(target_size);
  size_t out_pos = 0, diff_pos = 0, extra_pos = 0;
  int64_t old_pos = 0;
  const int64_t old_size = static_cast<int64_t>(base.size());
  constexpr int64_t kMaxSeek = int64_t{1} << 40;
  for (const Control& c : controls) {
    if (c.diff_len > 0 && (old_pos < 0 || old_pos > old_size - static_cast<int64_t>(c.diff_len)))
      return Bad("run outside the base");
    for (uint32_t i = 0; i < c.diff_len; ++i)
      out[out_pos + i] = static_cast<uint8_t>(diff[diff_pos + i] + base[static_cast<size_t>(old_pos) + i]);
    out_pos += c.diff_len;
    diff_pos += c.diff_len;
    std::memcpy(out.data() + out_pos, extra.data() + extra_pos, c.extra_len);
    out_pos += c.extra_len;
    extra_pos += c.extra_len;
    if (c.seek > kMaxSeek || c.seek < -kMaxSeek) return Bad("seek out of range");
    old_pos += static_cast<int64_t>(c.diff_len) + c.seek;
  }
  return out;
}

}  // namespace larch::delta
