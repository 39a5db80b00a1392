// File: repo/delta/gnu_deflate_block.cc
#include "repo/delta/gnu_deflate_block.h"

#include <algorithm>

namespace larch::delta {

namespace {

constexpr int kMaxBits = 15;
constexpr int kMaxBitLengthBits = 7;
constexpr int kLengthCodes = 29;
constexpr int kLiterals = 256;
constexpr int kEndBlock = 256;
constexpr int kLCodes = kLiterals + 1 + kLengthCodes;
constexpr int kDCodes = 30;
constexpr int kBlCodes = 19;
constexpr int kHeapSize = 2 * kLCodes + 1;
// gzip's symbol buffers: a block ends one literal short of the first and
// at a full second.
constexpr unsigned kLitBufSize = 0x8000;
constexpr unsigned kDistBufSize = 0x8000;
// Bit length codes that repeat the previous length or a zero length.
constexpr int kRep3To6 = 16;
constexpr int kRepZero3To10 = 17;
constexpr int kRepZero11To138 = 18;

constexpr uint8_t kExtraLengthBits[kLengthCodes] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                                    2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
constexpr uint8_t kExtraDistBits[kDCodes] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                             6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
constexpr uint8_t kExtraBitLengthBits[kBlCodes] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                   0, 0, 0, 0, 0, 0, 2, 3, 7};
// The order bit length code lengths are sent in.
constexpr uint8_t kBitLengthOrder[kBlCodes] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                               11, 4,  12, 3, 13, 2, 14, 1, 15};

uint16_t ReverseBits(unsigned code, int len) {
  unsigned out = 0;
  for (int i = 0; i < len; ++i, code >>= 1) out = (out << 1) | (code & 1);
  return static_cast<uint16_t>(out);
}

// The fixed mappings of deflate, and the static trees.
struct Tables {
  uint8_t length_code[256];
  uint8_t dist_code[512];
  int base_length[kLengthCodes];
  int base_dist[kDCodes];
  // Codes 286 and 287 do not occur but make the static code canonical.
  GnuTreeNode static_ltree[kLCodes + 2];
  GnuTreeNode static_dtree[kDCodes];

  Tables() {
    int length = 0;
    int code = 0;
    for (; code < kLengthCodes - 1; ++code) {
      base_length[code] = length;
      for (int n = 0; n < (1 << kExtraLengthBits[code]); ++n) length_code[length++] = uint8_t(code);
    }
    // Length 258 has two encodings; deflate's best is code 285.
    length_code[255] = uint8_t(code);
    base_length[kLengthCodes - 1] = 0;
    int dist = 0;
    for (code = 0; code < 16; ++code) {
      base_dist[code] = dist;
      for (int n = 0; n < (1 << kExtraDistBits[code]); ++n) dist_code[dist++] = uint8_t(code);
    }
    dist >>= 7;  // from here on, distances divided by 128
    for (; code < kDCodes; ++code) {
      base_dist[code] = dist << 7;
      for (int n = 0; n < (1 << (kExtraDistBits[code] - 7)); ++n) dist_code[256 + dist++] = uint8_t(code);
    }
    uint16_t count[kMaxBits + 1] = {};
    for (int n = 0; n < kLCodes + 2; ++n) {
      static_ltree[n].len = n <= 143 ? 8 : n <= 255 ? 9 : n <= 279 ? 7 : 8;
      count[static_ltree[n].len]++;
    }
    uint16_t next[kMaxBits + 1] = {};
    uint16_t c = 0;
    for (int bits = 1; bits <= kMaxBits; ++bits) next[bits] = c = uint16_t((c + count[bits - 1]) << 1);
    for (auto& node : static_ltree) node.code = ReverseBits(next[node.len]++, node.len);
    for (int n = 0; n < kDCodes; ++n) static_dtree[n] = {0, ReverseBits(unsigned(n), 5), 0, 5};
  }
};

const Tables& T() {
  static const Tables tables;
  return tables;
}

unsigned DistCode(unsigned dist) {
  return dist < 256 ? T().dist_code[dist] : T().dist_code[256 + (dist >> 7)];
}

}  // namespace

void DeflateBitWriter::Put(uint32_t value, int bits) {
  buffer_ |= uint64_t{value} << count_;
  count_ += bits;
  while (count_ >= 8) {
    out_->push_back(static_cast<uint8_t>(buffer_));
    buffer_ >>= 8;
    count_ -= 8;
  }
}

