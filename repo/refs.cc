#include "repo/refs.h"

#include <fcntl.h>

#include "src/fs/atomic.h"

namespace larch::repo {

namespace {

bool IsRefChar(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
    return true;
  return !first && (c == '.' || c == '-');
}

std::vector<std::string> SplitRef(std::string_view name) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t slash = name.find('/', start);
    parts.emplace_back(name.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

Status ListRefsUnder(const Store& store, int dirfd, const std::string& prefix,
                     RefListing& out) {
  fs::Fs& fs = store.fs();
  LARCH_ASSIGN_OR_RETURN(auto entries, fs.ReadDir(dirfd));
  for (const auto& e : entries) {
    if (!ValidateRefName(e.name).ok()) continue;  // temp files, junk
    std::string full = prefix.empty() ? e.name : prefix + "/" + e.name;
    LARCH_ASSIGN_OR_RETURN(struct stat st, fs.Stat(dirfd, e.name));
    if (S_ISDIR(st.st_mode)) {
      LARCH_ASSIGN_OR_RETURN(UniqueFd sub, fs.OpenDirPath(dirfd, e.name));
      LARCH_RETURN_IF_ERROR(ListRefsUnder(store, sub.get(), full, out));
    } else if (S_ISREG(st.st_mode)) {
      // One bad ref file is reported on its own; it hides no other ref.
      Result<Bytes> data = fs::ReadFileFully(fs, dirfd, e.name, 4096);
      Result<ObjectId> id = data.ok() ? DecodeRefFile(*data) : Result<ObjectId>(data.status());
      if (id.ok()) out.refs.emplace(full, *id);
      else out.errors.push_back(id.status().WithContext("ref " + full));
    }
  }
  return Status::Ok();
}

// Where a ref lives: "name" in refs/heads, "remote:name" in
// refs/remotes/<remote>. Returns the directory (relative to the store root)
// and the name below it.
std::pair<std::string, std::string> RefLocation(const std::string& name) {
  size_t colon = name.find(':');
  if (colon == std::string::npos) return {"refs/heads", name};
  return {"refs/remotes/" + name.substr(0, colon), name.substr(colon + 1)};
}

}  // namespace

Status ValidateRefName(std::string_view name) {
  // "remote:ref": a ref pulled from a remote (refs/remotes/<remote>/<ref>).
  size_t colon = name.find(':');
  if (colon != std::string_view::npos) {
    std::string_view remote = name.substr(0, colon);
    if (remote.find('/') != std::string_view::npos || !ValidateRefName(remote).ok()) {
      return Status::InvalidArgument("invalid ref name \"" + std::string(name) +
                                     "\": the remote before ':' must be one component");
    }
    std::string_view rest = name.substr(colon + 1);
    if (rest.find(':') != std::string_view::npos) {
      return Status::InvalidArgument("invalid ref name \"" + std::string(name) + "\": more than one ':'");
    }
    return ValidateRefName(rest);
  }
  auto bad = [&](std::string_view why) {
    std::string shown;
    for (char c : name) shown += (c == '\0') ? std::string("\\0") : std::string(1, c);
    return Status::InvalidArgument("invalid ref name \"" + shown + "\": " + std::string(why));
  };
  if (name.empty()) return bad("empty");
  if (name.size() > kMaxRefName) return bad("longer than 255 bytes");
  if (name.find('\0') != std::string_view::npos) return bad("contains a NUL byte");
  for (const std::string& part : SplitRef(name)) {
    if (part.empty()) return bad("empty path component");
    if (part == "." || part == "..") return bad("\".\" and \"..\" are not allowed");
    for (size_t i = 0; i < part.size(); ++i)
      if (!IsRefChar(part[i], i == 0))
        return bad("components use A-Z a-z 0-9 _ . - and do not start with . or -");
  }
  return Status::Ok();
}

Result<ObjectId> DecodeRefFile(ByteSpan data) {
  if (data.size() != 65 || data[64] != '\n')
    return Status::Corruption("ref file is not 64 hex digits and a newline");
  Result<ObjectId> id = ObjectId::FromHex(AsStringView(data.first(64)));
  if (!id.ok()) return Status::Corruption("ref file holds no valid checksum");
  return id;
}

Result<std::optional<ObjectId>> ReadRef(const Store& store, const std::string& name) {
  LARCH_RETURN_IF_ERROR(ValidateRefName(name));
  fs::Fs& fs = store.fs();
  // Intermediate components are opened one by one without following links.
  auto [dir_path, rel] = RefLocation(name);
  size_t slash = rel.rfind('/');
  if (slash != std::string::npos) dir_path += "/" + rel.substr(0, slash);
  Result<UniqueFd> dir = fs.OpenDirPath(store.root_fd(), dir_path);
  if (!dir.ok()) {
    if (dir.status().IsNotFound()) return std::optional<ObjectId>();
    return dir.status().WithContext("reading ref " + name);
  }
  std::string leaf = slash == std::string::npos ? rel : rel.substr(slash + 1);
  Result<Bytes> data = fs::ReadFileFully(fs, dir->get(), leaf, 4096);
  if (!data.ok()) {
    if (data.status().IsNotFound()) return std::optional<ObjectId>();
    return data.status().WithContext("reading ref " + name);
  }
  Result<ObjectId> id = DecodeRefFile(*data);
  if (!id.ok()) return id.status().WithContext("ref " + name);
  return std::optional<ObjectId>(*id);
}

Status WriteRef(Store& store, const std::string& name, const ObjectId& commit) {
  LARCH_RETURN_IF_ERROR(ValidateRefName(name));
  fs::Fs& fs = store.fs();
  auto [base, rel] = RefLocation(name);
  if (base != "refs/heads") {
    LARCH_ASSIGN_OR_RETURN(UniqueFd refs_dir, fs.OpenDirPath(store.root_fd(), "refs"));
    LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, refs_dir.get(), "remotes"));
    LARCH_RETURN_IF_ERROR(fs.Fsync(refs_dir.get()));
    LARCH_ASSIGN_OR_RETURN(UniqueFd remotes, fs.OpenDirPath(refs_dir.get(), "remotes"));
    LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, remotes.get(), base.substr(13)));
    LARCH_RETURN_IF_ERROR(fs.Fsync(remotes.get()));
  }
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, fs.OpenDirPath(store.root_fd(), base));
  std::vector<std::string> parts = SplitRef(rel);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    Result<UniqueFd> sub = fs.OpenDirPath(dir.get(), parts[i]);
    if (!sub.ok() && sub.status().IsNotFound()) {
      LARCH_RETURN_IF_ERROR(fs.Mkdir(dir.get(), parts[i], 0755));
      // The new directory entry must be durable before a ref inside it is.
      LARCH_RETURN_IF_ERROR(fs.Fsync(dir.get()));
      sub = fs.OpenDirPath(dir.get(), parts[i]);
    }
    if (!sub.ok()) return sub.status().WithContext("ref " + name);
    dir = std::move(sub).value();
  }
  std::string text = commit.Hex() + "\n";
  return fs::WriteFileAtomic(fs, dir.get(), parts.back(), AsBytes(text))
      .WithContext("writing ref " + name);
}

