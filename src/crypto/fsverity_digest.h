// File: src/crypto/fsverity_digest.h
// The fs-verity digest of a file's content, computed in user space with
// libfsverity: SHA-256 over 4096-byte blocks, no salt, as the kernel computes
// it when FS_IOC_ENABLE_VERITY seals a file and reports it through
// FS_IOC_MEASURE_VERITY. A pure function of the content, so a publisher
// computes it without a kernel that supports fs-verity (docs/verity.md).
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::crypto {

using FsVerityDigest = std::array<uint8_t, 32>;

// The parameters every digest of Larch uses (and the kernel must be asked
// for when sealing): FS_VERITY_HASH_ALG_SHA256, 4096-byte blocks, no salt.
inline constexpr uint32_t kFsVerityHashAlgorithm = 1;
inline constexpr uint32_t kFsVerityBlockSize = 4096;

// Reads up to `out.size()` bytes of the content at the current position
// into `out`; returns how many (0 only at the end).
using ContentReader = std::function<Result<size_t>(MutableByteSpan out)>;

// The digest of `size` bytes that `read` yields in order. Fails when the
// reader fails or ends before `size` bytes.
Result<FsVerityDigest> ComputeFsVerityDigest(uint64_t size, const ContentReader& read);
Result<FsVerityDigest> ComputeFsVerityDigest(ByteSpan content);

}  // namespace larch::crypto
