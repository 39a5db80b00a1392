// File: repo/objects/summary.cc
// Layout (docs/formats.md, "summary"):
//   u8 tag 'S' | u8 version 1|2 | u64 serial | u64 timestamp | u64 expires |
//   str store_mode | refs | deltas | dictionaries | metadata
//   [version 2: rollouts | recalls]
// Version 2 only when there is rollout control: a summary without it stays
// readable by devices that predate rollouts.
#include "repo/objects/summary.h"

#include <algorithm>
#include <cassert>
#include <tuple>

#include "repo/objects/codec_internal.h"
#include "repo/objects/commit.h"
#include "src/encoding/encoding.h"

namespace larch::repo {

namespace {

constexpr std::string_view kWhat = "summary";
constexpr uint8_t kTag = 'S';
constexpr uint8_t kVersion = 1;
constexpr uint8_t kVersionRollouts = 2;
constexpr uint32_t kMaxBasisPoints = 10000;
constexpr size_t kMinRefSize = 4 + 32 + 8 + 4 + 8;
constexpr size_t kMinDeltaSize = 1 + 32 + 8 + 32;
constexpr size_t kMinDictionarySize = 4 + 8 + 32;
constexpr size_t kMinRolloutSize = 4 + 32 + 4 + 1;
constexpr size_t kMinRecallSize = 4 + 32 + kMinRefSize;

Status ValidateRefs(const std::vector<SummaryRef>& refs) {
  if (refs.size() > kMaxSummaryRefs) return internal::Invalid(kWhat, "too many refs");
  for (size_t i = 0; i < refs.size(); ++i) {
    const SummaryRef& r = refs[i];
    if (r.name.empty() || r.name.size() > kMaxRefNameLength ||
        r.name.find('\0') != std::string::npos) {
      return internal::Invalid(kWhat, "bad ref name " + internal::Quote(r.name));
    }
    if (r.version.size() > kMaxVersionLength) {
      return internal::Invalid(kWhat, "version of ref " + internal::Quote(r.name) + " too long");
    }
    if (i > 0 && !(refs[i - 1].name < r.name)) {
      return internal::Invalid(kWhat, "refs not strictly sorted at " + internal::Quote(r.name));
    }
  }
  return Status::Ok();
}

auto DeltaKey(const SummaryDelta& d) {
  // "from empty" sorts first.
  return std::make_tuple(d.to, d.from.has_value(), d.from.value_or(ObjectId()));
}

Status ValidateDeltas(const std::vector<SummaryDelta>& deltas) {
  if (deltas.size() > kMaxSummaryDeltas) return internal::Invalid(kWhat, "too many deltas");
  for (size_t i = 1; i < deltas.size(); ++i) {
    if (!(DeltaKey(deltas[i - 1]) < DeltaKey(deltas[i]))) {
      return internal::Invalid(kWhat, "deltas not strictly sorted by (to, from)");
    }
  }
  return Status::Ok();
}

Status ValidateDictionaries(const std::vector<SummaryDictionary>& dicts) {
  if (dicts.size() > kMaxSummaryDictionaries) return internal::Invalid(kWhat, "too many dictionaries");
  for (size_t i = 1; i < dicts.size(); ++i) {
    if (!(dicts[i - 1].id < dicts[i].id)) {
      return internal::Invalid(kWhat, "dictionaries not strictly sorted by id");
    }
  }
  return Status::Ok();
}

// Each entry names a ref of the summary and its head, once, in ref order.
template <typename T, typename Head>
Status ValidateControl(const Summary& s, const std::vector<T>& entries, std::string_view what, Head head) {
  if (entries.size() > s.refs.size()) return internal::Invalid(kWhat, std::string("more ") + std::string(what) + " than refs");
  for (size_t i = 0; i < entries.size(); ++i) {
    const T& e = entries[i];
    const SummaryRef* ref = s.FindRef(e.ref);
    if (ref == nullptr) {
      return internal::Invalid(kWhat, std::string(what) + " for " + internal::Quote(e.ref) + ", a ref it does not offer");
    }
    if (head(e) != ref->commit) {
      return internal::Invalid(kWhat, std::string(what) + " for " + internal::Quote(e.ref) + " names another commit than its head");
    }
    if (i > 0 && !(entries[i - 1].ref < e.ref)) {
      return internal::Invalid(kWhat, std::string(what) + " not strictly sorted by ref at " + internal::Quote(e.ref));
    }
  }
  return Status::Ok();
}

Status ValidateRolloutControl(const Summary& s) {
  LARCH_RETURN_IF_ERROR(ValidateControl(s, s.rollouts, "rollout", [](const SummaryRollout& r) { return r.commit; }));
  for (const SummaryRollout& r : s.rollouts) {
    if (r.basis_points > kMaxBasisPoints) {
      return internal::Invalid(kWhat, "rollout of " + internal::Quote(r.ref) + " above 100%");
    }
  }
  LARCH_RETURN_IF_ERROR(ValidateControl(s, s.recalls, "recall", [](const SummaryRecall& r) { return r.recalled; }));
  for (const SummaryRecall& r : s.recalls) {
    if (r.to.name != r.ref) return internal::Invalid(kWhat, "recall of " + internal::Quote(r.ref) + " names another ref");
    if (r.to.commit == r.recalled) return internal::Invalid(kWhat, "recall of " + internal::Quote(r.ref) + " goes back to itself");
    if (r.to.version.size() > kMaxVersionLength) return internal::Invalid(kWhat, "recall version too long");
  }
  return Status::Ok();
}

Status ValidateMetadata(const std::map<std::string, std::string>& metadata) {
  if (metadata.size() > kMaxMetadataEntries) return internal::Invalid(kWhat, "too many metadata entries");
  for (const auto& [key, value] : metadata) {
    if (!IsValidMetadataKey(key)) return internal::Invalid(kWhat, "bad metadata key " + internal::Quote(key));
    if (value.size() > kMaxMetadataValue) return internal::Invalid(kWhat, "metadata value too long");
  }
  return Status::Ok();
}

Result<SummaryRef> DecodeRef(encoding::Decoder& dec) {
  SummaryRef r;
  LARCH_ASSIGN_OR_RETURN(r.name, dec.Str(kMaxRefNameLength));
  LARCH_ASSIGN_OR_RETURN(r.commit, internal::DecodeObjectId(dec));
  LARCH_ASSIGN_OR_RETURN(r.commit_size, dec.U64());
  LARCH_ASSIGN_OR_RETURN(r.version, dec.Str(kMaxVersionLength));
  LARCH_ASSIGN_OR_RETURN(r.timestamp, dec.U64());
  return r;
}

Result<SummaryRollout> DecodeRollout(encoding::Decoder& dec) {
  SummaryRollout r;
  LARCH_ASSIGN_OR_RETURN(r.ref, dec.Str(kMaxRefNameLength));
  LARCH_ASSIGN_OR_RETURN(r.commit, internal::DecodeObjectId(dec));
  LARCH_ASSIGN_OR_RETURN(r.basis_points, dec.U32());
  LARCH_ASSIGN_OR_RETURN(uint8_t halted, dec.U8());
  if (halted > 1) return dec.Error("halted must be 0 or 1");
  r.halted = halted == 1;
  return r;
}

Result<SummaryRecall> DecodeRecall(encoding::Decoder& dec) {
  SummaryRecall r;
  LARCH_ASSIGN_OR_RETURN(r.ref, dec.Str(kMaxRefNameLength));
  LARCH_ASSIGN_OR_RETURN(r.recalled, internal::DecodeObjectId(dec));
  LARCH_ASSIGN_OR_RETURN(r.to, DecodeRef(dec));
  return r;
}

Result<crypto::Sha256Digest> DecodeDigest(encoding::Decoder& dec) {
  LARCH_ASSIGN_OR_RETURN(ByteSpan raw, dec.Raw(32));
  crypto::Sha256Digest d{};
  std::copy(raw.begin(), raw.end(), d.begin());
  return d;
}

Result<SummaryDelta> DecodeDelta(encoding::Decoder& dec) {
  SummaryDelta d;
  LARCH_ASSIGN_OR_RETURN(uint8_t has_from, dec.U8());
  if (has_from > 1) return dec.Error("has_from must be 0 or 1");
  if (has_from == 1) {
    LARCH_ASSIGN_OR_RETURN(d.from, internal::DecodeObjectId(dec));
  }
  LARCH_ASSIGN_OR_RETURN(d.to, internal::DecodeObjectId(dec));
  LARCH_ASSIGN_OR_RETURN(d.superblock_size, dec.U64());
  LARCH_ASSIGN_OR_RETURN(d.superblock_sha256, DecodeDigest(dec));
  return d;
}

Result<SummaryDictionary> DecodeDictionary(encoding::Decoder& dec) {
  SummaryDictionary d;
  LARCH_ASSIGN_OR_RETURN(d.id, dec.U32());
  LARCH_ASSIGN_OR_RETURN(d.size, dec.U64());
  LARCH_ASSIGN_OR_RETURN(d.sha256, DecodeDigest(dec));
  return d;
}

template <typename T, typename F>
Result<std::vector<T>> DecodeList(encoding::Decoder& dec, size_t max, size_t min_size, F decode_one) {
  LARCH_ASSIGN_OR_RETURN(uint32_t count, dec.Count(static_cast<uint32_t>(max), min_size));
  std::vector<T> out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    LARCH_ASSIGN_OR_RETURN(T item, decode_one(dec));
    out.push_back(std::move(item));
  }
  return out;
}

Status DecodeMetadata(encoding::Decoder& dec, std::map<std::string, std::string>& out) {
  LARCH_ASSIGN_OR_RETURN(uint32_t count, dec.Count(kMaxMetadataEntries, 8));
  std::string previous;
  for (uint32_t i = 0; i < count; ++i) {
    LARCH_ASSIGN_OR_RETURN(std::string key, dec.Str(kMaxMetadataKey));
    LARCH_ASSIGN_OR_RETURN(std::string value, dec.Str(kMaxMetadataValue));
    // Checked as stored: a map would silently sort and deduplicate.
    if (i > 0 && !(previous < key)) return dec.Error("metadata keys not strictly sorted");
    previous = key;
    out.emplace(std::move(key), std::move(value));
  }
  return Status::Ok();
}

}  // namespace

