// File: deploy/origin.cc
#include "deploy/origin.h"

#include "deploy/key_value.h"
#include "repo/refs.h"
#include "repo/trust/remote_config.h"
#include "src/fs/atomic.h"

namespace larch::deploy {

std::string Origin::Refspec() const { return remote.empty() ? ref : remote + ":" + ref; }

Status ValidateOrigin(const Origin& o) {
  if (!o.remote.empty()) {
    LARCH_RETURN_IF_ERROR(trust::ValidateRemoteName(o.remote));
    if (o.ref.empty()) return Status::InvalidArgument("an origin with a remote needs a ref");
  }
  if (!o.ref.empty()) LARCH_RETURN_IF_ERROR(repo::ValidateRefName(o.ref));
  return Status::Ok();
}

std::string EncodeOrigin(const Origin& o) {
  return std::string("format=") + kOriginFormat + "\nremote=" + o.remote + "\nref=" + o.ref +
         "\npinned=" + (o.pinned ? "1" : "0") + "\n";
}

Result<Origin> DecodeOrigin(std::string_view text, const std::string& what) {
  LARCH_ASSIGN_OR_RETURN(KeyValues kv, ParseKeyValues(text, {"format", "remote", "ref", "pinned"}, what));
  for (const char* key : {"format", "remote", "ref", "pinned"})
    if (!kv.contains(key)) return Status::Corruption(what + ": missing key '" + key + "'");
  if (kv["format"] != kOriginFormat)
    return Status::Corruption(what + ": format '" + kv["format"] + "' is not " + kOriginFormat);
  if (kv["pinned"] != "0" && kv["pinned"] != "1") return Status::Corruption(what + ": pinned must be 0 or 1");
  Origin o{kv["remote"], kv["ref"], kv["pinned"] == "1"};
  Status valid = ValidateOrigin(o);
  if (!valid.ok()) return Status::Corruption(what + ": " + valid.message());
  return o;
}

Result<Origin> ReadOrigin(fs::Fs& fs, int deploy_fd, const std::string& deployment_name) {
  std::string name = deployment_name + kOriginSuffix;
  LARCH_ASSIGN_OR_RETURN(Bytes text, fs::ReadFileFully(fs, deploy_fd, name, 64 << 10));
  return DecodeOrigin(AsStringView(text), "origin file " + name);
}

Status WriteOrigin(fs::Fs& fs, int deploy_fd, const std::string& deployment_name, const Origin& origin) {
  LARCH_RETURN_IF_ERROR(ValidateOrigin(origin));
  return fs::WriteFileAtomic(fs, deploy_fd, deployment_name + kOriginSuffix, AsBytes(EncodeOrigin(origin)));
}

}  // namespace larch::deploy
