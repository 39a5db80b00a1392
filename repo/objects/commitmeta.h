// File: repo/objects/commitmeta.h
// CommitMeta: detached signatures stored beside a commit (same id, type
// commitmeta). Adding a signature rewrites the commitmeta, never the commit.
// Signatures are sorted by key id and unique per key. Format:
// docs/formats.md, "commitmeta".
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "repo/objects/limits.h"
#include "src/base/bytes.h"
#include "src/base/result.h"

namespace larch::repo {

struct CommitSignature {
  std::array<uint8_t, 32> key_id;     // SHA-256 of the raw Ed25519 public key
  std::array<uint8_t, 64> signature;  // Ed25519 over the signing message
  bool operator==(const CommitSignature&) const = default;
};

struct CommitMeta {
  std::vector<CommitSignature> signatures;
  bool operator==(const CommitMeta&) const = default;
};

Status ValidateCommitMeta(const CommitMeta& meta);
Bytes EncodeCommitMeta(const CommitMeta& meta);
Result<CommitMeta> DecodeCommitMeta(ByteSpan data);

}  // namespace larch::repo