void DeflateBitWriter::AlignToByte() {
  if (count_ > 0) out_->push_back(static_cast<uint8_t>(buffer_));
  buffer_ = 0;
  count_ = 0;
}

GnuDeflateBlock::GnuDeflateBlock(int level)
    : level_(level), lit_(kLitBufSize), dist_(kDistBufSize), is_match_(kLitBufSize) {
  l_desc_ = {dyn_ltree_.data(), T().static_ltree, kExtraLengthBits, kLiterals + 1, kLCodes, kMaxBits, 0};
  d_desc_ = {dyn_dtree_.data(), T().static_dtree, kExtraDistBits, 0, kDCodes, kMaxBits, 0};
  bl_desc_ = {bl_tree_.data(), nullptr, kExtraBitLengthBits, 0, kBlCodes, kMaxBitLengthBits, 0};
  StartBlock();
}

void GnuDeflateBlock::StartBlock() {
  for (int n = 0; n < kLCodes; ++n) dyn_ltree_[n].freq = 0;
  for (int n = 0; n < kDCodes; ++n) dyn_dtree_[n].freq = 0;
  for (int n = 0; n < kBlCodes; ++n) bl_tree_[n].freq = 0;
  dyn_ltree_[kEndBlock].freq = 1;
  opt_len_ = static_len_ = 0;
  last_lit_ = last_dist_ = 0;
}

bool GnuDeflateBlock::Tally(unsigned dist, unsigned lc, uint64_t in_length) {
  lit_[last_lit_] = static_cast<uint8_t>(lc);
  is_match_[last_lit_] = dist != 0;
  ++last_lit_;
  if (dist == 0) {
    dyn_ltree_[lc].freq++;
  } else {
    --dist;
    dyn_ltree_[T().length_code[lc] + kLiterals + 1].freq++;
    dyn_dtree_[DistCode(dist)].freq++;
    dist_[last_dist_++] = static_cast<uint16_t>(dist);
  }
  // gzip's guess whether ending the block here pays: every 4096 symbols,
  // an upper bound of the coded size against the input covered.
  if (level_ > 2 && (last_lit_ & 0xfff) == 0) {
    uint64_t out_length = uint64_t{last_lit_} * 8;
    for (int d = 0; d < kDCodes; ++d) out_length += uint64_t{dyn_dtree_[d].freq} * (5 + kExtraDistBits[d]);
    out_length >>= 3;
    if (last_dist_ < last_lit_ / 2 && out_length < in_length / 2) return true;
  }
  return last_lit_ == kLitBufSize - 1 || last_dist_ == kDistBufSize;
}

bool GnuDeflateBlock::Smaller(const Node* tree, int n, int m) const {
  return tree[n].freq < tree[m].freq || (tree[n].freq == tree[m].freq && depth_[n] <= depth_[m]);
}

void GnuDeflateBlock::DownHeap(const Node* tree, int k) {
  int v = heap_[k];
  int j = k << 1;
  while (j <= heap_len_) {
    if (j < heap_len_ && Smaller(tree, heap_[j + 1], heap_[j])) ++j;
    if (Smaller(tree, v, heap_[j])) break;
    heap_[k] = heap_[j];
    k = j;
    j <<= 1;
  }
  heap_[k] = v;
}

void GnuDeflateBlock::BuildTree(Tree& t) {
  Node* tree = t.nodes;
  int max_code = -1;
  int node = t.elems;
  heap_len_ = 0;
  heap_max_ = kHeapSize;
  for (int n = 0; n < t.elems; ++n) {
    if (tree[n].freq != 0) {
      heap_[++heap_len_] = max_code = n;
      depth_[n] = 0;
    } else {
      tree[n].len = 0;
    }
  }
  // A tree needs two codes: force some in (gzip counts them in the costs).
  while (heap_len_ < 2) {
    int added = heap_[++heap_len_] = max_code < 2 ? ++max_code : 0;
    tree[added].freq = 1;
    depth_[added] = 0;
    --opt_len_;
    if (t.static_nodes) static_len_ -= t.static_nodes[added].len;
  }
  t.max_code = max_code;
  for (int n = heap_len_ / 2; n >= 1; --n) DownHeap(tree, n);
  do {
    int n = heap_[1];
    heap_[1] = heap_[heap_len_--];
    DownHeap(tree, 1);
    int m = heap_[1];
    heap_[--heap_max_] = n;
    heap_[--heap_max_] = m;
    tree[node].freq = static_cast<uint16_t>(tree[n].freq + tree[m].freq);
    depth_[node] = static_cast<uint8_t>(std::max(depth_[n], depth_[m]) + 1);
    tree[n].dad = tree[m].dad = static_cast<uint16_t>(node);
    heap_[1] = node++;
    DownHeap(tree, 1);
  } while (heap_len_ >= 2);
  heap_[--heap_max_] = heap_[1];
  GenBitLengths(t);
  GenCodes(tree, max_code);
}

