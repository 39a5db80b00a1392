#include "repo/file_object.h"

#include <sys/stat.h>

#include <algorithm>

#include "src/crypto/sha256.h"

namespace larch::repo {

namespace {

constexpr size_t kChunk = 256 << 10;
constexpr size_t kMaxHeaderFrame = (1u << 20) + 4;

// Reads dirfd/name in chunks and hands each to `sink`; fails unless exactly
// `expected` bytes were read.
Status StreamFd(fs::Fs& fs, int fd, uint64_t expected, const compress::Sink& sink) {
  // Sized to the file (one byte more, so content beyond `expected` shows
  // in the first read): a 256 KiB buffer per small file is a fresh mmap
  // and 64 page faults each, which made re-hashing a root filesystem's
  // 5,000 objects (fsck, admin deploy's check) spend seconds in the kernel.
  Bytes buf(static_cast<size_t>(std::min<uint64_t>(kChunk, expected + 1)));
  uint64_t total = 0;
  for (;;) {
    LARCH_ASSIGN_OR_RETURN(size_t n, fs.Read(fd, buf));
    if (n == 0) break;
    total += n;
    if (total > expected) return Status::Corruption("more content than the header's size");
    LARCH_RETURN_IF_ERROR(sink(ByteSpan(buf.data(), n)));
  }
  if (total != expected)
    return Status::Corruption("content truncated: " + std::to_string(total) + " of " +
                              std::to_string(expected) + " bytes");
  return Status::Ok();
}

// Reads the header frame at the start of an archive object; leaves the fd
// positioned at the first byte of the zstd frame.
Result<FileHeader> ReadArchiveHeader(fs::Fs& fs, int fd) {
  uint8_t len_bytes[4];
  LARCH_ASSIGN_OR_RETURN(size_t n, fs.Read(fd, len_bytes));
  if (n != 4) return Status::Corruption("file object shorter than its header frame");
  uint32_t len = uint32_t{len_bytes[0]} | uint32_t{len_bytes[1]} << 8 |
                 uint32_t{len_bytes[2]} << 16 | uint32_t{len_bytes[3]} << 24;
  if (len + 4ull > kMaxHeaderFrame) return Status::Corruption("file header frame too large");
  Bytes frame(4 + len);
  std::copy(len_bytes, len_bytes + 4, frame.begin());
  size_t got = 4;
  while (got < frame.size()) {
    LARCH_ASSIGN_OR_RETURN(size_t r, fs.Read(fd, MutableByteSpan(frame).subspan(got)));
    if (r == 0) return Status::Corruption("file object truncated inside its header");
    got += r;
  }
  LARCH_ASSIGN_OR_RETURN(ParsedHeaderFrame parsed, DecodeFileHeaderFrame(frame));
  return parsed.header;
}

Result<FileHeader> ReadBareHeader(const Store& store, const ObjectId& id) {
  fs::Fs& fs = store.fs();
  int dir = store.ObjectDirFd(id);
  std::string name = Store::ObjectFileName({id, ObjectType::kFile});
  LARCH_ASSIGN_OR_RETURN(struct stat st, fs.Stat(dir, name));
  FileHeader h;
  h.mode = st.st_mode;
  h.uid = st.st_uid;
  h.gid = st.st_gid;
  if (S_ISLNK(st.st_mode)) {
    h.kind = FileKind::kSymlink;
    LARCH_ASSIGN_OR_RETURN(h.symlink_target, fs.ReadLink(dir, name));
  } else if (S_ISREG(st.st_mode)) {
    h.kind = FileKind::kRegular;
    h.size = static_cast<uint64_t>(st.st_size);
  } else {
    return Status::Corruption("bare file object is neither a regular file nor a symlink");
  }
  LARCH_ASSIGN_OR_RETURN(h.xattrs, fs.GetXattrs(dir, name));
  return h;
}

}  // namespace

crypto::Sha256Digest HashFileObject(const FileHeader& header, ByteSpan content) {
  crypto::Sha256 hasher;
  hasher.Update(EncodeFileHeaderFrame(header));
  hasher.Update(content);
  return hasher.Finish();
}

Result<FileHeader> ReadFileObjectHeader(const Store& store, const ObjectId& id) {
  ObjectKey key{id, ObjectType::kFile};
  Result<FileHeader> header = [&]() -> Result<FileHeader> {
    if (store.mode() == StoreMode::kBare) return ReadBareHeader(store, id);
    LARCH_ASSIGN_OR_RETURN(UniqueFd fd, store.fs().OpenRead(store.ObjectDirFd(id),
                                                           Store::ObjectFileName(key)));
    return ReadArchiveHeader(store.fs(), fd.get());
  }();
  if (!header.ok()) return header.status().WithContext(Store::ObjectRelPath(key));
  return header;
}

static Status ReadContentImpl(const Store& store, const ObjectId& id, const FileHeader& header,
                              const compress::Sink& sink) {
  bool bare = store.mode() == StoreMode::kBare;
  if (header.kind == FileKind::kSymlink && bare) return Status::Ok();
  fs::Fs& fs = store.fs();
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs.OpenRead(store.ObjectDirFd(id),
                                                  Store::ObjectFileName({id, ObjectType::kFile})));
  if (bare) return StreamFd(fs, fd.get(), header.size, sink);
  LARCH_ASSIGN_OR_RETURN(FileHeader stored, ReadArchiveHeader(fs, fd.get()));
  if (stored != header) return Status::Corruption("header changed under us");
  if (header.kind == FileKind::kSymlink) {  // an archive symlink is its header frame alone
    uint8_t extra;
    LARCH_ASSIGN_OR_RETURN(size_t n, fs.Read(fd.get(), MutableByteSpan(&extra, 1)));
    if (n != 0) return Status::Corruption("trailing bytes after a symlink's header");
    return Status::Ok();
  }
  // The frame header names the dictionary (if any) the content needs.
  Bytes buf(kChunk);
  LARCH_ASSIGN_OR_RETURN(size_t first, fs.Read(fd.get(), buf));
  std::shared_ptr<const compress::ZstdDictionary> dict;
  uint32_t dict_id = compress::FrameDictionaryId(ByteSpan(buf.data(), first));
  if (dict_id != 0) {
    LARCH_ASSIGN_OR_RETURN(dict, store.Dictionary(dict_id));
  }
  LARCH_ASSIGN_OR_RETURN(auto z, compress::ZstdDecompressStream::Create(header.size, sink, dict.get()));
  for (size_t n = first; n != 0;) {
    LARCH_RETURN_IF_ERROR(z->Write(ByteSpan(buf.data(), n)));
    LARCH_ASSIGN_OR_RETURN(n, fs.Read(fd.get(), buf));
  }
  LARCH_RETURN_IF_ERROR(z->Finish());
  if (z->output_bytes() != header.size)
    return Status::Corruption("content truncated: " + std::to_string(z->output_bytes()) +
                              " of " + std::to_string(header.size) + " bytes");
  return Status::Ok();
}

