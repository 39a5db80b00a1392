// File: repo/delta/base_file.cc
#include "repo/delta/base_file.h"

#include "repo/file_object.h"
#include "src/fs/atomic.h"

namespace larch::delta {

namespace {
constexpr char kTempPrefix[] = "txn-delta-base-";
}  // namespace

Result<std::unique_ptr<BaseFile>> BaseFile::Open(const repo::Store& store, const repo::ObjectId& id,
                                                 const repo::FileHeader& header) {
  if (header.kind != repo::FileKind::kRegular)
    return Status::Corruption("patch base " + id.Hex() + " is not a regular file");
  std::unique_ptr<BaseFile> file(new BaseFile(store));
  Status s = store.mode() == repo::StoreMode::kBare ? file->OpenBare(id, header.size)
                                                     : file->Decompress(id, header);
  if (!s.ok()) return s.WithContext("patch base " + id.Hex());
  file->data_ = std::make_unique<FdRandomAccess>(store.fs(), file->fd_.get(), header.size);
  return file;
}

BaseFile::~BaseFile() {
  fd_.Reset();
  if (!temp_.empty()) (void)store_.fs().Unlink(store_.tmp_fd(), temp_);
}

Status BaseFile::OpenBare(const repo::ObjectId& id, uint64_t size) {
  fs::Fs& fs = store_.fs();
  LARCH_ASSIGN_OR_RETURN(fd_, fs.OpenRead(store_.ObjectDirFd(id),
                                          repo::Store::ObjectFileName({id, repo::ObjectType::kFile})));
  LARCH_ASSIGN_OR_RETURN(struct stat st, fs.FStat(fd_.get()));
  if (static_cast<uint64_t>(st.st_size) != size) return Status::Corruption("size changed");
  return Status::Ok();
}

Status BaseFile::Decompress(const repo::ObjectId& id, const repo::FileHeader& header) {
  fs::Fs& fs = store_.fs();
  std::string name = fs::TempName(kTempPrefix);
  LARCH_ASSIGN_OR_RETURN(UniqueFd out, fs.CreateExclusive(store_.tmp_fd(), name, 0600));
  temp_ = name;  // removed by the destructor from here on
  // Not synced: a crash makes it garbage anyway.
  LARCH_RETURN_IF_ERROR(repo::ReadFileObjectContent(store_, id, header, [&](ByteSpan chunk) {
    return fs.Write(out.get(), chunk);
  }));
  out.Reset();
  LARCH_ASSIGN_OR_RETURN(fd_, fs.OpenRead(store_.tmp_fd(), name));
  return Status::Ok();
}

namespace {

class ScratchFile : public RandomAccess {
 public:
  ScratchFile(const repo::Store& store, std::string name) : store_(store), name_(std::move(name)) {}
  ~ScratchFile() override {
    fd_.Reset();
    (void)store_.fs().Unlink(store_.tmp_fd(), name_);
  }
  uint64_t size() const override { return size_; }
  Status ReadAt(uint64_t offset, MutableByteSpan buf) override {
    if (!data_) return Status::IoError("scratch file read before it was written");
    return data_->ReadAt(offset, buf);
  }
  Status Write(const ScratchWriter& produce) {
    fs::Fs& fs = store_.fs();
    LARCH_ASSIGN_OR_RETURN(UniqueFd out, fs.CreateExclusive(store_.tmp_fd(), name_, 0600));
    // Not synced: a crash makes it garbage anyway.
    LARCH_RETURN_IF_ERROR(produce([&](ByteSpan chunk) {
      size_ += chunk.size();
      return fs.Write(out.get(), chunk);
    }));
    out.Reset();
    LARCH_ASSIGN_OR_RETURN(fd_, fs.OpenRead(store_.tmp_fd(), name_));
    data_ = std::make_unique<FdRandomAccess>(fs, fd_.get(), size_);
    return Status::Ok();
  }

 private:
  const repo::Store& store_;
  std::string name_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  std::unique_ptr<FdRandomAccess> data_;
};

}  // namespace

Result<std::unique_ptr<RandomAccess>> WriteScratchFile(const repo::Store& store,
                                                       const ScratchWriter& produce) {
  // Removed by the destructor from here on, also when writing fails.
  auto file = std::make_unique<ScratchFile>(store, fs::TempName(kTempPrefix));
  LARCH_RETURN_IF_ERROR(file->Write(produce));
  return std::unique_ptr<RandomAccess>(std::move(file));
}

}  // namespace larch::delta
