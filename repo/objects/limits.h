// File: repo/objects/limits.h
//
// Every size and count limit of the object formats (docs/formats.md), one
// value each, for the codecs that enforce them and for the layers that
// read, fetch or carry objects (the store, pull, deltas and bundles), so a
// reader never sizes a buffer with a figure the decoder does not share.
// Delta-only bounds (parts, patches) are in repo/delta/limits.h.
#pragma once

#include <cstddef>

namespace larch::repo {

// --- commit ---
inline constexpr size_t kMaxSubject = 4096;
inline constexpr size_t kMaxBody = 1u << 20;
inline constexpr size_t kMaxMetadataEntries = 256;
inline constexpr size_t kMaxMetadataKey = 64;
inline constexpr size_t kMaxMetadataValue = 65536;

// --- commitmeta and signed envelopes ---
inline constexpr size_t kMaxSignatures = 64;
// The largest valid commitmeta, exactly: tag, version, u32 count and
// kMaxSignatures entries of key id[32] + signature[64]. Exact rather than
// rounded up (a delta's 8 KiB, as it was) because the decoder refuses
// anything longer anyway; a reader need not take a byte more.
inline constexpr size_t kMaxCommitMetaSize = 1 + 1 + 4 + kMaxSignatures * (32 + 64);
static_assert(kMaxCommitMetaSize == 6150);
inline constexpr size_t kMaxEnvelopeBody = 64u << 20;

// --- dirtree ---
inline constexpr size_t kMaxNameLength = 255;
inline constexpr size_t kMaxDirEntries = 1u << 20;

// --- file header ---
inline constexpr size_t kMaxSymlinkTarget = 4095;
inline constexpr size_t kMaxXattrs = 256;
inline constexpr size_t kMaxXattrName = 255;
inline constexpr size_t kMaxXattrValue = 65536;
// Cap on the encoded FileHeader (the frame's length field), so a reader
// never buffers more than this before it has a header to check.
inline constexpr size_t kMaxFileHeaderSize = 1u << 20;

// --- veritylist ---
// One entry per distinct regular file of a commit: 4 Mi files, 256 MiB of
// list, is far beyond any root filesystem, and more than the metadata cap
// below lets a reader take (the cap decides first).
inline constexpr size_t kMaxVerityEntries = 4u << 20;

// --- metadata objects read whole (dirtree, dirmeta, commit) ---
// What the store reads into memory, pull fetches and a delta carries for
// one metadata object. Not exact (a dirtree of kMaxDirEntries long names
// could encode larger) but a practical bound: a directory of 100,000 files
// makes a dirtree of about 7 MB, a commit is at most about 18 MB (subject,
// body, 256 values of 64 KiB), and a peer cannot make a reader hold more.
inline constexpr size_t kMaxMetadataObjectSize = 64u << 20;

// --- summary ---
inline constexpr size_t kMaxSummaryRefs = 65536;
inline constexpr size_t kMaxSummaryDeltas = 65536;
inline constexpr size_t kMaxSummaryDictionaries = 1024;
inline constexpr size_t kMaxRefNameLength = 255;
inline constexpr size_t kMaxVersionLength = 255;
inline constexpr size_t kMaxSummarySize = 32u << 20;  // whole signed file

}  // namespace larch::repo
