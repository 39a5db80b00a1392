// File: repo/trust/commit_signing.h
//
// Signing a commit: a detached signature added to its commitmeta (replacing
// an older signature by the same key). The commit object, and so its id,
// never changes.
#pragma once

#include "repo/store.h"
#include "src/crypto/ed25519.h"

namespace larch::trust {

Status SignCommit(repo::Store& store, const repo::ObjectId& commit, const crypto::Ed25519PrivateKey& key);

}  // namespace larch::trust
