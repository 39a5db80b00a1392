// File: repo/delta/superblock.cc
// Layout (docs/formats.md, "Delta superblock"):
//   "LXDS" | u8 version (1 to 4) | u8 has_from | [id from] | id to |
//   blob commit | u8 has_commitmeta | [blob commitmeta] | u32 part count |
//   per part: u64 compressed | u64 uncompressed | sha256[32] |
//   [version 2 to 4: u8 compression] | u32 object count |
//   per object: u8 op | u8 type | id  ||  u64 total compressed |
//   u64 total uncompressed | u64 total objects
// Version 1 is written exactly when every part is zstd and no object uses an
// op of version 3, so a delta that needs nothing new stays readable by
// devices that predate xz parts; version 2 when some part is xz and no
// object uses an op of version 3; version 3 (the layout of version 2)
// exactly when some object is a patch-elf or a new-gzip operation, so
// devices that predate those refuse the delta up front ("unknown version")
// instead of failing at the first such object; version 4 (the same layout)
// exactly when some object is a veritylist, for the same reason. Any other
// version for the same content is refused (not canonical).
#include "repo/delta/superblock.h"

#include <algorithm>
#include <cassert>
#include <set>

#include "repo/delta/limits.h"
#include "repo/objects/codec_internal.h"
#include "repo/objects/commit.h"
#include "repo/objects/commitmeta.h"
#include "src/encoding/encoding.h"

