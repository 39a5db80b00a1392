// File: repo/delta/base_file.h
//
// A stored file object's content opened for positioned reads, as the base
// of a streamed patch: in a bare store the object file itself; in an
// archive store (zstd-compressed objects, no random access) a copy
// decompressed into the store's tmp/ (re-hashed on the way), removed when
// the BaseFile is destroyed. The copy is named like transaction staging
// ("txn-"), so the next transaction removes one a crash left behind.
// Neither way holds the content in memory. A bare object is not re-hashed:
// the patched target's hash is checked, and a changed base cannot pass it.
#pragma once

#include <memory>
#include <string>

#include "repo/delta/elf_patch.h"
#include "repo/delta/random_access.h"
#include "repo/objects/file_header.h"
#include "repo/store.h"

namespace larch::delta {

class BaseFile {
 public:
  // `header` is the object's, read by the caller: a regular file.
  static Result<std::unique_ptr<BaseFile>> Open(const repo::Store& store, const repo::ObjectId& id,
                                                const repo::FileHeader& header);
  ~BaseFile();
  BaseFile(const BaseFile&) = delete;
  BaseFile& operator=(const BaseFile&) = delete;

  RandomAccess& data() { return *data_; }

 private:
  explicit BaseFile(const repo::Store& store) : store_(store) {}
  Status OpenBare(const repo::ObjectId& id, uint64_t size);
  Status Decompress(const repo::ObjectId& id, const repo::FileHeader& header);

  const repo::Store& store_;
  UniqueFd fd_;
  std::string temp_;  // the decompressed copy in tmp/, if any
  std::unique_ptr<FdRandomAccess> data_;
};

// What `produce` writes, in a file in the store's tmp/ (named like the
// decompressed copies above) readable at any position, removed when the
// result is destroyed: the ELF engine's rewritten base.
Result<std::unique_ptr<RandomAccess>> WriteScratchFile(const repo::Store& store,
                                                       const ScratchWriter& produce);

}  // namespace larch::delta