const SummaryRef* Summary::FindRef(std::string_view name) const {
  auto it = std::lower_bound(refs.begin(), refs.end(), name,
                             [](const SummaryRef& r, std::string_view n) { return r.name < n; });
  return it != refs.end() && it->name == name ? &*it : nullptr;
}

const SummaryRollout* Summary::FindRollout(std::string_view ref) const {
  for (const SummaryRollout& r : rollouts)
    if (r.ref == ref) return &r;
  return nullptr;
}

const SummaryRecall* Summary::FindRecall(std::string_view ref) const {
  for (const SummaryRecall& r : recalls)
    if (r.ref == ref) return &r;
  return nullptr;
}

Status ValidateSummary(const Summary& s) {
  if (s.store_mode != "archive" && s.store_mode != "bare") {
    return internal::Invalid(kWhat, "store mode must be archive or bare, not " + internal::Quote(s.store_mode));
  }
  if (s.expires <= s.timestamp) return internal::Invalid(kWhat, "expires before it was published");
  LARCH_RETURN_IF_ERROR(ValidateRefs(s.refs));
  LARCH_RETURN_IF_ERROR(ValidateDeltas(s.deltas));
  LARCH_RETURN_IF_ERROR(ValidateDictionaries(s.dictionaries));
  LARCH_RETURN_IF_ERROR(ValidateMetadata(s.metadata));
  return ValidateRolloutControl(s);
}