namespace larch::delta {

namespace {

constexpr uint8_t kMagic[4] = {'L', 'X', 'D', 'S'};
constexpr uint8_t kVersionZstdOnly = 1;
constexpr uint8_t kVersionPerPartCompression = 2;
constexpr uint8_t kVersionNewOps = 3;      // patch-elf, new-gzip
constexpr uint8_t kVersionVerityList = 4;  // veritylist objects
constexpr std::string_view kWhat = "delta superblock";
// Smallest encodings, for Count()'s "could it possibly fit" check.
constexpr size_t kPartEntryMin = 8 + 8 + 32 + 4;
constexpr size_t kObjectEntrySize = 1 + 1 + 32;

Status Invalid(const std::string& msg) { return repo::internal::Invalid(kWhat, msg); }

bool TypeFitsOp(OpKind op, repo::ObjectType type) {
  switch (op) {
    case OpKind::kNew:
    case OpKind::kPatchZstd:
    case OpKind::kPatchBsdiff:
    case OpKind::kPatchGzip:
    case OpKind::kPatchElf:
    case OpKind::kNewGzip: return type == repo::ObjectType::kFile;
    case OpKind::kMetaPatch:
      return type == repo::ObjectType::kDirTree || type == repo::ObjectType::kVerityList;
    case OpKind::kMeta:
      return type == repo::ObjectType::kDirTree || type == repo::ObjectType::kDirMeta ||
             type == repo::ObjectType::kVerityList;
    case OpKind::kReuse:
      return type == repo::ObjectType::kFile || type == repo::ObjectType::kDirTree ||
             type == repo::ObjectType::kDirMeta;
  }
  return false;
}

Status ValidateParts(const std::vector<PartInfo>& parts) {
  if (parts.size() > kMaxParts) return Invalid("too many parts");
  std::set<repo::ObjectKey> seen;
  for (size_t i = 0; i < parts.size(); ++i) {
    const PartInfo& p = parts[i];
    if (p.compressed_size > kMaxPartBytes || p.uncompressed_size > kMaxPartBytes)
      return Invalid("part " + std::to_string(i) + " is larger than the limit");
    for (const PartObject& o : p.objects) {
      if (!TypeFitsOp(o.op, o.key.type))
        return Invalid("part " + std::to_string(i) + ": a " +
                       std::string(repo::ObjectTypeName(o.key.type)) + " cannot be sent as " +
                       std::string(OpKindName(o.op)));
      if (!seen.insert(o.key).second)
        return Invalid("object " + o.key.id.Hex() + " is listed twice");
    }
    if (seen.size() > kMaxDeltaObjects) return Invalid("too many objects");
  }
  return Status::Ok();
}

Result<repo::ObjectKey> DecodeKey(encoding::Decoder& dec) {
  LARCH_ASSIGN_OR_RETURN(uint8_t type, dec.U8());
  if (type < 1 || type > 6) return dec.Error("bad object type " + std::to_string(type));
  LARCH_ASSIGN_OR_RETURN(repo::ObjectId id, repo::internal::DecodeObjectId(dec));
  return repo::ObjectKey{id, static_cast<repo::ObjectType>(type)};
}

bool AllZstd(const std::vector<PartInfo>& parts) {
  return std::all_of(parts.begin(), parts.end(),
                     [](const PartInfo& p) { return p.compression == PartCompression::kZstd; });
}

// Ops that appliers from before superblock version 3 do not know.
bool IsVersion3Op(OpKind op) { return op == OpKind::kPatchElf || op == OpKind::kNewGzip; }

bool HasVersion3Ops(const std::vector<PartInfo>& parts) {
  return std::any_of(parts.begin(), parts.end(), [](const PartInfo& p) {
    return std::any_of(p.objects.begin(), p.objects.end(),
                       [](const PartObject& o) { return IsVersion3Op(o.op); });
  });
}

// Objects that appliers from before superblock version 4 do not know.
bool HasVerityLists(const std::vector<PartInfo>& parts) {
  return std::any_of(parts.begin(), parts.end(), [](const PartInfo& p) {
    return std::any_of(p.objects.begin(), p.objects.end(),
                       [](const PartObject& o) { return o.key.type == repo::ObjectType::kVerityList; });
  });
}

// The one version `parts` is written with, and the only one accepted.
uint8_t VersionFor(const std::vector<PartInfo>& parts) {
  if (HasVerityLists(parts)) return kVersionVerityList;
  if (HasVersion3Ops(parts)) return kVersionNewOps;
  return AllZstd(parts) ? kVersionZstdOnly : kVersionPerPartCompression;
}

Result<PartCompression> DecodeCompression(encoding::Decoder& dec) {
  LARCH_ASSIGN_OR_RETURN(uint8_t c, dec.U8());
  if (c >= kNumPartCompressions) return dec.Error("unknown part compression " + std::to_string(c));
  return static_cast<PartCompression>(c);
}

Result<PartInfo> DecodePart(encoding::Decoder& dec, uint8_t version) {
  PartInfo p;
  LARCH_ASSIGN_OR_RETURN(p.compressed_size, dec.U64());
  LARCH_ASSIGN_OR_RETURN(p.uncompressed_size, dec.U64());
  LARCH_ASSIGN_OR_RETURN(ByteSpan digest, dec.Raw(p.sha256.size()));
  std::copy(digest.begin(), digest.end(), p.sha256.begin());
  if (version != kVersionZstdOnly) {
    LARCH_ASSIGN_OR_RETURN(p.compression, DecodeCompression(dec));
  }
  LARCH_ASSIGN_OR_RETURN(uint32_t count, dec.Count(kMaxDeltaObjects, kObjectEntrySize));
  p.objects.resize(count);
  for (PartObject& o : p.objects) {
    LARCH_ASSIGN_OR_RETURN(uint8_t op, dec.U8());
    if (op < 1 || op > kNumOpKinds) return dec.Error("bad operation " + std::to_string(op));
    o.op = static_cast<OpKind>(op);
    LARCH_ASSIGN_OR_RETURN(o.key, DecodeKey(dec));
  }
  return p;
}

Result<std::optional<Bytes>> DecodeOptionalBlob(encoding::Decoder& dec, size_t max) {
  LARCH_ASSIGN_OR_RETURN(uint8_t flag, dec.U8());
  if (flag > 1) return dec.Error("bad flag " + std::to_string(flag));
  if (flag == 0) return std::optional<Bytes>();
  LARCH_ASSIGN_OR_RETURN(Bytes b, dec.Blob(max));
  return std::optional<Bytes>(std::move(b));
}

Status CheckTotals(encoding::Decoder& dec, const DeltaSuperblock& sb) {
  LARCH_ASSIGN_OR_RETURN(uint64_t compressed, dec.U64());
  LARCH_ASSIGN_OR_RETURN(uint64_t uncompressed, dec.U64());
  LARCH_ASSIGN_OR_RETURN(uint64_t objects, dec.U64());
  if (compressed != sb.TotalCompressed() || uncompressed != sb.TotalUncompressed() ||
      objects != sb.TotalObjects())
    return dec.Error("totals do not match the parts");
  return Status::Ok();
}

}  // namespace

std::string_view OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kNew: return "new";
    case OpKind::kPatchZstd: return "patch-zstd";
    case OpKind::kPatchBsdiff: return "patch-bsdiff";
    case OpKind::kMeta: return "metadata";
    case OpKind::kReuse: return "reuse";
    case OpKind::kMetaPatch: return "metadata-patch";
    case OpKind::kPatchGzip: return "patch-gzip";
    case OpKind::kPatchElf: return "patch-elf";
    case OpKind::kNewGzip: return "new-gzip";
  }
  return "?";
}

