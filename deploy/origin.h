// File: deploy/origin.h
//
// Origin: what a deployment follows, kept beside it as
// <commit>.<serial>.origin (key_value.h syntax, every key required):
//   format=larch-origin-1
//   remote=origin        the remote it came from; empty: a local commit
//   ref=os/stable        the ref followed on that remote (or the local ref);
//                        empty only for a local commit deployed by id
//   pinned=0             1: kept by cleanup and by the keep-three rule
// `upgrade` pulls <remote>:<ref>; deploy verifies a commit with a remote
// through the remote's trust policy (trust::VerifyCommitForInstall).
#pragma once

#include <string>

#include "src/base/result.h"
#include "src/fs/fs.h"

namespace larch::deploy {

struct Origin {
  std::string remote;
  std::string ref;
  bool pinned = false;
  bool operator==(const Origin&) const = default;

  bool from_remote() const { return !remote.empty(); }
  // "remote:ref", "ref" or "" (for messages and status).
  std::string Refspec() const;
};

inline constexpr char kOriginFormat[] = "larch-origin-1";
inline constexpr char kOriginSuffix[] = ".origin";

Status ValidateOrigin(const Origin& origin);
std::string EncodeOrigin(const Origin& origin);
// The one decoder; kCorruption naming `what` (the file) and the line.
Result<Origin> DecodeOrigin(std::string_view text, const std::string& what);

// deploy_fd/<name>.origin, read and decoded.
Result<Origin> ReadOrigin(fs::Fs& fs, int deploy_fd, const std::string& deployment_name);
// Replaces deploy_fd/<name>.origin atomically (WriteFileAtomic).
Status WriteOrigin(fs::Fs& fs, int deploy_fd, const std::string& deployment_name, const Origin& origin);

}  // namespace larch::deploy
