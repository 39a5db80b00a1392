// File: tests/crash/no_sync_fs.h
//
// The real filesystem without real fsync/syncfs, for crash sweeps. FaultFs
// models durability from the calls it sees, not from the disk, so a sweep
// loses nothing by not waiting for a shared disk at every one of its
// thousands of fsyncs (minutes saved per sweep).
#pragma once

#include "src/fs/fs_wrapper.h"

namespace larch::crash {

class NoSyncFs : public fs::FsWrapper {
 public:
  using FsWrapper::FsWrapper;
  Status Fsync(int) override { return Status::Ok(); }
  Status SyncFs(int) override { return Status::Ok(); }
};

// The one NoSyncFs over the real filesystem.
inline fs::Fs& Unsynced() {
  static NoSyncFs fs(fs::DefaultFs());
  return fs;
}

}  // namespace larch::crash
