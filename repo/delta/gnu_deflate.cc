// File: repo/delta/gnu_deflate.cc
//
// The match finder of GNU gzip's deflate: a 64 KiB window whose upper half
// slides down, hash chains over 3-byte strings, greedy matching at levels
// 1-3 and lazy matching at 4-9. Names follow the published algorithm
// (deflate.c of gzip 1.12) so the two can be read side by side.
#include "repo/delta/gnu_deflate.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "repo/delta/gnu_deflate_block.h"

namespace larch::delta {

namespace {

constexpr unsigned kWSize = 0x8000;
constexpr unsigned kWMask = kWSize - 1;
constexpr unsigned kWindowSize = 2 * kWSize;
constexpr unsigned kHashBits = 15;
constexpr unsigned kHashSize = 1u << kHashBits;
constexpr unsigned kHashMask = kHashSize - 1;
constexpr unsigned kHashShift = (kHashBits + 3 - 1) / 3;
constexpr unsigned kMinMatch = 3;
constexpr unsigned kMaxMatch = 258;
constexpr unsigned kMinLookahead = kMaxMatch + kMinMatch + 1;
constexpr unsigned kMaxDist = kWSize - kMinLookahead;
// A 3-byte match this far away costs more than its literals.
constexpr unsigned kTooFar = 4096;

struct Config {
  unsigned good_length;  // quarter the chain search above this match length
  unsigned max_lazy;     // no lazy search above (levels 1-3: no insertion above)
  unsigned nice_length;  // stop searching at this length
  unsigned max_chain;
};

constexpr Config kConfig[10] = {
    {0, 0, 0, 0},       {4, 4, 8, 4},       {4, 5, 16, 8},       {4, 6, 32, 32},
    {4, 4, 16, 16},     {8, 16, 32, 32},    {8, 16, 128, 128},   {8, 32, 128, 256},
    {32, 128, 258, 1024}, {32, 258, 258, 4096}};

}  // namespace

struct GnuDeflate::State {
  explicit State(int level_in) : level(level_in), config(kConfig[level_in]), block(level_in) {}

  int level;
  Config config;
  GnuDeflateBlock block;
  DeflateBitWriter bits{nullptr};
  // Zero-filled like a fresh gzip process's: matches near the end of the
  // input read past it.
  std::vector<uint8_t> window = std::vector<uint8_t>(kWindowSize);
  std::vector<uint16_t> prev = std::vector<uint16_t>(kWSize);
  std::vector<uint16_t> head = std::vector<uint16_t>(kHashSize);
  unsigned ins_h = 0;
  unsigned strstart = 0;
  unsigned lookahead = 0;
  unsigned match_start = 0;
  unsigned prev_length = 0;
  int64_t block_start = 0;
  bool eofile = false;
  bool started = false;
  // Lazy matching carries these from one position to the next.
  unsigned match_length = kMinMatch - 1;
  bool match_available = false;
  // Input not yet in the window, and whether more may come.
  ByteSpan input;
  bool input_done = false;
  // A window fill in progress (gzip's read of all free space) and where
  // it started: a fill that adds nothing means end of input.
  bool filling = false;
  unsigned fill_from = 0;

  void UpdateHash(uint8_t c) { ins_h = ((ins_h << kHashShift) ^ c) & kHashMask; }
  // Inserts the string at `s` and returns the previous head of its chain.
  unsigned InsertString(unsigned s) {
    UpdateHash(window[s + kMinMatch - 1]);
    unsigned match_head = head[ins_h];
    prev[s & kWMask] = static_cast<uint16_t>(match_head);
    head[ins_h] = static_cast<uint16_t>(s);
    return match_head;
  }