Status ReadFileObjectContent(const Store& store, const ObjectId& id, const FileHeader& header,
                             const compress::Sink& sink) {
  // Every reader re-hashes what it hands on, so no path (cat, checkout,
  // fsck) can pass corrupt content off as the object.
  crypto::Sha256 hasher;
  hasher.Update(EncodeFileHeaderFrame(header));
  Status s = ReadContentImpl(store, id, header, [&](ByteSpan chunk) {
    hasher.Update(chunk);
    return sink(chunk);
  });
  std::string where = Store::ObjectRelPath({id, ObjectType::kFile});
  if (!s.ok()) return s.WithContext(where);
  if (ObjectId(hasher.Finish()) != id)
    return Status::Corruption("corrupt object " + where + ": content does not match its checksum");
  return Status::Ok();
}

Status VerifyFileObject(const Store& store, const ObjectId& id) {
  LARCH_ASSIGN_OR_RETURN(FileHeader header, ReadFileObjectHeader(store, id));
  return ReadFileObjectContent(store, id, header, [](ByteSpan) { return Status::Ok(); });
}

// --- writing ---

static Status ForEachContentChunk(fs::Fs& fs, const FileHeader& header,
                                  const FileContentSource& content, const compress::Sink& sink) {
  if (content.data != nullptr) {
    if (content.data->size() != header.size) return Status::IoError("content size changed");
    return sink(*content.data);
  }
  LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs.OpenRead(content.dirfd, content.name));
  Status s = StreamFd(fs, fd.get(), header.size, sink);
  if (s.IsCorruption())  // the source changed between hashing and copying
    return Status::IoError(content.name + " changed while being committed");
  return s;
}

