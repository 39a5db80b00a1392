// File: repo/refs.h
//
// Refs: names for commits, stored as refs/heads/<name> containing
// "<64 hex>\n". A ref name is one or more components separated by '/', each
// matching [A-Za-z0-9_][A-Za-z0-9._-]* ("debian/12/x86_64/stable"); ".." and
// NUL can therefore never reach the filesystem. Refs are replaced atomically
// (temp file, fsync, rename, fsync directory). "remote:name" names a ref
// pulled from a remote, stored as refs/remotes/<remote>/<name>; local
// branches and pulled refs never share a namespace.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "repo/objects/object_id.h"
#include "repo/store.h"

namespace larch::repo {

inline constexpr size_t kMaxRefName = 255;

Status ValidateRefName(std::string_view name);

// The decoder of a ref file: exactly 64 lower-case hex digits and "\n".
Result<ObjectId> DecodeRefFile(ByteSpan data);

// nullopt when the ref does not exist.
Result<std::optional<ObjectId>> ReadRef(const Store& store, const std::string& name);
Status WriteRef(Store& store, const std::string& name, const ObjectId& commit);
Status DeleteRef(Store& store, const std::string& name);
// Every ref; fails on the first ref file that does not decode.
Result<std::map<std::string, ObjectId>> ListRefs(const Store& store);

// Every ref that decodes, and one error per ref file that does not (fsck).
struct RefListing {
  std::map<std::string, ObjectId> refs;
  std::vector<Status> errors;
};
Result<RefListing> ScanRefs(const Store& store);

// Resolves a revision: a full 64-hex commit id, or a ref name, either
// optionally followed by one or more '^' (parent of). kNotFound names what
// was not found.
Result<ObjectId> ResolveRevision(const Store& store, std::string_view rev);

}  // namespace larch::repo
