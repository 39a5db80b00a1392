// File: repo/delta/gnu_deflate_block.h
//
// The block half of the GNU gzip deflate encoder (gnu_deflate.h): it
// collects literals and matches, decides where GNU gzip ends a block, and
// writes each block the way gzip 1.12 does: its Huffman tree construction
// (heap order and tie-breaking by depth decide the code lengths), its
// choice between stored, static and dynamic blocks, and its bit layout.
// Every rule here changes output bytes, so none is "simplified".
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "src/base/bytes.h"

namespace larch::delta {

// Appends bits least significant first, as deflate wants them.
class DeflateBitWriter {
 public:
  explicit DeflateBitWriter(Bytes* out) : out_(out) {}
  void Put(uint32_t value, int bits);
  // Pads the last byte with zero bits.
  void AlignToByte();
  void PutByte(uint8_t b) { out_->push_back(b); }
  void set_out(Bytes* out) { out_ = out; }

 private:
  Bytes* out_;
  uint64_t buffer_ = 0;
  int count_ = 0;
};

// A node of a Huffman tree under construction (gzip's ct_data).
struct GnuTreeNode {
  uint16_t freq = 0;
  uint16_t code = 0;
  uint16_t dad = 0;
  uint16_t len = 0;
};

class GnuDeflateBlock {
 public:
  explicit GnuDeflateBlock(int level);

  // Records a literal (dist == 0, lc the byte) or a match (dist >= 1,
  // lc = length - 3). `in_length` is how many input bytes the current block
  // covers so far. True when GNU gzip would end the block here.
  bool Tally(unsigned dist, unsigned lc, uint64_t in_length);
  // Writes the block. `stored` is the block's input when still in the
  // window (gzip offers a stored block only then), else null.
  void Flush(const uint8_t* stored, uint64_t stored_len, bool eof, DeflateBitWriter& bits);

 private:
  using Node = GnuTreeNode;
  struct Tree {
    Node* nodes;
    const Node* static_nodes;  // or null
    const uint8_t* extra_bits;
    int extra_base;
    int elems;
    int max_length;
    int max_code;
  };

  void StartBlock();
  bool Smaller(const Node* tree, int n, int m) const;
  void DownHeap(const Node* tree, int k);
  void BuildTree(Tree& t);
  void GenBitLengths(Tree& t);
  void GenCodes(Node* tree, int max_code);
  void ScanTree(Node* tree, int max_code);
  void SendTree(const Node* tree, int max_code, DeflateBitWriter& bits);
  int BuildBitLengthTree();
  void SendAllTrees(int lcodes, int dcodes, int blcodes, DeflateBitWriter& bits);
  void SendSymbols(const Node* ltree, const Node* dtree, DeflateBitWriter& bits);

  int level_;
  std::array<Node, 2 * 286 + 1> dyn_ltree_{};
  std::array<Node, 2 * 30 + 1> dyn_dtree_{};
  std::array<Node, 2 * 19 + 1> bl_tree_{};
  Tree l_desc_, d_desc_, bl_desc_;
  std::array<uint16_t, 16> bl_count_{};
  std::array<int, 2 * 286 + 1> heap_{};
  int heap_len_ = 0;
  int heap_max_ = 0;
  std::array<uint8_t, 2 * 286 + 1> depth_{};
  // The block's symbols: lc (literal byte or length - 3) and distance - 1
  // for matches; is_match tells them apart.
  std::vector<uint8_t> lit_;
  std::vector<uint16_t> dist_;
  std::vector<bool> is_match_;
  unsigned last_lit_ = 0;
  unsigned last_dist_ = 0;
  uint64_t opt_len_ = 0;
  uint64_t static_len_ = 0;
};

}  // namespace larch::delta
