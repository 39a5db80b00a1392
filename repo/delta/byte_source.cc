// File: repo/delta/byte_source.cc
#include "repo/delta/byte_source.h"

#include <algorithm>
#include <cstring>

namespace larch::delta {

Result<size_t> SpanSource::Read(MutableByteSpan buf) {
  size_t n = std::min(buf.size(), data_.size() - pos_);
  if (n > 0) std::memcpy(buf.data(), data_.data() + pos_, n);
  pos_ += n;
  return n;
}

Result<size_t> FdSource::Read(MutableByteSpan buf) {
  size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), left_));
  if (want == 0) return size_t{0};
  LARCH_ASSIGN_OR_RETURN(size_t n, fs_.Read(fd_, buf.first(want)));
  left_ -= n;
  return n;
}

Result<bool> ReadFull(ByteSource& src, MutableByteSpan buf, size_t* got) {
  size_t pos = 0;
  while (pos < buf.size()) {
    LARCH_ASSIGN_OR_RETURN(size_t n, src.Read(buf.subspan(pos)));
    if (n == 0) break;
    pos += n;
  }
  if (got != nullptr) *got = pos;
  return pos == buf.size();
}

Result<Bytes> ReadAll(ByteSource& src) {
  Bytes out;
  uint8_t buf[4096];
  for (;;) {
    LARCH_ASSIGN_OR_RETURN(size_t n, src.Read(MutableByteSpan(buf, sizeof(buf))));
    if (n == 0) return out;
    out.insert(out.end(), buf, buf + n);
  }
}

}  // namespace larch::delta
