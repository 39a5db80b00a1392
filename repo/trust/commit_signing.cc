// File: repo/trust/commit_signing.cc
#include "repo/trust/commit_signing.h"

#include "repo/transaction.h"
#include "repo/trust/signing.h"

namespace larch::trust {

Status SignCommit(repo::Store& store, const repo::ObjectId& commit, const crypto::Ed25519PrivateKey& key) {
  LARCH_ASSIGN_OR_RETURN(auto txn, repo::Transaction::Begin(store));
  // Read under the writer lock so two signers cannot drop each other's signature.
  Result<repo::Commit> exists = store.ReadCommit(commit);
  if (!exists.ok()) return exists.status();
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::CommitMeta> meta, store.ReadCommitMeta(commit));
  repo::CommitMeta updated = meta.value_or(repo::CommitMeta{});
  LARCH_ASSIGN_OR_RETURN(repo::CommitSignature sig, SignDigest(key, repo::SignedKind::kCommit, commit.array()));
  repo::AddSignature(updated.signatures, sig);
  LARCH_RETURN_IF_ERROR(txn->WriteCommitMeta(commit, repo::EncodeCommitMeta(updated)));
  return txn->Commit();
}

}  // namespace larch::trust
