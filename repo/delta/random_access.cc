// File: repo/delta/random_access.cc
#include "repo/delta/random_access.h"

#include <cstring>

namespace larch::delta {

namespace {

Status Past(uint64_t offset, size_t n, uint64_t size) {
  return Status::Corruption("read of " + std::to_string(n) + " bytes at " + std::to_string(offset) +
                            " past the end (" + std::to_string(size) + " bytes)");
}

}  // namespace

Status SpanRandomAccess::ReadAt(uint64_t offset, MutableByteSpan buf) {
  if (offset > data_.size() || buf.size() > data_.size() - offset)
    return Past(offset, buf.size(), data_.size());
  if (!buf.empty()) std::memcpy(buf.data(), data_.data() + offset, buf.size());
  return Status::Ok();
}

Status FdRandomAccess::ReadAt(uint64_t offset, MutableByteSpan buf) {
  if (offset > size_ || buf.size() > size_ - offset) return Past(offset, buf.size(), size_);
  size_t done = 0;
  while (done < buf.size()) {
    LARCH_ASSIGN_OR_RETURN(size_t n, fs_.ReadAt(fd_, buf.subspan(done), offset + done));
    if (n == 0) return Status::Corruption("file shorter than its " + std::to_string(size_) + " bytes");
    done += n;
  }
  return Status::Ok();
}

}  // namespace larch::delta
