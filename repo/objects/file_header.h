// File: repo/objects/file_header.h
//
// The metadata half of a file object. A file object's id is
//   SHA-256(header frame || content)
// where the header frame is a u32 little-endian length followed by the
// canonical encoding of FileHeader. The checksum covers mode, owner and
// xattrs, so hard links in a bare store carry their metadata with them.
// Format: docs/formats.md, "file".
#pragma once

#include <cstdint>
#include <string>

#include "repo/objects/limits.h"
#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/base/xattr.h"

namespace larch::repo {

enum class FileKind : uint8_t { kRegular = 1, kSymlink = 2 };

struct FileHeader {
  FileKind kind = FileKind::kRegular;
  uint32_t mode = 0;  // full st_mode: S_IFREG or S_IFLNK plus 07777 bits
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t size = 0;           // content bytes; 0 for a symlink
  std::string symlink_target;  // symlinks only; empty for regular files
  Xattrs xattrs;           // sorted by name, names unique

  bool operator==(const FileHeader&) const = default;
};

// Checks the rules the decoder enforces: kind agrees with mode's type bits,
// no mode bits beyond S_IFMT|07777, symlink target non-empty without NUL and
// size 0, regular file without target, xattr names non-empty, NUL-free,
// strictly sorted, encoding at most kMaxFileHeaderSize bytes.
Status ValidateFileHeader(const FileHeader& header);

Bytes EncodeFileHeader(const FileHeader& header);
Result<FileHeader> DecodeFileHeader(ByteSpan data);

// u32 LE length + EncodeFileHeader(header).
Bytes EncodeFileHeaderFrame(const FileHeader& header);
// Parses a header frame at the start of `data`; returns the header and the
// frame's total length (4 + header bytes). Header length is capped at
// kMaxFileHeaderSize (1 MiB). Bytes after the frame (content) are ignored.
struct ParsedHeaderFrame {
  FileHeader header;
  size_t frame_size;
};
Result<ParsedHeaderFrame> DecodeFileHeaderFrame(ByteSpan data);

}  // namespace larch::repo