// Content held in memory up to this size is compressed in one call.
constexpr size_t kOneShotCompressInput = 1u << 20;

static Status WriteArchiveObject(const Store& store, int dirfd, const std::string& name,
                                 const FileHeader& header, const FileContentSource& content) {
  fs::Fs& fs = store.fs();
  LARCH_ASSIGN_OR_RETURN(UniqueFd out, fs.CreateExclusive(dirfd, name, 0644));
  LARCH_RETURN_IF_ERROR(fs.Write(out.get(), EncodeFileHeaderFrame(header)));
  if (header.kind == FileKind::kSymlink) return Status::Ok();
  if (content.data != nullptr && content.data->size() <= kOneShotCompressInput) {
    // One shot: zstd sizes its tables to the input, which for the many
    // small files of a root filesystem is far cheaper than streaming. A
    // bigger file streams: one shot would also hold a compressed copy.
    LARCH_ASSIGN_OR_RETURN(Bytes z, compress::ZstdCompress(*content.data,
                                                           store.config().compression_level, 1,
                                                           store.compress_dictionary()));
    return fs.Write(out.get(), z);
  }
  int fdv = out.get();
  LARCH_ASSIGN_OR_RETURN(auto z, compress::ZstdCompressStream::Create(
                                     store.config().compression_level, 1,
                                     [&](ByteSpan chunk) { return fs.Write(fdv, chunk); },
                                     store.compress_dictionary()));
  LARCH_RETURN_IF_ERROR(ForEachContentChunk(fs, header, content, [&](ByteSpan chunk) {
    return z->Write(chunk);
  }));
  return z->Finish();
}

Status ApplyFileMetadata(fs::Fs& fs, int dirfd, const std::string& name, int fd,
                         const FileHeader& header, bool set_owner) {
  if (set_owner) LARCH_RETURN_IF_ERROR(fs.Chown(dirfd, name, header.uid, header.gid));
  // chmod after chown: chown clears setuid/setgid bits.
  if (fd >= 0) LARCH_RETURN_IF_ERROR(fs.FChmod(fd, header.mode & 07777));
  for (const fs::Xattr& x : header.xattrs) LARCH_RETURN_IF_ERROR(fs.SetXattr(dirfd, name, x));
  return Status::Ok();
}

static Status WriteBareObject(const Store& store, int dirfd, const std::string& name,
                              const FileHeader& header, const FileContentSource& content) {
  fs::Fs& fs = store.fs();
  if (header.kind == FileKind::kSymlink) {
    LARCH_RETURN_IF_ERROR(fs.Symlink(header.symlink_target, dirfd, name));
    return ApplyFileMetadata(fs, dirfd, name, -1, header, true);
  }
  LARCH_ASSIGN_OR_RETURN(UniqueFd out, fs.CreateExclusive(dirfd, name, 0600));
  int fdv = out.get();
  LARCH_RETURN_IF_ERROR(ForEachContentChunk(fs, header, content, [&](ByteSpan chunk) {
    return fs.Write(fdv, chunk);
  }));
  return ApplyFileMetadata(fs, dirfd, name, fdv, header, true);
}

Status WriteFileObject(const Store& store, int dirfd, const std::string& name,
                       const FileHeader& header, const FileContentSource& content) {
  if (store.mode() == StoreMode::kBare) return WriteBareObject(store, dirfd, name, header, content);
  return WriteArchiveObject(store, dirfd, name, header, content);
}

}  // namespace larch::repo
