// File: repo/delta/generate.cc
#include "repo/delta/generate.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "repo/delta/base_selection.h"
#include "repo/delta/engines.h"
#include "repo/objects/signed_envelope.h"
#include "repo/delta/limits.h"
#include "repo/delta/object_content.h"
#include "repo/delta/part.h"
#include "repo/delta/part_compression.h"
#include "repo/delta/part_content.h"
#include "repo/delta/zstd_patch.h"
#include "repo/file_object.h"
#include "src/base/memory_gate.h"
#include "src/base/parallel.h"
#include "src/fs/atomic.h"

namespace larch::delta {

namespace {

struct TreeEntry {
  repo::ObjectKey key;
  std::string path;
  uint64_t size = 0;
};

Status ListDir(const repo::Store& store, const repo::ObjectId& tree_id, const std::string& path,
               std::vector<TreeEntry>& out) {
  Result<repo::DirTree> tree = store.ReadDirTree(tree_id);
  if (!tree.ok()) return tree.status().WithContext("directory " + (path.empty() ? "/" : path));
  for (const repo::DirTreeFile& f : tree->files)
    out.push_back({{f.file, repo::ObjectType::kFile}, path + "/" + f.name, f.size});
  for (const repo::DirTreeDir& d : tree->dirs) {
    std::string sub = path + "/" + d.name;
    out.push_back({{d.meta, repo::ObjectType::kDirMeta}, sub, 0});
    out.push_back({{d.tree, repo::ObjectType::kDirTree}, sub, 0});
    LARCH_RETURN_IF_ERROR(ListDir(store, d.tree, sub, out));
  }
  return Status::Ok();
}

// Every object a commit's tree names, with the path it is met at, and its
// verity list if it has one.
Result<std::vector<TreeEntry>> ListTree(const repo::Store& store, const repo::Commit& commit) {
  std::vector<TreeEntry> out{{{commit.root_meta, repo::ObjectType::kDirMeta}, "/", 0},
                             {{commit.root_tree, repo::ObjectType::kDirTree}, "/", 0}};
  LARCH_ASSIGN_OR_RETURN(std::optional<repo::ObjectId> verity, repo::VerityListOf(commit));
  if (verity) out.push_back({{*verity, repo::ObjectType::kVerityList}, std::string(repo::kVerityListPath), 0});
  LARCH_RETURN_IF_ERROR(ListDir(store, commit.root_tree, "", out));
  return out;
}

struct Planned {
  OpKind op = OpKind::kNew;
  repo::ObjectKey key;
  std::string path;
  uint64_t size = 0;
  std::optional<BaseCandidate> base;
  repo::FileHeader header;
  Bytes payload;
  PartContent content = PartContent::kData;  // of a file sent whole
  GzipRecipe gzip;                            // new-gzip
};

// What the source commit offers: its objects, and its files as bases.
struct Source {
  std::set<repo::ObjectKey> objects;
  std::map<std::string, repo::ObjectId> file_at;
  std::map<std::string, repo::ObjectId> meta_at;
  BaseIndex bases;
};

Result<Source> LoadSource(const repo::Store& store, const std::optional<repo::ObjectId>& from) {
  Source src;
  if (!from) return src;
  LARCH_ASSIGN_OR_RETURN(repo::Commit commit, store.ReadCommit(*from));
  LARCH_ASSIGN_OR_RETURN(std::vector<TreeEntry> entries, ListTree(store, commit));
  for (const TreeEntry& e : entries) {
    src.objects.insert(e.key);
    // Metadata patches take the same path's object of the same type: the
    // dirtree there, or the verity list.
    if (e.key.type == repo::ObjectType::kDirTree || e.key.type == repo::ObjectType::kVerityList)
      src.meta_at[e.path] = e.key.id;
    if (e.key.type != repo::ObjectType::kFile) continue;
    src.file_at[e.path] = e.key.id;
    // Symlinks have size 0 and empty files have nothing to match.
    if (e.size > 0 && e.size <= kMaxBsdiffBase) src.bases.Add({e.path, e.key.id, e.size});
  }
  return src;
}

Result<std::vector<Planned>> Plan(const std::vector<TreeEntry>& target, const Source& src) {
  std::vector<Planned> plan;
  std::set<repo::ObjectKey> seen;
  for (const TreeEntry& e : target) {
    if (!seen.insert(e.key).second) continue;
    Planned p;
    p.key = e.key;
    p.path = e.path;
    p.size = e.size;
    if (src.objects.contains(e.key)) {
      auto at = src.file_at.find(e.path);
      bool moved = e.key.type == repo::ObjectType::kFile &&
                   (at == src.file_at.end() || at->second != e.key.id);
      if (!moved) continue;  // the device has it where it was
      p.op = OpKind::kReuse;
    } else if (e.key.type != repo::ObjectType::kFile) {
      p.op = OpKind::kMeta;
      auto old = src.meta_at.find(e.path);
      if (e.key.type != repo::ObjectType::kDirMeta && old != src.meta_at.end())
        p.base = BaseCandidate{e.path, old->second, 0};
    } else if (e.size > 0 && e.size <= kMaxBsdiffPatch) {
      p.base = src.bases.Select(e.path, e.size);
    }
    plan.push_back(std::move(p));
  }
  return plan;
}

// What encoding a planned object counts for in progress: a file's content
// size (read, and diffed against its base when it has one); metadata and
// reused objects cost next to nothing.
uint64_t EncodedBytes(const Planned& p) {
  return p.key.type == repo::ObjectType::kFile && p.op != OpKind::kReuse ? p.size : 0;
}

uint64_t EncodedBytes(const std::vector<Planned>& plan) {
  uint64_t bytes = 0;
  for (const Planned& p : plan) bytes += EncodedBytes(p);
  return bytes;
}

// A dirtree changes in a few entries: a patch against the old dirtree at
// its path sends those, not every name and id again. So does a verity list,
// against the source commit's: new digests, not every one again.
Status EncodeMeta(const repo::Store& store, Planned& p) {
  LARCH_ASSIGN_OR_RETURN(p.payload, store.ReadMetadataBytes(p.key));
  if (!p.base || p.payload.size() > kMaxPatchInput) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(Bytes base, store.ReadMetadataBytes({p.base->id, p.key.type}));
  if (base.size() > kMaxPatchInput) return Status::Ok();
  LARCH_ASSIGN_OR_RETURN(Bytes patch, ZstdPatchCreate(base, p.payload));
  LARCH_ASSIGN_OR_RETURN(uint64_t whole, NewObjectEstimate(p.payload));
  if (patch.size() >= whole) return Status::Ok();
  p.op = OpKind::kMetaPatch;
  p.size = p.payload.size();
  p.payload = std::move(patch);
  return Status::Ok();
}

void UseNewGzip(Planned& p, GzipCandidate gz) {
  p.op = OpKind::kNewGzip;
  p.gzip = gz.recipe;
  p.payload = std::move(gz.content);
  p.content = PartContent::kData;
}

// What patching a big pair takes at its peak: base and target, the suffix
// array (4 bytes per base byte), the ELF engine's rewritten copies of both,
// the patch. About 2.5 GB for a 300 MB file.
uint64_t PatchMemory(uint64_t base, uint64_t target) { return 5 * base + 3 * target; }
// Big pairs patch together while their needs add up to this; a pair above
// it patches alone. Two 300 MB pairs then never overlap (the 4 GiB bound of
// generation), three 18 MB ones (qemu-system-x86) use both cores.
constexpr uint64_t kPatchMemoryLimit = 3ull << 30;

// Decides how one planned object travels and fills in its payload. Big
// pairs pass `big` first (PatchMemory).
Status Encode(const repo::Store& store, Planned& p, MemoryGate& big, const GenerateOptions& options) {
  if (p.op == OpKind::kReuse) return Status::Ok();
  if (p.op == OpKind::kMeta) return EncodeMeta(store, p);
  std::optional<MemoryGate::Pass> pass;
  if (p.base && (p.size > kMaxPatchInput || p.base->size > kMaxPatchInput))
    pass.emplace(big, PatchMemory(p.base->size, p.size));
  LARCH_ASSIGN_OR_RETURN(p.header, repo::ReadFileObjectHeader(store, p.key.id));
  LARCH_ASSIGN_OR_RETURN(p.payload, ReadObjectContent(store, p.key.id, p.header));
  // Until a patch wins, the file travels whole, or as new-gzip if that is
  // smaller (a gzip member costs its own size: zstd does not shrink it).
  p.content = ClassifyContent(p.payload);
  bool regular = p.header.kind == repo::FileKind::kRegular;
  std::optional<GzipCandidate> gz;
  if (options.gzip_recipes && regular) {
    LARCH_ASSIGN_OR_RETURN(gz, MakeNewGzip(p.payload));
  }
  if (gz && gz->wire_estimate >= p.payload.size()) gz.reset();
  auto whole_or_gzip = [&] {
    p.base.reset();
    if (gz) UseNewGzip(p, std::move(*gz));
    return Status::Ok();
  };
  if (!p.base || !regular) return whole_or_gzip();
  LARCH_ASSIGN_OR_RETURN(repo::FileHeader base_header, repo::ReadFileObjectHeader(store, p.base->id));
  if (base_header.kind != repo::FileKind::kRegular) return whole_or_gzip();
  LARCH_ASSIGN_OR_RETURN(Bytes base, ReadObjectContent(store, p.base->id, base_header));
  PatchFeatures features;
  features.gnu_gzip = options.gzip_recipes;
  features.elf = options.elf_patches;
  LARCH_ASSIGN_OR_RETURN(std::vector<PatchCandidate> patches, MakePatches(base, p.payload, features));
  uint64_t whole = 0;
  if (gz) {
    whole = gz->wire_estimate;
  } else {
    LARCH_ASSIGN_OR_RETURN(whole, NewObjectEstimate(p.payload));
  }
  if (patches.empty() || patches.front().wire_estimate >= whole) return whole_or_gzip();
  p.op = patches.front().engine;
  p.payload = std::move(patches.front().patch);
  p.content = PartContent::kData;
  return Status::Ok();
}

// Kinds together (similar patches share the part's window), machine code
// apart from the rest (it gets a branch filter), then by file extension and
// path, so like content sits side by side.
int Group(OpKind op) {
  switch (op) {
    case OpKind::kReuse: return 0;
    case OpKind::kMeta: return 1;
    case OpKind::kMetaPatch: return 1;
    case OpKind::kPatchBsdiff: return 2;
    case OpKind::kPatchElf: return 2;
    case OpKind::kPatchZstd: return 3;
    case OpKind::kPatchGzip: return 3;
    case OpKind::kNew:
    case OpKind::kNewGzip: return 4;  // new-gzip content is text, like most new files
  }
  return 5;
}

std::string Extension(const std::string& path) {
  size_t slash = path.rfind('/');
  size_t dot = path.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return StripVersion(path.substr(dot));
}

// The extension of what a part holds: a new-gzip's content sits with
// files like its decompressed name ("ls.1.gz" with ".1").
std::string ContentExtension(const Planned& p) {
  const std::string& path = p.path;
  if (p.op == OpKind::kNewGzip && path.size() > 3 && path.ends_with(".gz"))
    return Extension(path.substr(0, path.size() - 3));
  return Extension(path);
}

void Order(std::vector<Planned>& plan) {
  std::stable_sort(plan.begin(), plan.end(), [](const Planned& a, const Planned& b) {
    if (Group(a.op) != Group(b.op)) return Group(a.op) < Group(b.op);
    if (a.content != b.content) return a.content < b.content;
    if (a.key.type != b.key.type) return a.key.type < b.key.type;
    std::string ea = ContentExtension(a), eb = ContentExtension(b);
    if (ea != eb) return ea < eb;
    return a.path < b.path;
  });
}

void AddOp(PartWriter& w, const Planned& p) {
  switch (p.op) {
    case OpKind::kNew: w.AddNew(p.key.id, p.header, p.payload); break;
    case OpKind::kNewGzip: w.AddNewGzip(p.key.id, p.header, p.gzip, p.payload); break;
    case OpKind::kPatchZstd:
    case OpKind::kPatchBsdiff:
    case OpKind::kPatchGzip:
    case OpKind::kPatchElf: w.AddPatch(p.op, p.key.id, p.header, p.base->id, p.payload); break;
    case OpKind::kMeta: w.AddMeta(p.key, p.payload); break;
    case OpKind::kReuse: w.AddReuse(p.key); break;
    case OpKind::kMetaPatch:
      w.AddMetaPatch(p.key, p.base->id, static_cast<uint32_t>(p.size), p.payload);
      break;
  }
}

struct RawPart {
  Bytes raw;
  std::vector<PartObject> objects;
  PartContent content = PartContent::kData;
  bool streamed_patch = false;  // holds a patch the applier streams
};

// The applier streams a bsdiff or ELF patch of a file over the in-memory
// limit (apply.cc InMemory), holding a patch block beside the part's decoder.
bool StreamedPatch(const Planned& p) {
  if (p.op != OpKind::kPatchBsdiff && p.op != OpKind::kPatchElf) return false;
  return p.size > kMaxPatchInput || (p.base && p.base->size > kMaxPatchInput) ||
         p.payload.size() > kMaxPatchSize;
}

std::vector<RawPart> Pack(const std::vector<Planned>& plan, uint64_t target) {
  std::vector<RawPart> parts;
  PartWriter w;
  std::vector<PartObject> objects;
  PartContent content = PartContent::kData;
  bool streamed_patch = false;
  auto flush = [&] {
    if (w.op_count() == 0) return;
    parts.push_back({w.Finish(), std::move(objects), content, streamed_patch});
    w = PartWriter();
    objects.clear();
    streamed_patch = false;
  };
  // A part holds one kind of content, so a branch filter sees only code.
  for (const Planned& p : plan) {
    if (w.op_count() > 0 && (w.size() + p.payload.size() > target || p.content != content)) flush();
    content = p.content;
    streamed_patch = streamed_patch || StreamedPatch(p);
    AddOp(w, p);
    objects.push_back({p.op, p.key});
  }
  flush();
  return parts;
}

}  // namespace

Result<Bytes> SignSuperblock(const DeltaSuperblock& sb, repo::SignedKind kind,
                             const EnvelopeSigner& sign) {
  repo::SignedEnvelope envelope;
  envelope.kind = kind;
  envelope.body = EncodeSuperblock(sb);
  if (sign) {
    LARCH_ASSIGN_OR_RETURN(std::vector<repo::CommitSignature> sigs,
                           sign(crypto::Sha256::Hash(envelope.body)));
    for (const repo::CommitSignature& sig : sigs) repo::AddSignature(envelope.signatures, sig);
  }
  return repo::EncodeSignedEnvelope(envelope);
}

namespace {

Result<DeltaSuperblock> SuperblockHead(const repo::Store& store, const GenerateOptions& options) {
  DeltaSuperblock sb;
  sb.from = options.from;
  sb.to = options.to;
  LARCH_ASSIGN_OR_RETURN(sb.commit, store.ReadMetadataBytes({options.to, repo::ObjectType::kCommit}));
  Result<Bytes> meta = store.ReadMetadataBytes({options.to, repo::ObjectType::kCommitMeta});
  if (meta.ok()) {
    sb.commitmeta = std::move(meta).value();
  } else if (!meta.status().IsNotFound()) {
    return meta.status();
  }
  return sb;
}

}  // namespace

Result<GeneratedDelta> BuildDelta(const repo::Store& store, const GenerateOptions& options) {
  if (options.from && *options.from == options.to)
    return Status::InvalidArgument("a delta from a commit to itself is empty");
  GeneratedDelta out;
  LARCH_ASSIGN_OR_RETURN(out.superblock, SuperblockHead(store, options));
  LARCH_ASSIGN_OR_RETURN(Source src, LoadSource(store, options.from));
  LARCH_ASSIGN_OR_RETURN(repo::Commit commit, repo::DecodeCommit(out.superblock.commit));
  LARCH_ASSIGN_OR_RETURN(std::vector<TreeEntry> target, ListTree(store, commit));
  LARCH_ASSIGN_OR_RETURN(std::vector<Planned> plan, Plan(target, src));
  ProgressCounter encoded(options.progress, "delta", EncodedBytes(plan));
  MemoryGate big(kPatchMemoryLimit);
  LARCH_RETURN_IF_ERROR(ParallelFor(plan.size(), [&](size_t i) {
    const uint64_t bytes = EncodedBytes(plan[i]);
    Status s = Encode(store, plan[i], big, options).WithContext(plan[i].path);
    encoded.Add(bytes);
    return s;
  }, options.threads));
  encoded.Finish();
  Order(plan);
  GenerateStats& st = out.stats;
  for (const Planned& p : plan) {
    ++st.count[static_cast<size_t>(p.op)];
    st.payload_bytes[static_cast<size_t>(p.op)] += p.payload.size();
    if (p.key.type == repo::ObjectType::kFile && p.op != OpKind::kReuse) st.target_bytes += p.size;
  }
  std::vector<RawPart> raw = Pack(plan, options.part_target ? options.part_target : kPartTarget);
  plan.clear();
  std::vector<CompressedPart> compressed(raw.size());
  int level = options.part_level ? options.part_level : kPartLevel;
  uint64_t raw_bytes = 0;
  for (const RawPart& part : raw) raw_bytes += part.raw.size();
  ProgressCounter compress_progress(options.progress, "compress", raw_bytes);
  LARCH_RETURN_IF_ERROR(ParallelFor(raw.size(), [&](size_t i) -> Status {
    LARCH_ASSIGN_OR_RETURN(compressed[i], CompressPart(raw[i].raw, level, raw[i].content, options.xz_parts,
                                                           raw[i].streamed_patch ? kStreamedPatchXzDict : kMaxXzDict));
    compress_progress.Add(raw[i].raw.size());
    return Status::Ok();
  }, options.threads));
  compress_progress.Finish();
  for (size_t i = 0; i < raw.size(); ++i) {
    CompressedPart& c = compressed[i];
    out.superblock.parts.push_back({c.bytes.size(), raw[i].raw.size(), crypto::Sha256::Hash(c.bytes),
                                    c.compression, std::move(raw[i].objects)});
    st.parts_bytes += c.bytes.size();
    out.parts.push_back(std::move(c.bytes));
  }
  st.parts = raw.size();
  LARCH_ASSIGN_OR_RETURN(out.superblock_file, SignSuperblock(out.superblock, repo::SignedKind::kDeltaSuperblock, options.sign));
  st.superblock_bytes = out.superblock_file.size();
  return out;
}

Status WriteDeltaDir(fs::Fs& fs, int dirfd, const std::string& name, const GeneratedDelta& delta) {
  LARCH_RETURN_IF_ERROR(fs.Mkdir(dirfd, name, 0755));
  LARCH_ASSIGN_OR_RETURN(UniqueFd dir, fs.OpenDirPath(dirfd, name));
  auto write = [&](const std::string& file, const Bytes& data) -> Status {
    LARCH_ASSIGN_OR_RETURN(UniqueFd fd, fs.CreateExclusive(dir.get(), file, 0644));
    return fs.Write(fd.get(), data);
  };
  for (size_t i = 0; i < delta.parts.size(); ++i)
    LARCH_RETURN_IF_ERROR(write(PartFileName(i), delta.parts[i]));
  return write(std::string(kSuperblockFile), delta.superblock_file);
}

Result<GeneratedDelta> GenerateDelta(repo::Store& store, const GenerateOptions& options) {
  LARCH_ASSIGN_OR_RETURN(GeneratedDelta delta, BuildDelta(store, options));
  fs::Fs& fs = store.fs();
  LARCH_RETURN_IF_ERROR(fs::EnsureDir(fs, store.root_fd(), std::string(kDeltasDir)));
  LARCH_ASSIGN_OR_RETURN(UniqueFd deltas, fs.OpenDirPath(store.root_fd(), std::string(kDeltasDir)));
  std::string staged = fs::TempName("delta-");
  LARCH_RETURN_IF_ERROR(WriteDeltaDir(fs, store.tmp_fd(), staged, delta));
  // Durable content before the name appears; an older delta of the same
  // name is swapped out in one step, then removed.
  LARCH_RETURN_IF_ERROR(fs.SyncFs(store.root_fd()));
  std::string name = DeltaDirName(options.from, options.to);
  Status s = fs.Rename(store.tmp_fd(), staged, deltas.get(), name, fs::RenameMode::kNoReplace);
  if (s.IsAlreadyExists()) {
    s = fs.Rename(store.tmp_fd(), staged, deltas.get(), name, fs::RenameMode::kExchange);
  }
  if (!s.ok()) {
    (void)fs::RemoveTree(fs, store.tmp_fd(), staged);
    return s.WithContext("publishing deltas/" + name);
  }
  LARCH_RETURN_IF_ERROR(fs.Fsync(deltas.get()));
  (void)fs::RemoveTree(fs, store.tmp_fd(), staged);  // the old delta, if swapped
  return delta;
}

}  // namespace larch::delta