std::string_view PartCompressionName(PartCompression c) {
  switch (c) {
    case PartCompression::kZstd: return "zstd";
    case PartCompression::kXz: return "xz";
  }
  return "?";
}

bool IsPatch(OpKind kind) {
  return kind == OpKind::kPatchZstd || kind == OpKind::kPatchBsdiff || kind == OpKind::kPatchGzip ||
         kind == OpKind::kPatchElf;
}

uint64_t DeltaSuperblock::TotalCompressed() const {
  uint64_t n = 0;
  for (const PartInfo& p : parts) n += p.compressed_size;
  return n;
}
uint64_t DeltaSuperblock::TotalUncompressed() const {
  uint64_t n = 0;
  for (const PartInfo& p : parts) n += p.uncompressed_size;
  return n;
}
uint64_t DeltaSuperblock::TotalObjects() const {
  uint64_t n = 0;
  for (const PartInfo& p : parts) n += p.objects.size();
  return n;
}

Status ValidateSuperblock(const DeltaSuperblock& sb) {
  if (sb.commit.size() > kMaxCommitBytes) return Invalid("commit too large");
  Result<repo::Commit> commit = repo::DecodeCommit(sb.commit);
  if (!commit.ok()) return Invalid("target commit: " + commit.status().message());
  if (repo::ObjectId::HashOf(sb.commit) != sb.to)
    return Invalid("the commit it carries is not " + sb.to.Hex());
  if (sb.commitmeta) {
    if (sb.commitmeta->size() > kMaxCommitMetaBytes) return Invalid("commitmeta too large");
    Result<repo::CommitMeta> meta = repo::DecodeCommitMeta(*sb.commitmeta);
    if (!meta.ok()) return Invalid("commitmeta: " + meta.status().message());
  }
  return ValidateParts(sb.parts);
}