void GnuDeflateBlock::GenBitLengths(Tree& t) {
  Node* tree = t.nodes;
  int overflow = 0;
  bl_count_.fill(0);
  tree[heap_[heap_max_]].len = 0;  // the root
  int h = heap_max_ + 1;
  for (; h < kHeapSize; ++h) {
    int n = heap_[h];
    int bits = tree[tree[n].dad].len + 1;
    if (bits > t.max_length) bits = t.max_length, ++overflow;
    tree[n].len = static_cast<uint16_t>(bits);
    if (n > t.max_code) continue;  // not a leaf
    bl_count_[bits]++;
    int xbits = n >= t.extra_base ? t.extra_bits[n - t.extra_base] : 0;
    uint64_t f = tree[n].freq;
    opt_len_ += f * uint64_t(bits + xbits);
    if (t.static_nodes) static_len_ += f * uint64_t(t.static_nodes[n].len + xbits);
  }
  if (overflow == 0) return;
  // Too long codes: move leaves down until the lengths fit, then hand the
  // lengths out again in the heap's frequency order.
  do {
    int bits = t.max_length - 1;
    while (bl_count_[bits] == 0) --bits;
    bl_count_[bits]--;
    bl_count_[bits + 1] += 2;
    bl_count_[t.max_length]--;
    overflow -= 2;
  } while (overflow > 0);
  for (int bits = t.max_length; bits != 0; --bits) {
    int n = bl_count_[bits];
    while (n != 0) {
      int m = heap_[--h];
      if (m > t.max_code) continue;
      if (tree[m].len != bits) {
        opt_len_ += uint64_t((int64_t(bits) - int64_t(tree[m].len)) * int64_t(tree[m].freq));
        tree[m].len = static_cast<uint16_t>(bits);
      }
      --n;
    }
  }
}

void GnuDeflateBlock::GenCodes(Node* tree, int max_code) {
  uint16_t next[kMaxBits + 1] = {};
  uint16_t code = 0;
  for (int bits = 1; bits <= kMaxBits; ++bits) next[bits] = code = uint16_t((code + bl_count_[bits - 1]) << 1);
  for (int n = 0; n <= max_code; ++n) {
    int len = tree[n].len;
    if (len != 0) tree[n].code = ReverseBits(next[len]++, len);
  }
}

namespace {

// Walks the code lengths of `tree` in the runs deflate sends them as:
// emit(length, count, previous length) at the end of each run.
template <typename Emit>
void ForEachLengthRun(const GnuTreeNode* tree, int max_code, Emit emit) {
  int prevlen = -1;
  int nextlen = tree[0].len;
  int count = 0;
  int max_count = nextlen == 0 ? 138 : 7;
  int min_count = nextlen == 0 ? 3 : 4;
  for (int n = 0; n <= max_code; ++n) {
    int curlen = nextlen;
    nextlen = tree[n + 1].len;
    if (++count < max_count && curlen == nextlen) continue;
    emit(curlen, count, prevlen, min_count);
    count = 0;
    prevlen = curlen;
    if (nextlen == 0) {
      max_count = 138, min_count = 3;
    } else if (curlen == nextlen) {
      max_count = 6, min_count = 3;
    } else {
      max_count = 7, min_count = 4;
    }
  }
}

}  // namespace

// Counts the bit length codes needed to send `tree`.
void GnuDeflateBlock::ScanTree(Node* tree, int max_code) {
  tree[max_code + 1].len = 0xffff;  // guard (gzip leaves it set for SendTree)
  ForEachLengthRun(tree, max_code, [&](int curlen, int count, int prevlen, int min_count) {
    if (count < min_count) {
      bl_tree_[curlen].freq = uint16_t(bl_tree_[curlen].freq + count);
    } else if (curlen != 0) {
      if (curlen != prevlen) bl_tree_[curlen].freq++;
      bl_tree_[kRep3To6].freq++;
    } else if (count <= 10) {
      bl_tree_[kRepZero3To10].freq++;
    } else {
      bl_tree_[kRepZero11To138].freq++;
    }
  });
}