Status DeleteRef(Store& store, const std::string& name) {
  LARCH_RETURN_IF_ERROR(ValidateRefName(name));
  fs::Fs& fs = store.fs();
  auto [base, rel] = RefLocation(name);
  Result<UniqueFd> heads = fs.OpenDirPath(store.root_fd(), base);
  if (!heads.ok() && heads.status().IsNotFound()) return Status::NotFound("no ref named " + name);
  if (!heads.ok()) return heads.status();
  size_t slash = rel.rfind('/');
  UniqueFd dir;
  if (slash == std::string::npos) {
    dir = std::move(heads).value();
  } else {
    Result<UniqueFd> sub = fs.OpenDirPath(heads->get(), rel.substr(0, slash));
    if (!sub.ok() && sub.status().IsNotFound()) return Status::NotFound("no ref named " + name);
    if (!sub.ok()) return sub.status();
    dir = std::move(sub).value();
  }
  std::string leaf = slash == std::string::npos ? rel : rel.substr(slash + 1);
  Status s = fs.Unlink(dir.get(), leaf);
  if (s.IsNotFound()) return Status::NotFound("no ref named " + name);
  LARCH_RETURN_IF_ERROR(s);
  return fs.Fsync(dir.get());  // the removal is durable before we report it
}

Result<RefListing> ScanRefs(const Store& store) {
  RefListing listing;
  LARCH_ASSIGN_OR_RETURN(UniqueFd heads, store.fs().OpenDirPath(store.root_fd(), "refs/heads"));
  LARCH_RETURN_IF_ERROR(ListRefsUnder(store, heads.get(), "", listing));
  Result<UniqueFd> remotes = store.fs().OpenDirPath(store.root_fd(), "refs/remotes");
  if (!remotes.ok()) {
    if (remotes.status().IsNotFound()) return listing;
    return remotes.status();
  }
  LARCH_ASSIGN_OR_RETURN(auto entries, store.fs().ReadDir(remotes->get()));
  for (const auto& e : entries) {
    if (!ValidateRefName(e.name).ok() || e.name.find('/') != std::string::npos) continue;
    Result<UniqueFd> sub = store.fs().OpenDirPath(remotes->get(), e.name);
    if (!sub.ok()) continue;  // not a directory: junk, like temp files
    RefListing remote;
    LARCH_RETURN_IF_ERROR(ListRefsUnder(store, sub->get(), "", remote));
    for (auto& [ref, id] : remote.refs) listing.refs.emplace(e.name + ":" + ref, id);
    for (Status& err : remote.errors) listing.errors.push_back(err.WithContext("remote " + e.name));
  }
  return listing;
}

Result<std::map<std::string, ObjectId>> ListRefs(const Store& store) {
  LARCH_ASSIGN_OR_RETURN(RefListing listing, ScanRefs(store));
  if (!listing.errors.empty()) return listing.errors.front();
  return std::move(listing.refs);
}

Result<ObjectId> ResolveRevision(const Store& store, std::string_view rev) {
  size_t parents = 0;
  while (!rev.empty() && rev.back() == '^') {
    rev.remove_suffix(1);
    ++parents;
  }
  ObjectId id;
  Result<ObjectId> as_hex = ObjectId::FromHex(rev);
  if (as_hex.ok()) {
    id = *as_hex;
  } else {
    LARCH_ASSIGN_OR_RETURN(std::optional<ObjectId> ref, ReadRef(store, std::string(rev)));
    if (!ref) return Status::NotFound("no ref or commit named \"" + std::string(rev) + "\"");
    id = *ref;
  }
  for (size_t i = 0; i < parents; ++i) {
    LARCH_ASSIGN_OR_RETURN(Commit commit, store.ReadCommit(id));
    if (!commit.parent)
      return Status::NotFound("commit " + id.Hex() + " has no parent");
    id = *commit.parent;
  }
  return id;
}

}  // namespace larch::repo