Bytes EncodeSummary(const Summary& s) {
  assert(ValidateSummary(s).ok());
  encoding::Encoder enc;
  const bool control = !s.rollouts.empty() || !s.recalls.empty();
  enc.U8(kTag);
  enc.U8(control ? kVersionRollouts : kVersion);
  enc.U64(s.serial);
  enc.U64(s.timestamp);
  enc.U64(s.expires);
  enc.Str(s.store_mode);
  enc.U32(static_cast<uint32_t>(s.refs.size()));
  for (const SummaryRef& r : s.refs) {
    enc.Str(r.name);
    internal::EncodeObjectId(enc, r.commit);
    enc.U64(r.commit_size);
    enc.Str(r.version);
    enc.U64(r.timestamp);
  }
  enc.U32(static_cast<uint32_t>(s.deltas.size()));
  for (const SummaryDelta& d : s.deltas) {
    enc.U8(d.from ? 1 : 0);
    if (d.from) internal::EncodeObjectId(enc, *d.from);
    internal::EncodeObjectId(enc, d.to);
    enc.U64(d.superblock_size);
    enc.Raw(d.superblock_sha256);
  }
  enc.U32(static_cast<uint32_t>(s.dictionaries.size()));
  for (const SummaryDictionary& d : s.dictionaries) {
    enc.U32(d.id);
    enc.U64(d.size);
    enc.Raw(d.sha256);
  }
  enc.U32(static_cast<uint32_t>(s.metadata.size()));
  for (const auto& [key, value] : s.metadata) {
    enc.Str(key);
    enc.Str(value);
  }
  if (control) {
    enc.U32(static_cast<uint32_t>(s.rollouts.size()));
    for (const SummaryRollout& r : s.rollouts) {
      enc.Str(r.ref);
      internal::EncodeObjectId(enc, r.commit);
      enc.U32(r.basis_points);
      enc.U8(r.halted ? 1 : 0);
    }
    enc.U32(static_cast<uint32_t>(s.recalls.size()));
    for (const SummaryRecall& r : s.recalls) {
      enc.Str(r.ref);
      internal::EncodeObjectId(enc, r.recalled);
      enc.Str(r.to.name);
      internal::EncodeObjectId(enc, r.to.commit);
      enc.U64(r.to.commit_size);
      enc.Str(r.to.version);
      enc.U64(r.to.timestamp);
    }
  }
  return enc.Take();
}

