// File: repo/file_object.h
//
// Reading and writing file objects in both store modes.
//   archive: "<header frame><zstd frame of content>"
//   bare:    a real regular file or symlink whose mode, owner, xattrs and
//            content *are* the header and content.
// Every reader checks sizes against the header, so a truncated or padded
// object is reported as kCorruption; VerifyFileObject re-hashes everything.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "repo/objects/file_header.h"
#include "repo/objects/object_id.h"
#include "repo/store.h"
#include "src/compress/zstd_stream.h"

namespace larch::repo {

// Content of a file being committed: either already in memory (small files
// read while hashing) or to be read again from a descriptor.
struct FileContentSource {
  const Bytes* data = nullptr;  // if set, the whole content
  int dirfd = -1;               // else re-open dirfd/name for reading
  std::string name;
};

// Computes the id of a file object: SHA-256(header frame || content).
crypto::Sha256Digest HashFileObject(const FileHeader& header, ByteSpan content);

// Reads the header of a stored file object (archive: parses the frame;
// bare: lstat + readlink + xattrs).
Result<FileHeader> ReadFileObjectHeader(const Store& store, const ObjectId& id);

// Streams the content of a stored file object to `sink`, checking that it
// has exactly header.size bytes. Symlinks have no content.
Status ReadFileObjectContent(const Store& store, const ObjectId& id, const FileHeader& header,
                             const compress::Sink& sink);

// Re-hashes a stored object and compares with its name. kCorruption names the
// object and what is wrong (truncated, bad frame, checksum mismatch).
Status VerifyFileObject(const Store& store, const ObjectId& id);

// Gives dirfd/name (fd: its open descriptor, or -1 for a symlink) the
// header's owner (when set_owner), permission bits and xattrs, in the order
// that keeps setuid bits and capabilities.
Status ApplyFileMetadata(fs::Fs& fs, int dirfd, const std::string& name, int fd,
                         const FileHeader& header, bool set_owner);

// Writes a file object into dirfd/name (a staging directory) in the store's
// mode. No fsync here: the transaction syncs the whole filesystem once.
Status WriteFileObject(const Store& store, int dirfd, const std::string& name,
                       const FileHeader& header, const FileContentSource& content);

}  // namespace larch::repo