void GnuDeflateBlock::SendTree(const Node* tree, int max_code, DeflateBitWriter& bits) {
  auto send = [&](int c) { bits.Put(bl_tree_[c].code, bl_tree_[c].len); };
  ForEachLengthRun(tree, max_code, [&](int curlen, int count, int prevlen, int min_count) {
    if (count < min_count) {
      do send(curlen);
      while (--count != 0);
    } else if (curlen != 0) {
      if (curlen != prevlen) {
        send(curlen);
        --count;
      }
      send(kRep3To6);
      bits.Put(uint32_t(count - 3), 2);
    } else if (count <= 10) {
      send(kRepZero3To10);
      bits.Put(uint32_t(count - 3), 3);
    } else {
      send(kRepZero11To138);
      bits.Put(uint32_t(count - 11), 7);
    }
  });
}

int GnuDeflateBlock::BuildBitLengthTree() {
  ScanTree(dyn_ltree_.data(), l_desc_.max_code);
  ScanTree(dyn_dtree_.data(), d_desc_.max_code);
  BuildTree(bl_desc_);
  int max_blindex = kBlCodes - 1;
  for (; max_blindex >= 3; --max_blindex) {
    if (bl_tree_[kBitLengthOrder[max_blindex]].len != 0) break;
  }
  opt_len_ += uint64_t(3 * (max_blindex + 1) + 5 + 5 + 4);
  return max_blindex;
}

void GnuDeflateBlock::SendAllTrees(int lcodes, int dcodes, int blcodes, DeflateBitWriter& bits) {
  bits.Put(uint32_t(lcodes - 257), 5);
  bits.Put(uint32_t(dcodes - 1), 5);
  bits.Put(uint32_t(blcodes - 4), 4);
  for (int rank = 0; rank < blcodes; ++rank) bits.Put(bl_tree_[kBitLengthOrder[rank]].len, 3);
  SendTree(dyn_ltree_.data(), lcodes - 1, bits);
  SendTree(dyn_dtree_.data(), dcodes - 1, bits);
}

void GnuDeflateBlock::SendSymbols(const Node* ltree, const Node* dtree, DeflateBitWriter& bits) {
  unsigned dx = 0;
  for (unsigned i = 0; i < last_lit_; ++i) {
    unsigned lc = lit_[i];
    if (!is_match_[i]) {
      bits.Put(ltree[lc].code, ltree[lc].len);
      continue;
    }
    unsigned code = T().length_code[lc];
    bits.Put(ltree[code + kLiterals + 1].code, ltree[code + kLiterals + 1].len);
    if (kExtraLengthBits[code] != 0) bits.Put(lc - unsigned(T().base_length[code]), kExtraLengthBits[code]);
    unsigned dist = dist_[dx++];
    code = DistCode(dist);
    bits.Put(dtree[code].code, dtree[code].len);
    if (kExtraDistBits[code] != 0) bits.Put(dist - unsigned(T().base_dist[code]), kExtraDistBits[code]);
  }
  bits.Put(ltree[kEndBlock].code, ltree[kEndBlock].len);
}

void GnuDeflateBlock::Flush(const uint8_t* stored, uint64_t stored_len, bool eof, DeflateBitWriter& bits) {
  BuildTree(l_desc_);
  BuildTree(d_desc_);
  int max_blindex = BuildBitLengthTree();
  uint64_t opt_lenb = (opt_len_ + 3 + 7) >> 3;
  uint64_t static_lenb = (static_len_ + 3 + 7) >> 3;
  if (static_lenb <= opt_lenb) opt_lenb = static_lenb;
  uint32_t last = eof ? 1 : 0;
  if (stored_len + 4 <= opt_lenb && stored != nullptr) {
    bits.Put(0 + last, 3);
    bits.AlignToByte();
    uint16_t len = static_cast<uint16_t>(stored_len);
    bits.Put(len, 16);
    bits.Put(static_cast<uint16_t>(~len), 16);
    for (uint64_t i = 0; i < stored_len; ++i) bits.PutByte(stored[i]);
  } else if (static_lenb == opt_lenb) {
    bits.Put(2 + last, 3);
    SendSymbols(l_desc_.static_nodes, d_desc_.static_nodes, bits);
  } else {
    bits.Put(4 + last, 3);
    SendAllTrees(l_desc_.max_code + 1, d_desc_.max_code + 1, max_blindex + 1, bits);
    SendSymbols(dyn_ltree_.data(), dyn_dtree_.data(), bits);
  }
  StartBlock();
  if (eof) bits.AlignToByte();
}

}  // namespace larch::delta