  void Slide();
  bool Fill();
  void Pump();
  unsigned LongestMatch(unsigned cur_match);
  bool CanMatch(unsigned hash_head) const {
    return hash_head != 0 && strstart - hash_head <= kMaxDist && strstart <= kWindowSize - kMinLookahead;
  }
  bool Tally(unsigned dist, unsigned lc) {
    return block.Tally(dist, lc, uint64_t(int64_t(strstart) - block_start));
  }
  void FlushBlock(bool eof) {
    const uint8_t* stored = block_start >= 0 ? window.data() + block_start : nullptr;
    block.Flush(stored, uint64_t(int64_t(strstart) - block_start), eof, bits);
    block_start = strstart;
  }
  void StepFast();
  void StepLazy();
};

// Moves the upper half of the window down, when the lookahead nears its end.
void GnuDeflate::State::Slide() {
  std::memcpy(window.data(), window.data() + kWSize, kWSize);
  match_start -= kWSize;
  strstart -= kWSize;
  block_start -= kWSize;
  for (auto& h : head) h = static_cast<uint16_t>(h >= kWSize ? h - kWSize : 0);
  for (auto& p : prev) p = static_cast<uint16_t>(p >= kWSize ? p - kWSize : 0);
}

// gzip reads all the free space of the window at once; a read that comes
// back empty marks the end of input. False: the read needs more input
// than has been written so far.
bool GnuDeflate::State::Fill() {
  if (!filling) {
    if (strstart >= kWSize + kMaxDist) Slide();
    filling = true;
    fill_from = strstart + lookahead;
  }
  unsigned end = strstart + lookahead;
  size_t n = std::min<size_t>(kWindowSize - end, input.size());
  if (n > 0) std::memcpy(window.data() + end, input.data(), n);  // (an empty input's data() may be null)
  input = input.subspan(n);
  lookahead += static_cast<unsigned>(n);
  if (strstart + lookahead < kWindowSize && !input_done) return false;
  filling = false;
  if (strstart + lookahead == fill_from) {
    eofile = true;
    // gzip clears the two bytes after the input (and no more).
    std::memset(window.data() + fill_from, 0, std::min(kMinMatch - 1, kWindowSize - fill_from));
  }
  return true;
}

unsigned GnuDeflate::State::LongestMatch(unsigned cur_match) {
  unsigned chain_length = config.max_chain;
  const uint8_t* scan = window.data() + strstart;
  unsigned best_len = prev_length;
  unsigned limit = strstart > kMaxDist ? strstart - kMaxDist : 0;
  uint8_t scan_end1 = scan[best_len - 1];
  uint8_t scan_end = scan[best_len];
  if (prev_length >= config.good_length) chain_length >>= 2;
  do {
    const uint8_t* match = window.data() + cur_match;
    // gzip skips comparing the third byte: equal hashes imply it, except
    // on stale chain links, where gzip then takes an unequal byte as equal.
    if (match[best_len] != scan_end || match[best_len - 1] != scan_end1 || match[0] != scan[0] ||
        match[1] != scan[1])
      continue;
    unsigned len = 3;
    while (len < kMaxMatch && scan[len] == match[len]) ++len;
    if (len > best_len) {
      match_start = cur_match;
      best_len = len;
      if (len >= config.nice_length) break;
      scan_end1 = scan[best_len - 1];
      scan_end = scan[best_len];
    }
  } while ((cur_match = prev[cur_match & kWMask]) > limit && --chain_length != 0);
  return best_len;
}

// Levels 1-3: take the longest match at once; insert the strings inside
// a match only when it is short.
void GnuDeflate::State::StepFast() {
  unsigned hash_head = InsertString(strstart);
  if (CanMatch(hash_head)) {
    match_length = LongestMatch(hash_head);
    if (match_length > lookahead) match_length = lookahead;
  }
  bool flush;
  if (match_length >= kMinMatch) {
    flush = Tally(strstart - match_start, match_length - kMinMatch);
    lookahead -= match_length;
    if (match_length <= config.max_lazy) {
      --match_length;  // the string at strstart is in already
      do {
        ++strstart;
        InsertString(strstart);
      } while (--match_length != 0);
      ++strstart;
    } else {
      strstart += match_length;
      match_length = 0;
      ins_h = window[strstart];
      UpdateHash(window[strstart + 1]);
    }
  } else {
    flush = Tally(0, window[strstart]);
    --lookahead;
    ++strstart;
  }
  if (flush) FlushBlock(false);
}

// Levels 4-9: a match is taken only if the next position has no longer one.
void GnuDeflate::State::StepLazy() {
  unsigned hash_head = InsertString(strstart);
  prev_length = match_length;
  unsigned prev_match = match_start;
  match_length = kMinMatch - 1;
  if (CanMatch(hash_head) && prev_length < config.max_lazy) {
    match_length = LongestMatch(hash_head);
    if (match_length > lookahead) match_length = lookahead;
    if (match_length == kMinMatch && strstart - match_start > kTooFar) --match_length;
  }
  if (prev_length >= kMinMatch && match_length <= prev_length) {
    bool flush = Tally(strstart - 1 - prev_match, prev_length - kMinMatch);
    lookahead -= prev_length - 1;
    prev_length -= 2;
    do {
      ++strstart;
      InsertString(strstart);
    } while (--prev_length != 0);
    match_available = false;
    match_length = kMinMatch - 1;
    ++strstart;
    if (flush) FlushBlock(false);
  } else if (match_available) {
    if (Tally(0, window[strstart - 1])) FlushBlock(false);
    ++strstart;
    --lookahead;
  } else {
    match_available = true;
    ++strstart;
    --lookahead;
  }
}

// Runs the encoder as far as the input written so far allows.
void GnuDeflate::State::Pump() {
  for (;;) {
    while (lookahead < kMinLookahead && !eofile) {
      if (!Fill()) return;
    }
    if (lookahead == 0) return;
    if (!started) {
      started = true;
      prev_length = kMinMatch - 1;
      UpdateHash(window[0]);
      UpdateHash(window[1]);
    }
    if (level <= 3) {
      StepFast();
    } else {
      StepLazy();
    }
  }
}

GnuDeflate::GnuDeflate(int level) : s_(std::make_unique<State>(level)) {}
GnuDeflate::~GnuDeflate() = default;

void GnuDeflate::Write(ByteSpan in, Bytes* out) {
  s_->bits.set_out(out);
  s_->input = in;
  s_->Pump();
}

void GnuDeflate::Finish(Bytes* out) {
  s_->bits.set_out(out);
  s_->input_done = true;
  s_->Pump();
  if (s_->match_available) s_->Tally(0, s_->window[s_->strstart - 1]);
  s_->FlushBlock(true);
}

Bytes GnuDeflateAll(ByteSpan data, int level) {
  Bytes out;
  GnuDeflate deflate(level);
  deflate.Write(data, &out);
  deflate.Finish(&out);
  return out;
}

}  // namespace larch::delta
