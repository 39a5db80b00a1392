// File: repo/transaction.h
//
// Transaction: how objects and refs enter a store. Objects are written into a
// private staging directory (tmp/txn-<random>/) without per-file fsync; then
// Commit() makes them visible in an order that survives power loss at any
// instant (OSTree's commit_transaction is the model):
// Staging is split by the id's first hex digit (tmp/txn-<random>/x/):
// threads creating thousands of files in one directory contend on its lock,
// while 256 directories (one per fan-out prefix) cost an inode each, made
// and removed per transaction, which showed in small ones (delta apply).
//   0. seal             file objects of a bare store with fs-verity, when its
//                       verity mode asks (verity_seal.h), checked against the
//                       staged commits' verity lists
//   1. syncfs           all staged bytes are durable before any is visible
//   2. rename           non-commit objects into objects/xx/ (NOREPLACE: an
//                       object that appeared meanwhile is the same content)
//   3. syncfs           those names are durable before a commit names them
//   4. rename + syncfs  commit and commitmeta objects
//   5. hook             SetBeforeRefs (e.g. the trust state), then
//   6. refs             each replaced atomically, last
// So a crash leaves: old refs, or new refs naming a complete commit; never a
// commit object whose tree is missing. Leftover staging directories are
// garbage removed by the next transaction or by prune.
//
// Thread-safety: Claim() and WriteMetadata() may be called from several
// threads; Commit()/Abort() from one thread after all writers finished.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "repo/store.h"
#include "repo/verity_seal.h"

namespace larch::repo {

class Transaction {
 public:
  // Takes the store's writer lock for the transaction's lifetime and removes
  // staging directories left by crashed transactions.
  static Result<std::unique_ptr<Transaction>> Begin(Store& store);
  ~Transaction();  // Aborts unless committed.

  Store& store() const { return *store_; }
  // The staging directory for `key` (by its first hex digit), made on first use.
  Result<int> StagingDirFd(const ObjectKey& key);
  static std::string StagedName(const ObjectKey& key);

  // True when the caller should write `key` into StagingDirFd(key)/StagedName(key):
  // neither the store nor this transaction has it yet. Claims it, so two
  // threads never write the same object.
  Result<bool> Claim(const ObjectKey& key);
  // Claims `key` although the store has it: what is staged under it
  // replaces the stored object on Commit (a repair of a damaged object, its
  // content checked against the id before it is staged). Hard links to the
  // old object keep the old inode: their owners relink them.
  Status ClaimReplacement(const ObjectKey& key);
  // Hashes, claims and stages an encoded metadata object; returns its id.
  Result<ObjectId> WriteMetadata(ObjectType type, const Bytes& encoded);
  // Stages a commitmeta (replacing an existing one on Commit).
  Status WriteCommitMeta(const ObjectId& commit, const Bytes& encoded);
  // Ref updates applied at the end of Commit().
  void SetRef(const std::string& name, const ObjectId& commit);
  // Runs in Commit() after every object is durable and before any ref is
  // written; an error leaves the refs untouched. The pull uses it to record
  // the device's trust state in the same step as the ref it guards.
  void SetBeforeRefs(std::function<Status()> hook) { before_refs_ = std::move(hook); }

  size_t staged_count() const;
  Status Commit();
  void Abort();

 private:
  explicit Transaction(Store& store) : store_(&store) {}
  Status PublishObjects(bool commits);
  Status SealStaged();
  Result<VerityDigests> StagedVerityDigests() const;
  Result<Bytes> ReadStagedOrStored(const ObjectKey& key) const;
  static size_t StagingIndex(const ObjectKey& key);

  Store* store_;
  UniqueFd lock_;
  UniqueFd staging_;
  std::array<UniqueFd, 16> staging_dirs_;
  std::string staging_name_;
  mutable std::mutex mu_;
  std::set<ObjectKey> claimed_;
  std::set<ObjectKey> replacing_;
  std::map<std::string, ObjectId> refs_;
  std::function<Status()> before_refs_;
  bool done_ = false;
};

}  // namespace larch::repo
