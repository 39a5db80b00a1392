// File: repo/delta/zlib_loader.cc
#include "repo/delta/zlib_loader.h"

#include <dlfcn.h>
#include <zlib.h>

#include <cstdint>
#include <mutex>
#include <string>

namespace larch::delta {

namespace {

struct Zlib {
  decltype(&::deflateInit2_) deflate_init = nullptr;
  decltype(&::deflate) deflate = nullptr;
  decltype(&::deflateEnd) deflate_end = nullptr;
  decltype(&::inflateInit2_) inflate_init = nullptr;
  decltype(&::inflate) inflate = nullptr;
  decltype(&::inflateEnd) inflate_end = nullptr;
  decltype(&::crc32) crc32 = nullptr;
  const char* (*version)() = nullptr;
};

template <typename T>
bool Load(void* lib, const char* name, T& fn) {
  fn = reinterpret_cast<T>(::dlsym(lib, name));
  return fn != nullptr;
}

const Zlib* Get() {
  static std::once_flag once;
  static Zlib z;
  static bool ok = false;
  std::call_once(once, [] {
    void* lib = ::dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
    ok = lib != nullptr && Load(lib, "deflateInit2_", z.deflate_init) &&
         Load(lib, "deflate", z.deflate) && Load(lib, "deflateEnd", z.deflate_end) &&
         Load(lib, "inflateInit2_", z.inflate_init) && Load(lib, "inflate", z.inflate) &&
         Load(lib, "inflateEnd", z.inflate_end) && Load(lib, "crc32", z.crc32) &&
         Load(lib, "zlibVersion", z.version);
  });
  return ok ? &z : nullptr;
}

Result<const Zlib*> Need() {
  const Zlib* z = Get();
  if (z == nullptr) return Status::Unsupported("zlib (libz.so.1) is not available");
  return z;
}

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
  LARCH_ASSIGN_OR_RETURN(const Zlib* z, Need());
  z_stream s{};
  if (z->deflate_init(&s, level, Z_DEFLATED, -15, mem_level, Z_DEFAULT_STRATEGY, z->version(),
                      static_cast<int>(sizeof(z_stream))) != Z_OK)
    return Status::InvalidArgument("zlib: bad deflate parameters");
  Bytes out;
  s.next_in = const_cast<Bytef*>(data.data());
  s.avail_in = static_cast<uInt>(data.size());
  int rc = Drain(s, out, SIZE_MAX - kChunk, [&] { return z->deflate(&s, Z_FINISH); });
  z->deflate_end(&s);
  if (rc != Z_STREAM_END) return Status::IoError("zlib: deflate failed");
  return out;
}

Result<Bytes> RawInflate(ByteSpan data, size_t max_output) {
  LARCH_ASSIGN_OR_RETURN(const Zlib* z, Need());
  z_stream s{};
  if (z->inflate_init(&s, -15, z->version(), static_cast<int>(sizeof(z_stream))) != Z_OK)
    return Status::IoError("zlib: inflateInit failed");
  Bytes out;
  s.next_in = const_cast<Bytef*>(data.data());
  s.avail_in = static_cast<uInt>(data.size());
  int rc = Drain(s, out, max_output, [&] { return z->inflate(&s, Z_NO_FLUSH); });
  z->inflate_end(&s);
  if (out.size() > max_output) return Status::Corruption("deflate: output above the limit");
  if (rc != Z_STREAM_END) return Status::Corruption("deflate: bad or truncated stream");
  if (s.avail_in != 0) return Status::Corruption("deflate: trailing bytes after the stream");
  return out;
}

Result<uint32_t> Crc32(ByteSpan data) {
  LARCH_ASSIGN_OR_RETURN(const Zlib* z, Need());
  uLong crc = z->crc32(0, nullptr, 0);
  for (size_t at = 0; at < data.size(); at += kChunk) {
    size_t n = std::min(kChunk, data.size() - at);
    crc = z->crc32(crc, data.data() + at, static_cast<uInt>(n));
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace larch::delta
