// File: repo/delta/gnu_deflate.h
//
// A deflate encoder that writes exactly the raw deflate stream GNU gzip
// 1.12 writes (`gzip -N -n`, N = 1..9, reading a regular file). Debian
// compresses its man pages and changelogs with GNU gzip, whose deflate is
// not zlib's: its own lazy-match table, 15 hash bits whatever the level,
// 32 Ki-symbol buffers, and its own rule for ending blocks. The gzip engine
// (gzip_patch.h) uses this encoder to rebuild such files from their
// decompressed content.
//
// The encoder is a stream: input in chunks of any size, output appended
// as it is produced, memory bounded by gzip's own (a 64 KiB window, hash
// tables, symbol buffers; about 400 KiB). It reproduces gzip's window
// handling byte for byte (when the window slides, how it refills, what
// lies past the end of the input), because matches near the end of the
// input read those bytes. It models a fresh gzip process: a process that
// compressed another file first has that file's bytes in its window.
#pragma once

#include <memory>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::delta {

class GnuDeflateBlock;

class GnuDeflate {
 public:
  // `level` 1..9 (checked by the caller; see IsGnuGzipLevel).
  explicit GnuDeflate(int level);
  ~GnuDeflate();
  GnuDeflate(const GnuDeflate&) = delete;
  GnuDeflate& operator=(const GnuDeflate&) = delete;

  // Consumes all of `in`, appending the output ready so far to *out.
  void Write(ByteSpan in, Bytes* out);
  // Ends the input and appends the rest of the stream. Call once.
  void Finish(Bytes* out);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

inline bool IsGnuGzipLevel(int level) { return level >= 1 && level <= 9; }

// The whole raw deflate stream of `data` at `level`.
Bytes GnuDeflateAll(ByteSpan data, int level);

}  // namespace larch::delta
