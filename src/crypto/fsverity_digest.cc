// File: src/crypto/fsverity_digest.cc
#include "src/crypto/fsverity_digest.h"

#include <libfsverity.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace larch::crypto {

namespace {

// What libfsverity's read callback reaches through its opaque pointer: the
// caller's reader, and the first error it returned (libfsverity only sees
// an errno).
struct ReadContext {
  const ContentReader* read;
  Status error = Status::Ok();
};

// libfsverity asks for exactly `count` bytes at a time.
int ReadExactly(void* opaque, void* buf, size_t count) {
  auto* ctx = static_cast<ReadContext*>(opaque);
  auto* out = static_cast<uint8_t*>(buf);
  while (count > 0) {
    Result<size_t> n = (*ctx->read)(MutableByteSpan(out, count));
    if (!n.ok()) {
      ctx->error = n.status();
      return -EIO;
    }
    if (*n == 0) {
      ctx->error = Status::IoError("the content ended before its size");
      return -EIO;
    }
    out += *n;
    count -= *n;
  }
  return 0;
}

struct FreeDigest {
  void operator()(libfsverity_digest* d) const { std::free(d); }
};

}  // namespace

Result<FsVerityDigest> ComputeFsVerityDigest(uint64_t size, const ContentReader& read) {
  libfsverity_merkle_tree_params params;
  std::memset(&params, 0, sizeof(params));
  params.version = 1;
  params.hash_algorithm = kFsVerityHashAlgorithm;
  params.file_size = size;
  params.block_size = kFsVerityBlockSize;
  ReadContext ctx{&read};
  libfsverity_digest* raw = nullptr;
  const int rc = libfsverity_compute_digest(&ctx, ReadExactly, &params, &raw);
  std::unique_ptr<libfsverity_digest, FreeDigest> digest(raw);
  if (!ctx.error.ok()) return ctx.error.WithContext("fs-verity digest");
  if (rc != 0) return Status::FromErrno(-rc, "fs-verity digest");
  FsVerityDigest out;
  if (digest->digest_algorithm != kFsVerityHashAlgorithm || digest->digest_size != out.size()) {
    return Status::IoError("fs-verity digest: libfsverity returned algorithm " +
                            std::to_string(digest->digest_algorithm) + " of " +
                            std::to_string(digest->digest_size) + " bytes");
  }
  std::memcpy(out.data(), digest->digest, out.size());
  return out;
}

Result<FsVerityDigest> ComputeFsVerityDigest(ByteSpan content) {
  size_t at = 0;
  return ComputeFsVerityDigest(content.size(), [&](MutableByteSpan out) -> Result<size_t> {
    const size_t n = std::min(out.size(), content.size() - at);
    std::memcpy(out.data(), content.data() + at, n);
    at += n;
    return n;
  });
}

}  // namespace larch::crypto