Result<Summary> DecodeSummary(ByteSpan data) {
  encoding::Decoder dec(data, std::string(kWhat));
  LARCH_ASSIGN_OR_RETURN(uint8_t tag, dec.U8());
  if (tag != kTag) return dec.Error("not a summary (bad tag)");
  LARCH_ASSIGN_OR_RETURN(uint8_t version, dec.U8());
  if (version != kVersion && version != kVersionRollouts)
    return dec.Error("unknown summary version " + std::to_string(version));
  Summary s;
  LARCH_ASSIGN_OR_RETURN(s.serial, dec.U64());
  LARCH_ASSIGN_OR_RETURN(s.timestamp, dec.U64());
  LARCH_ASSIGN_OR_RETURN(s.expires, dec.U64());
  LARCH_ASSIGN_OR_RETURN(s.store_mode, dec.Str(16));
  LARCH_ASSIGN_OR_RETURN(s.refs, DecodeList<SummaryRef>(dec, kMaxSummaryRefs, kMinRefSize, DecodeRef));
  LARCH_ASSIGN_OR_RETURN(s.deltas,
                         DecodeList<SummaryDelta>(dec, kMaxSummaryDeltas, kMinDeltaSize, DecodeDelta));
  LARCH_ASSIGN_OR_RETURN(s.dictionaries, DecodeList<SummaryDictionary>(
                                             dec, kMaxSummaryDictionaries, kMinDictionarySize, DecodeDictionary));
  LARCH_RETURN_IF_ERROR(DecodeMetadata(dec, s.metadata));
  if (version == kVersionRollouts) {
    LARCH_ASSIGN_OR_RETURN(s.rollouts,
                           DecodeList<SummaryRollout>(dec, kMaxSummaryRefs, kMinRolloutSize, DecodeRollout));
    LARCH_ASSIGN_OR_RETURN(s.recalls, DecodeList<SummaryRecall>(dec, kMaxSummaryRefs, kMinRecallSize, DecodeRecall));
    // Canonical: version 2 only for a summary that has rollout control.
    if (s.rollouts.empty() && s.recalls.empty()) return dec.Error("version 2 without rollouts or recalls");
  }
  LARCH_RETURN_IF_ERROR(dec.Finish());
  LARCH_RETURN_IF_ERROR(internal::AsCorruption(ValidateSummary(s)));
  return s;
}

}  // namespace larch::repo
