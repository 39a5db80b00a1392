// File: repo/pull/download_cache.h
//
// DownloadCache: where a pull keeps what it has received, so that nothing
// verified is downloaded twice — not after a dropped connection, not after
// the process is killed, not after a reboot. One directory per remote:
//   <store>/tmp/downloads/<remote>/<name>.part   bytes received so far
//   <store>/tmp/downloads/<remote>/<name>        a finished download
// A transfer resumes with an HTTP Range request from the .part file's
// size. Nothing here is trusted: every object and part is hashed against
// its signed id or checksum when it is used, and a download that fails
// that check is deleted (Discard) so the next attempt fetches it afresh.
// The cache is removed when a pull completes. Transaction::Begin cleans
// tmp/txn-* only, so the cache outlives failed pulls on purpose.
#pragma once

#include <memory>
#include <string>

#include "repo/store.h"
#include "src/base/result.h"
#include "src/base/unique_fd.h"

namespace larch::pull {

class DownloadCache {
 public:
  static Result<std::unique_ptr<DownloadCache>> Open(const repo::Store& store, const std::string& remote);

  // "objects/ab/cdef.file" → "objects_ab_cdef.file": one flat directory.
  static std::string NameFor(const std::string& remote_path);

  bool IsComplete(const std::string& name) const;
  // Opens <name>.part for appending (created empty if missing); its
  // current size is where the download resumes.
  Result<UniqueFd> OpenPartial(const std::string& name, uint64_t* size) const;
  // Appends to a descriptor from OpenPartial; a full disk is kNoSpace.
  Status Append(int fd, ByteSpan data) const;
  // Empties a partial download (the server ignored a Range request).
  Status Truncate(int fd) const;
  // fsync, rename <name>.part → <name>, fsync the directory.
  Status Complete(const std::string& name, int fd) const;
  Result<Bytes> Read(const std::string& name, uint64_t max_size) const;
  Result<UniqueFd> OpenComplete(const std::string& name) const;
  // Deletes a download (both forms) that failed its check.
  void Discard(const std::string& name) const;
  // Removes the whole directory (after a completed pull).
  Status Clear();
  // Bytes held (complete and partial), for reports.
  uint64_t BytesHeld() const;

 private:
  DownloadCache(const repo::Store& store, std::string remote, UniqueFd dir)
      : store_(store), remote_(std::move(remote)), dir_(std::move(dir)) {}
  const repo::Store& store_;
  std::string remote_;
  UniqueFd dir_;
};

}  // namespace larch::pull
