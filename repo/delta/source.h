// File: repo/delta/source.h
//
// DeltaSource: where the applier takes a delta's bytes from. The superblock
// comes first and whole; parts are then asked for in order, each streamed
// to a sink as it arrives (from a directory, a bundle file, or an HTTP
// download feeding parts as they come). A source need not check anything:
// the applier checks every byte against the signed superblock.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "repo/store.h"
#include "src/base/bytes.h"
#include "src/base/result.h"
#include "src/compress/zstd_stream.h"
#include "src/fs/fs.h"

namespace larch::delta {

class DeltaSource {
 public:
  virtual ~DeltaSource() = default;
  // The superblock file (a signed envelope), at most kMaxSuperblockSize.
  virtual Result<Bytes> Superblock() = 0;
  // Streams part `index`'s compressed bytes. `expected_size` is what the
  // superblock declares; a source may stop one byte past it (the applier
  // refuses a part that is longer or shorter anyway).
  virtual Status Part(size_t index, uint64_t expected_size, const compress::Sink& sink) = 0;
  // After the last part: e.g. a bundle refuses trailing bytes.
  virtual Status Finish() { return Status::Ok(); }
};

// A delta directory: <dir>/superblock and <dir>/<index>.
class DirectorySource : public DeltaSource {
 public:
  static Result<std::unique_ptr<DirectorySource>> Open(fs::Fs& fs, int dirfd,
                                                       const std::string& path);
  // A directory the user named (its parent's symlinks resolved once).
  static Result<std::unique_ptr<DirectorySource>> OpenUserPath(fs::Fs& fs, const std::string& path);
  // deltas/<from|empty>-<to> of a store.
  static Result<std::unique_ptr<DirectorySource>> OpenInStore(const repo::Store& store,
                                                              const std::string& name);
  Result<Bytes> Superblock() override;
  Status Part(size_t index, uint64_t expected_size, const compress::Sink& sink) override;

 private:
  DirectorySource(fs::Fs& fs, UniqueFd dir, std::string path)
      : fs_(fs), dir_(std::move(dir)), path_(std::move(path)) {}
  fs::Fs& fs_;
  UniqueFd dir_;
  std::string path_;
};

// Streams at most `limit` bytes of an open file to `sink` in chunks.
Status StreamFile(fs::Fs& fs, int fd, uint64_t limit, const compress::Sink& sink);

}  // namespace larch::delta
