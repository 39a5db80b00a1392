// File: repo/delta/zlib_raw.cc
#include "repo/delta/zlib_raw.h"

#include <zlib.h>

#include <cstdint>
#include <string>

namespace larch::delta {

namespace {

constexpr size_t kChunk = 64 << 10;

// Runs `step` (one deflate or inflate call) with a fresh chunk of output
// space until it stops returning Z_OK; returns its last code.
template <typename Step>
int Drain(z_stream& s, Bytes& out, size_t max_output, Step step) {
  int rc = Z_OK;
  while (rc == Z_OK && out.size() <= max_output) {
    size_t at = out.size();
    out.resize(at + kChunk);
    s.next_out = out.data() + at;
    s.avail_out = static_cast<uInt>(kChunk);
    rc = step();
    out.resize(at + kChunk - s.avail_out);
    if (rc == Z_BUF_ERROR && s.avail_in == 0) break;  // input ended mid-stream
  }
  return rc;
}

}  // namespace

Result<Bytes> RawDeflate(ByteSpan data, int level, int mem_level) {
  z_stream s{};
  if (deflateInit2(&s, level, Z_DEFLATED, -15, mem_level, Z_DEFAULT_STRATEGY) != Z_OK)
    return Status::InvalidArgument("zlib: bad deflate parameters");
  Bytes out;
  s.next_in = const_cast<Bytef*>(data.data());
  s.avail_in = static_cast<uInt>(data.size());
  int rc = Drain(s, out, SIZE_MAX - kChunk, [&] { return deflate(&s, Z_FINISH); });
  deflateEnd(&s);
  if (rc != Z_STREAM_END) return Status::IoError("zlib: deflate failed");
  return out;
}

Result<Bytes> RawInflate(ByteSpan data, size_t max_output) {
  z_stream s{};
  if (inflateInit2(&s, -15) != Z_OK)
    return Status::IoError("zlib: inflateInit failed");
  Bytes out;
  s.next_in = const_cast<Bytef*>(data.data());
  s.avail_in = static_cast<uInt>(data.size());
  int rc = Drain(s, out, max_output, [&] { return inflate(&s, Z_NO_FLUSH); });
  inflateEnd(&s);
  if (out.size() > max_output) return Status::Corruption("deflate: output above the limit");
  if (rc != Z_STREAM_END) return Status::Corruption("deflate: bad or truncated stream");
  if (s.avail_in != 0) return Status::Corruption("deflate: trailing bytes after the stream");
  return out;
}

Result<uint32_t> Crc32(ByteSpan data) {
  uLong crc = crc32(0, nullptr, 0);
  for (size_t at = 0; at < data.size(); at += kChunk) {
    size_t n = std::min(kChunk, data.size() - at);
    crc = crc32(crc, data.data() + at, static_cast<uInt>(n));
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace larch::delta
