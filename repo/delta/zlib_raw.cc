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

Result<uint32_t> Crc32(ByteSpan data) { return Crc32Update(0, data); }

uint32_t Crc32Update(uint32_t crc, ByteSpan data) {
  uLong c = crc;
  for (size_t at = 0; at < data.size(); at += kChunk) {
    size_t n = std::min(kChunk, data.size() - at);
    c = crc32(c, data.data() + at, static_cast<uInt>(n));
  }
  return static_cast<uint32_t>(c);
}

struct RawDeflater::Stream {
  z_stream z{};
  ~Stream() { deflateEnd(&z); }
};

RawDeflater::RawDeflater(std::unique_ptr<Stream> s) : s_(std::move(s)) {}
RawDeflater::~RawDeflater() = default;

Result<std::unique_ptr<RawDeflater>> RawDeflater::Create(int level, int mem_level) {
  auto s = std::make_unique<Stream>();
  if (deflateInit2(&s->z, level, Z_DEFLATED, -15, mem_level, Z_DEFAULT_STRATEGY) != Z_OK) {
    s->z.state = nullptr;  // nothing for deflateEnd to free
    return Status::InvalidArgument("zlib: bad deflate parameters");
  }
  return std::unique_ptr<RawDeflater>(new RawDeflater(std::move(s)));
}

Status RawDeflater::Run(ByteSpan in, int flush, Bytes* out) {
  z_stream& z = s_->z;
  z.next_in = const_cast<Bytef*>(in.data());
  z.avail_in = static_cast<uInt>(in.size());
  int rc = Drain(z, *out, SIZE_MAX - kChunk, [&] { return deflate(&z, flush); });
  bool done = flush == Z_FINISH ? rc == Z_STREAM_END : (rc == Z_OK || rc == Z_BUF_ERROR) && z.avail_in == 0;
  if (!done) return Status::IoError("zlib: deflate failed");
  return Status::Ok();
}

Status RawDeflater::Write(ByteSpan in, Bytes* out) {
  for (size_t at = 0; at < in.size(); at += kChunk) {
    LARCH_RETURN_IF_ERROR(Run(in.subspan(at, std::min(kChunk, in.size() - at)), Z_NO_FLUSH, out));
  }
  return Status::Ok();
}

Status RawDeflater::Finish(Bytes* out) { return Run({}, Z_FINISH, out); }

}  // namespace larch::delta
