// File: src/bootstate/boot_state.cc
// Standard library and libc only: the initramfs helper compiles this file
// as it is (see boot_state.h).
#include "src/bootstate/boot_state.h"

#include <charconv>

namespace larch::boot {

namespace {

constexpr std::string_view kDeployPrefix = "/ostree/deploy/";
constexpr std::string_view kDeployInfix = "/deploy/";

bool IsNameChar(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')
    return true;
  return !first && (c == '.' || c == '-');
}

// Decimal without sign or leading zeros ("0" itself is fine), at most `max`.
std::optional<uint32_t> ParseDecimal(std::string_view text, uint32_t max) {
  if (text.empty() || text.size() > 9 || (text.size() > 1 && text[0] == '0')) return std::nullopt;
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

bool IsPrintableAscii(std::string_view text) {
  for (char c : text)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

// Reads "key=value\n" lines in a fixed order.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : rest_(text) {}

  bool AtEnd() const { return rest_.empty(); }
  int line() const { return line_; }
  bool NextStartsWith(std::string_view key) const {
    return rest_.substr(0, key.size() + 1) == std::string(key) + "=";
  }
  // The next whole line without its "\n"; nullopt (and an error) when the
  // text ends without one.
  std::optional<std::string_view> Line() {
    size_t nl = rest_.find('\n');
    ++line_;
    if (nl == std::string_view::npos) {
      error_ = Where() + "missing newline at the end";
      return std::nullopt;
    }
    std::string_view l = rest_.substr(0, nl);
    rest_.remove_prefix(nl + 1);
    return l;
  }
  // The value of "key=value"; an error naming the key when the line is not that.
  std::optional<std::string_view> Value(std::string_view key) {
    std::optional<std::string_view> l = Line();
    if (!l) return std::nullopt;
    if (l->substr(0, key.size() + 1) != std::string(key) + "=") {
      error_ = Where() + "expected '" + std::string(key) + "='";
      return std::nullopt;
    }
    return l->substr(key.size() + 1);
  }
  std::string Fail(const std::string& why) {
    if (error_.empty()) error_ = Where() + why;
    return error_;
  }
  const std::string& error() const { return error_; }

 private:
  std::string Where() const { return "line " + std::to_string(line_) + ": "; }
  std::string_view rest_;
  int line_ = 0;
  std::string error_;
};

template <typename T>
Decoded<T> Error(std::string why) {
  Decoded<T> d;
  d.error = std::move(why);
  return d;
}

std::optional<BootStatus> ParseStatus(std::string_view text) {
  for (BootStatus s : {BootStatus::kPending, BootStatus::kGood, BootStatus::kFellBack})
    if (text == BootStatusName(s)) return s;
  return std::nullopt;
}

bool ReadDeployment(LineReader& in, std::string_view key, bool may_be_empty,
                    std::vector<DeploymentId>& out) {
  std::optional<std::string_view> v = in.Value(key);
  if (!v) return false;
  if (v->empty() && may_be_empty) return true;
  std::optional<DeploymentId> id = ParseDeploymentPath(*v);
  if (!id) {
    in.Fail(std::string(key) + " is not a deployment path /ostree/deploy/<os>/deploy/<commit>.<serial>");
    return false;
  }
  out.push_back(*id);
  return true;
}

// The scalar fields between the fallback and the kept lines.
bool ReadCounters(LineReader& in, BootState& state) {
  std::optional<std::string_view> tries = in.Value("tries-left");
  if (!tries) return false;
  std::optional<uint32_t> n = ParseDecimal(*tries, kMaxTries);
  if (!n) {
    in.Fail("tries-left must be a number from 0 to 99");
    return false;
  }
  state.tries_left = *n;
  std::optional<std::string_view> status = in.Value("status");
  if (!status) return false;
  std::optional<BootStatus> s = ParseStatus(*status);
  if (!s) {
    in.Fail("status must be pending, good or fell-back");
    return false;
  }
  state.status = *s;
  std::optional<std::string_view> reason = in.Value("reason");
  if (!reason) return false;
  state.reason = std::string(*reason);
  return true;
}

}  // namespace

bool IsValidOsName(std::string_view os) {
  if (os.empty() || os.size() > kMaxOsName) return false;
  for (size_t i = 0; i < os.size(); ++i)
    if (!IsNameChar(os[i], i == 0)) return false;
  return true;
}

bool IsValidCommitHex(std::string_view hex) {
  if (hex.size() != 64) return false;
  for (char c : hex)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string DeploymentName(const DeploymentId& id) { return id.commit + "." + std::to_string(id.serial); }

std::string DeploymentPath(const DeploymentId& id) {
  return std::string(kDeployPrefix) + id.os + std::string(kDeployInfix) + DeploymentName(id);
}

std::optional<DeploymentId> ParseDeploymentName(std::string_view os, std::string_view name) {
  if (!IsValidOsName(os) || name.size() < 66 || name[64] != '.') return std::nullopt;
  std::optional<uint32_t> serial = ParseDecimal(name.substr(65), kMaxSerial);
  if (!IsValidCommitHex(name.substr(0, 64)) || !serial) return std::nullopt;
  return DeploymentId{std::string(os), std::string(name.substr(0, 64)), *serial};
}

std::optional<DeploymentId> ParseDeploymentPath(std::string_view path) {
  if (path.substr(0, kDeployPrefix.size()) != kDeployPrefix) return std::nullopt;
  path.remove_prefix(kDeployPrefix.size());
  size_t infix = path.find(kDeployInfix);
  if (infix == std::string_view::npos) return std::nullopt;
  return ParseDeploymentName(path.substr(0, infix), path.substr(infix + kDeployInfix.size()));
}

std::string_view BootStatusName(BootStatus status) {
  switch (status) {
    case BootStatus::kPending: return "pending";
    case BootStatus::kGood: return "good";
    case BootStatus::kFellBack: return "fell-back";
  }
  return "pending";
}

std::string BootStateError(const BootState& state) {
  if (state.deployments.empty()) return "no default deployment";
  if (state.deployments.size() > kMaxDeployments) return "more than 16 deployments";
  for (size_t i = 0; i < state.deployments.size(); ++i) {
    const DeploymentId& d = state.deployments[i];
    if (!IsValidOsName(d.os) || !IsValidCommitHex(d.commit) || d.serial > kMaxSerial)
      return "deployment " + std::to_string(i) + " has an invalid name";
    for (size_t j = 0; j < i; ++j)
      if (state.deployments[j] == d) return "deployment " + DeploymentPath(d) + " is listed twice";
  }
  if (state.tries_left > kMaxTries) return "tries-left above 99";
  if (state.reason.size() > kMaxReason || !IsPrintableAscii(state.reason))
    return "reason must be printable ASCII of at most 200 bytes";
  bool fell_back = state.status == BootStatus::kFellBack;
  if (fell_back && state.reason.empty()) return "status fell-back needs a reason";
  if (!fell_back && !state.reason.empty()) return "a reason is only kept with status fell-back";
  if (fell_back && state.deployments.size() < 2) return "status fell-back without a fallback deployment";
  return "";
}

std::string EncodeBootState(const BootState& state) {
  std::string out(kBootStateMagic);
  out += "\ndefault=" + DeploymentPath(state.deployments[0]) + "\n";
  out += "fallback=" + (state.deployments.size() > 1 ? DeploymentPath(state.deployments[1]) : "") + "\n";
  out += "tries-left=" + std::to_string(state.tries_left) + "\n";
  out += "status=" + std::string(BootStatusName(state.status)) + "\n";
  out += "reason=" + state.reason + "\n";
  for (size_t i = 2; i < state.deployments.size(); ++i)
    out += "kept=" + DeploymentPath(state.deployments[i]) + "\n";
  return out;
}

Decoded<BootState> DecodeBootState(std::string_view text) {
  if (text.size() > kMaxBootStateSize) return Error<BootState>("larger than 4096 bytes");
  LineReader in(text);
  std::optional<std::string_view> magic = in.Line();
  if (!magic || *magic != kBootStateMagic)
    return Error<BootState>("line 1: expected '" + std::string(kBootStateMagic) + "'");
  BootState state;
  if (!ReadDeployment(in, "default", false, state.deployments)) return Error<BootState>(in.error());
  if (!ReadDeployment(in, "fallback", true, state.deployments)) return Error<BootState>(in.error());
  bool has_fallback = state.deployments.size() == 2;
  if (!ReadCounters(in, state)) return Error<BootState>(in.error());
  while (!in.AtEnd()) {
    if (!has_fallback) return Error<BootState>(in.Fail("kept deployments without a fallback"));
    if (!ReadDeployment(in, "kept", false, state.deployments)) return Error<BootState>(in.error());
    if (state.deployments.size() > kMaxDeployments) return Error<BootState>(in.Fail("more than 16 deployments"));
  }
  std::string invalid = BootStateError(state);
  if (!invalid.empty()) return Error<BootState>(invalid);
  Decoded<BootState> d;
  d.value = std::move(state);
  return d;
}

std::optional<std::string_view> CmdlineArgument(std::string_view cmdline, std::string_view key) {
  std::optional<std::string_view> last;
  size_t i = 0;
  while (i < cmdline.size()) {
    size_t start = cmdline.find_first_not_of(" \t\n", i);
    if (start == std::string_view::npos) break;
    size_t end = cmdline.find_first_of(" \t\n", start);
    std::string_view word = cmdline.substr(start, end == std::string_view::npos ? end : end - start);
    if (word.size() > key.size() && word.substr(0, key.size()) == key && word[key.size()] == '=')
      last = word.substr(key.size() + 1);
    i = end == std::string_view::npos ? cmdline.size() : end;
  }
  return last;
}

Decoded<DeploymentId> DeploymentFromCmdline(std::string_view cmdline) {
  std::optional<std::string_view> last = CmdlineArgument(cmdline, "larch");
  Decoded<DeploymentId> d;
  if (!last) return d;
  d.value = ParseDeploymentPath(*last);
  if (!d.value) d.error = "larch=" + std::string(*last) + " is not a deployment path";
  return d;
}

}  // namespace larch::boot