Bytes EncodeSuperblock(const DeltaSuperblock& sb) {
  assert(ValidateSuperblock(sb).ok());
  encoding::Encoder enc;
  const uint8_t version = VersionFor(sb.parts);
  const bool v1 = version == kVersionZstdOnly;
  enc.Raw(kMagic);
  enc.U8(version);
  enc.U8(sb.from ? 1 : 0);
  if (sb.from) repo::internal::EncodeObjectId(enc, *sb.from);
  repo::internal::EncodeObjectId(enc, sb.to);
  enc.Blob(sb.commit);
  enc.U8(sb.commitmeta ? 1 : 0);
  if (sb.commitmeta) enc.Blob(*sb.commitmeta);
  enc.U32(static_cast<uint32_t>(sb.parts.size()));
  for (const PartInfo& p : sb.parts) {
    enc.U64(p.compressed_size);
    enc.U64(p.uncompressed_size);
    enc.Raw(p.sha256);
    if (!v1) enc.U8(static_cast<uint8_t>(p.compression));
    enc.U32(static_cast<uint32_t>(p.objects.size()));
    for (const PartObject& o : p.objects) {
      enc.U8(static_cast<uint8_t>(o.op));
      enc.U8(static_cast<uint8_t>(o.key.type));
      repo::internal::EncodeObjectId(enc, o.key.id);
    }
  }
  enc.U64(sb.TotalCompressed());
  enc.U64(sb.TotalUncompressed());
  enc.U64(sb.TotalObjects());
  return enc.Take();
}

Result<DeltaSuperblock> DecodeSuperblock(ByteSpan data) {
  encoding::Decoder dec(data, std::string(kWhat));
  LARCH_ASSIGN_OR_RETURN(ByteSpan magic, dec.Raw(sizeof(kMagic)));
  if (!std::equal(magic.begin(), magic.end(), kMagic)) return dec.Error("not a delta superblock");
  LARCH_ASSIGN_OR_RETURN(uint8_t version, dec.U8());
  if (version < kVersionZstdOnly || version > kVersionVerityList)
    return dec.Error("unknown version " + std::to_string(version));
  DeltaSuperblock sb;
  LARCH_ASSIGN_OR_RETURN(uint8_t has_from, dec.U8());
  if (has_from > 1) return dec.Error("bad flag " + std::to_string(has_from));
  if (has_from) {
    LARCH_ASSIGN_OR_RETURN(sb.from, repo::internal::DecodeObjectId(dec));
  }
  LARCH_ASSIGN_OR_RETURN(sb.to, repo::internal::DecodeObjectId(dec));
  LARCH_ASSIGN_OR_RETURN(sb.commit, dec.Blob(kMaxCommitBytes));
  LARCH_ASSIGN_OR_RETURN(sb.commitmeta, DecodeOptionalBlob(dec, kMaxCommitMetaBytes));
  LARCH_ASSIGN_OR_RETURN(uint32_t parts, dec.Count(kMaxParts, kPartEntryMin));
  sb.parts.reserve(parts);
  for (uint32_t i = 0; i < parts; ++i) {
    LARCH_ASSIGN_OR_RETURN(PartInfo p, DecodePart(dec, version));
    sb.parts.push_back(std::move(p));
  }
  if (version != VersionFor(sb.parts))
    return dec.Error("version " + std::to_string(version) + " for parts that must be version " +
                     std::to_string(VersionFor(sb.parts)));
  LARCH_RETURN_IF_ERROR(CheckTotals(dec, sb));
  LARCH_RETURN_IF_ERROR(dec.Finish());
  LARCH_RETURN_IF_ERROR(repo::internal::AsCorruption(ValidateSuperblock(sb)));
  return sb;
}

std::string DeltaDirName(const std::optional<repo::ObjectId>& from, const repo::ObjectId& to) {
  return (from ? from->Hex() : std::string("empty")) + "-" + to.Hex();
}

std::optional<DeltaName> ParseDeltaDirName(std::string_view name) {
  size_t dash = name.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  Result<repo::ObjectId> to = repo::ObjectId::FromHex(name.substr(dash + 1));
  if (!to.ok()) return std::nullopt;
  std::string_view from = name.substr(0, dash);
  if (from == "empty") return DeltaName{std::nullopt, *to};
  Result<repo::ObjectId> from_id = repo::ObjectId::FromHex(from);
  if (!from_id.ok()) return std::nullopt;
  return DeltaName{*from_id, *to};
}

std::string PartFileName(size_t index) { return std::to_string(index); }

}  // namespace larch::delta
