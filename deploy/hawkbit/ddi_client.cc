// File: deploy/hawkbit/ddi_client.cc
#include "deploy/hawkbit/ddi_client.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "deploy/boot_config.h"
#include "deploy/deploy_history.h"
#include "deploy/deployment_info.h"
#include "deploy/failed_releases.h"
#include "deploy/hawkbit/action_state.h"
#include "deploy/upgrade.h"
#include "repo/refs.h"
#include "repo/trust/remote_config.h"
#include "src/base/hex.h"
#include "src/base/unique_fd.h"
#include "src/crypto/sha256.h"

namespace larch::hawkbit {

namespace {

// Progress steps of an install as the server shows them (cnt of 4).
constexpr uint32_t kSteps = 4;
constexpr uint32_t kStepDownloading = 1, kStepDownloaded = 2, kStepDeployed = 3;
// A pointer artifact is a few hundred bytes; anything larger is not one.
constexpr uint64_t kMaxPointerSize = 64 * 1024;

std::string NowIso() {
  char buf[32];
  const std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%S", &tm);
  return buf;
}

Result<std::string> FileSha256(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno(errno, "reading " + path);
  crypto::Sha256 h;
  std::vector<uint8_t> buf(1 << 16);
  while (true) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "reading " + path);
    if (n == 0) break;
    h.Update(ByteSpan(buf.data(), static_cast<size_t>(n)));
  }
  const crypto::Sha256Digest d = h.Finish();
  return HexEncode(ByteSpan(d.data(), d.size()));
}

Result<std::string> ReadSmall(const std::string& path, uint64_t limit) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Status::FromErrno(errno, "reading " + path);
  std::string out(limit + 1, '\0');
  size_t have = 0;
  while (have < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + have, out.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "reading " + path);
    if (n == 0) break;
    have += static_cast<size_t>(n);
  }
  if (have > limit) return Status::InvalidArgument(path + " is larger than " + std::to_string(limit) + " bytes");
  out.resize(have);
  return out;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string ShortId(std::string_view hex) { return std::string(hex.substr(0, 12)); }

}  // namespace

uint32_t RetryDelay(const DdiConfig& config, uint32_t failures) {
  uint64_t delay = config.retry_interval;
  for (uint32_t i = 1; i < failures && delay < config.retry_max; ++i) delay *= 2;
  return static_cast<uint32_t>(std::min<uint64_t>(delay, config.retry_max));
}

struct DdiClient::Impl {
  const deploy::Sysroot& sysroot;
  DdiConfig config;
  std::unique_ptr<DdiHttp> http;
  ClientOptions options;
  std::unique_ptr<trust::TrustState> state;
  PollOutcome outcome;

  sqlite::Database& db() { return state->database(); }
  void Log(const std::string& line) {
    if (options.log) options.log(line);
  }
  std::string Url(const std::string& suffix) const { return ControllerUrl(config) + suffix; }

  Status SendFeedback(const std::string& resource, const Feedback& f) {
    const std::string url = Url("/" + resource + "/" + f.action_id + "/feedback");
    Log("action " + f.action_id + ": feedback " + std::string(ExecutionName(f.execution)) + "/" +
        std::string(FinishedName(f.finished)) + (f.details.empty() ? "" : ": " + f.details.front()));
    return http->Expect2xx("POST", url, EncodeFeedback(f, NowIso())).status();
  }

  // A progress message; failing to deliver one does not stop the install
  // (the closing feedback is the one kept until the server takes it).
  void Progress(const std::string& action_id, Execution e, uint32_t step, const std::string& detail) {
    Feedback f{action_id, e, Finished::kNone, std::make_pair(step, kSteps), {detail}};
    if (Status s = SendFeedback("deploymentBase", f); !s.ok()) Log("action " + action_id + ": " + s.message());
  }

  // Records the outcome first, then tries to deliver it; an undelivered
  // one is sent again at the next poll.
  Status Finish(ActionRecord r, bool success, const std::string& detail) {
    r.phase = Phase::kFinished;
    r.result = success ? "success" : "failure";
    r.detail = detail;
    r.reported = false;
    r.updated = 0;
    LARCH_RETURN_IF_ERROR(PutAction(db(), r));
    RemoveDownloads(r.action_id);
    return Report(r);
  }

  Status Report(ActionRecord r) {
    Feedback f{r.action_id, Execution::kClosed, r.result == "success" ? Finished::kSuccess : Finished::kFailure,
               std::nullopt, {r.detail}};
    if (r.result == "success") f.progress = std::make_pair(kSteps, kSteps);
    const std::string url = Url("/deploymentBase/" + r.action_id + "/feedback");
    Log("action " + r.action_id + ": feedback closed/" + r.result + ": " + r.detail);
    LARCH_ASSIGN_OR_RETURN(HttpReply reply, http->Request("POST", url, EncodeFeedback(f, NowIso())));
    if (reply.code == 404 || reply.code == 410) {
      Log("action " + r.action_id + ": the server no longer knows it (HTTP " + std::to_string(reply.code) + ")");
    } else if (reply.code < 200 || reply.code > 299) {
      return Status::IoError("POST " + url + ": the server answered HTTP " + std::to_string(reply.code));
    }
    r.reported = true;
    r.updated = 0;
    return PutAction(db(), r);
  }

  Result<int64_t> NewestBootOutcome() {
    LARCH_ASSIGN_OR_RETURN(auto outcomes, deploy::ReadBootOutcomes(db(), 1));
    return outcomes.empty() ? int64_t{0} : outcomes.front().id;
  }

  // 1. What the boots since the deploy decided.
  Status Settle() {
    LARCH_ASSIGN_OR_RETURN(auto waiting, ActionsInPhase(db(), Phase::kRebooting));
    if (waiting.empty()) return Status::Ok();
    LARCH_ASSIGN_OR_RETURN(auto outcomes, deploy::ReadBootOutcomes(db(), 1000));
    for (ActionRecord& r : waiting) {
      const std::string target = "/ostree/deploy/" + r.os + "/deploy/" + r.deployment;
      const deploy::BootOutcome* first = nullptr;  // the oldest newer than the mark
      for (const deploy::BootOutcome& o : outcomes)
        if (o.id > r.boot_mark) first = &o;
      if (first == nullptr) {
        Log("action " + r.action_id + ": waiting for " + target + " to boot and pass its health check");
        continue;
      }
      if (first->outcome == "good" && first->deployment == target) {
        LARCH_RETURN_IF_ERROR(Finish(r, true, "booted version " + r.version + " (commit " + ShortId(r.commit) +
                                                  ") and passed its health check"));
      } else if (first->outcome == "fell-back") {
        LARCH_RETURN_IF_ERROR(Finish(r, false, "version " + r.version + " did not boot; the device fell back to " +
                                                   first->deployment + ": " + first->detail));
      } else {
        LARCH_RETURN_IF_ERROR(Finish(r, false, "the device booted " + first->deployment + ", not the deployed " +
                                                   target + " (rolled back before the reboot?)"));
      }
    }
    return Status::Ok();
  }

  // 3. Closing feedback not delivered before.
  void ReportPending() {
    auto pending = UnreportedActions(db());
    if (!pending.ok()) {
      Log(pending.status().message());
      return;
    }
    for (const ActionRecord& r : *pending)
      if (Status s = Report(r); !s.ok()) Log("action " + r.action_id + ": " + s.message());
  }

  // 4. The attributes hawkBit shows for the device.
  Status SendAttributes(const std::string& href) {
    std::map<std::string, std::string> a;
    a["larch.client"] = "larch-hawkbit 1";
    if (options.booted) {
      a["larch.os"] = options.booted->os;
      a["larch.commit"] = options.booted->commit;
      a["larch.deployment"] = boot::DeploymentPath(*options.booted);
      auto info = deploy::DescribeDeployment(sysroot, *options.booted);
      if (info.ok()) {
        a["larch.version"] = info->version;
        a["larch.origin"] = info->origin.Refspec();
        if (info->origin.from_remote()) {
          auto remote = trust::ReadRemote(sysroot.store(), info->origin.remote);
          if (remote.ok()) {
            std::string ids;
            for (const std::string& c : remote->compatible) ids += (ids.empty() ? "" : ",") + c;
            a["larch.compatible"] = ids;
          }
        }
      }
    }
    Log("configData: sending " + std::to_string(a.size()) + " attributes");
    return http->Expect2xx("PUT", href, EncodeConfigData(a)).status();
  }

  // 5. A cancel request.
  Status HandleCancel(const std::string& href) {
    LARCH_ASSIGN_OR_RETURN(std::string body, http->Expect2xx("GET", href));
    LARCH_ASSIGN_OR_RETURN(CancelAction cancel, DecodeCancelAction(body));
    LARCH_ASSIGN_OR_RETURN(auto record, GetAction(db(), cancel.stop_id));
    const bool deployed = record && (record->phase == Phase::kRebooting || record->phase == Phase::kFinished);
    Feedback f{cancel.id, Execution::kClosed, Finished::kSuccess, std::nullopt, {}};
    if (deployed) {
      f.execution = Execution::kRejected;
      f.finished = Finished::kNone;
      f.details = {"action " + cancel.stop_id + " is already deployed (" + record->deployment +
                   "); it is finished by its boot, not cancelled"};
    } else {
      ActionRecord r = record.value_or(ActionRecord{});
      r.action_id = cancel.stop_id;
      r.phase = Phase::kCanceled;
      r.updated = 0;
      LARCH_RETURN_IF_ERROR(PutAction(db(), r));
      RemoveDownloads(cancel.stop_id);
      f.details = {"action " + cancel.stop_id + " cancelled before it was deployed; nothing was installed"};
    }
    return SendFeedback("cancelAction", f);
  }

  std::string DownloadDir() const {
    return options.download_dir.empty() ? sysroot.path() + "/ostree/hawkbit" : options.download_dir;
  }
  std::string DownloadPath(const std::string& action_id, const Artifact& a) const {
    return DownloadDir() + "/" + action_id + "-" + a.filename;
  }
  void RemoveDownloads(const std::string& action_id) {
    // Best effort: a leftover file is removed with the next action's.
    const std::string prefix = action_id + "-";
    if (auto* dir = ::opendir(DownloadDir().c_str())) {
      while (auto* e = ::readdir(dir))
        if (std::string_view(e->d_name).rfind(prefix, 0) == 0) ::unlinkat(::dirfd(dir), e->d_name, 0);
      ::closedir(dir);
    }
  }

  // 6. The open action.
  Status HandleDeployment(const std::string& href) {
    LARCH_ASSIGN_OR_RETURN(std::string body, http->Expect2xx("GET", href));
    LARCH_ASSIGN_OR_RETURN(Deployment d, DecodeDeployment(body));
    LARCH_ASSIGN_OR_RETURN(auto record, GetAction(db(), d.action_id));
    if (record) {
      switch (record->phase) {
        case Phase::kRebooting:
          return Status::Ok();  // Settle said what it waits for
        case Phase::kCanceled:
          Log("action " + d.action_id + ": cancelled here; the server still offers it");
          return Status::Ok();
        case Phase::kFinished:
          // Offered again although closed: the feedback did not arrive.
          if (record->result == "downloaded") return Status::Ok();
          return Report(*record);
        case Phase::kDownloaded:
          return ResumeDownloaded(d, *record);
      }
    }
    return Start(d);
  }

  // hawkBit's download-only action: update "skip" with no closed window
  // (outside a maintenance window hawkBit also says "skip").
  static bool DownloadOnly(const Deployment& d) {
    return d.update == Handling::kSkip && d.window != Window::kUnavailable;
  }

  bool MayDeploy(const Deployment& d) const {
    return d.update != Handling::kSkip && d.window != Window::kUnavailable;
  }

  ActionRecord NewRecord(const std::string& action_id, const std::string& os) {
    ActionRecord r;
    r.action_id = action_id;
    r.os = os;
    return r;
  }

  Status Start(const Deployment& d) {
    LARCH_ASSIGN_OR_RETURN(std::string os, deploy::ChooseOs(sysroot, config.os));
    ActionRecord r = NewRecord(d.action_id, os);
    std::vector<const Artifact*> artifacts;
    for (const Chunk& c : d.chunks)
      for (const Artifact& a : c.artifacts) artifacts.push_back(&a);
    if (artifacts.size() != 1) {
      return Finish(r, false, "the action has " + std::to_string(artifacts.size()) +
                                  " artifacts; Larch installs exactly one (a Larch bundle, or a pointer *.json)");
    }
    if (d.download == Handling::kSkip) {
      Log("action " + d.action_id + ": download is 'skip'; waiting");
      return Status::Ok();
    }
    const Artifact& a = *artifacts.front();
    const bool pointer = EndsWith(a.filename, ".json");
    if (pointer && a.size > kMaxPointerSize)
      return Finish(r, false, "pointer artifact " + a.filename + " is " + std::to_string(a.size) + " bytes; a pointer is at most 64 KiB");
    Progress(d.action_id, Execution::kProceeding, kStepDownloading,
             "downloading " + a.filename + " (" + std::to_string(a.size) + " bytes)");
    Result<std::string> path = FetchArtifact(d.action_id, a);
    if (!path.ok()) {
      // A transfer that broke is tried again at the next poll (the file
      // resumes); a wrong hash or size is final.
      if (path.status().code() == StatusCode::kIoError) return path.status();
      return Finish(r, false, path.status().message());
    }
    deploy::UpgradeOptions u;
    u.os = os;
    u.booted = options.booted;
    u.action = "hawkbit";
    u.mode = MayDeploy(d) ? deploy::UpgradeMode::kDeploy : deploy::UpgradeMode::kDownloadOnly;
    u.now = true;  // the server's maintenance window decides when, not larch.conf's
    if (pointer) {
      auto text = ReadSmall(*path, kMaxPointerSize);
      if (!text.ok()) return Finish(r, false, text.status().message());
      auto p = DecodePointer(*text);
      if (!p.ok()) return Finish(r, false, "artifact " + a.filename + ": " + p.status().message());
      auto commit = repo::ObjectId::FromHex(p->commit);
      if (!commit.ok()) return Finish(r, false, "artifact " + a.filename + ": " + commit.status().message());
      u.follow = deploy::Origin{p->remote, p->ref, false};
      u.expected_commit = *commit;
      r.version = p->version;
    } else {
      u.bundle = *path;
    }
    u.before_deploy = [&](const repo::ObjectId& commit) {
      Progress(d.action_id, Execution::kDownloaded, kStepDownloaded,
               "release verified and in the store: commit " + ShortId(commit.Hex()));
      Progress(d.action_id, Execution::kProceeding, kStepDownloaded, "deploying commit " + ShortId(commit.Hex()));
      return Status::Ok();
    };
    Result<deploy::UpgradeResult> up = deploy::Upgrade(sysroot, u);
    if (!up.ok()) return Finish(r, false, "refused: " + up.status().message());
    r.commit = up->commit.Hex();
    r.refspec = up->refspec;
    if (pointer && !r.version.empty() && up->deployed && up->deployed->version != r.version) {
      // The deploy stands (it passed every check); the server's label differs.
      Log("action " + d.action_id + ": the pointer says version " + r.version + ", the signed commit " +
          up->deployed->version);
    }
    // A release that failed to boot here is not tried again, even when it
    // is still the default the helper falls back from (upgrade's own check
    // comes after "the default runs it").
    LARCH_ASSIGN_OR_RETURN(auto failed, deploy::FindFailedRelease(db(), os, r.commit));
    const bool running = options.booted && options.booted->commit == r.commit;
    if (failed && !running) {
      return Finish(r, false, "commit " + ShortId(r.commit) + " failed to boot on this device before (" +
                                  failed->reason + "); not installed again");
    }
    if (up->up_to_date) return AlreadyDefault(d, r);
    if (!up->deferred.empty()) return Deferred(d, r, up->deferred);
    if (!up->deployed) return Downloaded(d, r);
    outcome.upgrade = *up;
    return Deployed(d, r, up->deployed->deployment, up->deployed->version);
  }

  // A `check` hook said not now: the release waits in the store, and the
  // next poll asks the hooks again (ResumeDownloaded).
  Status Deferred(const Deployment& d, ActionRecord r, const std::string& why) {
    r.phase = Phase::kDownloaded;
    r.updated = 0;
    LARCH_RETURN_IF_ERROR(PutAction(db(), r));
    Progress(d.action_id, Execution::kDownloaded, kStepDownloaded,
             "release verified and in the store: commit " + ShortId(r.commit) + "; " + why);
    return Status::Ok();
  }

  Result<std::string> FetchArtifact(const std::string& action_id, const Artifact& a) {
    if (::mkdir(DownloadDir().c_str(), 0700) != 0 && errno != EEXIST)
      return Status::FromErrno(errno, "creating " + DownloadDir());
    const std::string path = DownloadPath(action_id, a);
    LARCH_RETURN_IF_ERROR(http->Download(a.href, path, a.size));
    LARCH_ASSIGN_OR_RETURN(std::string sha, FileSha256(path));
    if (sha != a.sha256) {
      ::unlink(path.c_str());
      return Status::VerifyFailed("artifact " + a.filename + ": its SHA-256 is " + sha + ", the action announced " +
                                  a.sha256);
    }
    Log("action " + action_id + ": " + a.filename + " downloaded (" + std::to_string(a.size) + " bytes, SHA-256 ok)");
    return path;
  }

  // The release is in the store, not deployed (maintenance window closed,
  // or a download-only action).
  Status Downloaded(const Deployment& d, ActionRecord r) {
    r.phase = Phase::kDownloaded;
    r.updated = 0;
    LARCH_RETURN_IF_ERROR(PutAction(db(), r));
    if (DownloadOnly(d)) {  // "downloaded" closes it on the server
      r.phase = Phase::kFinished;
      r.result = "downloaded";
      r.detail = "downloaded commit " + ShortId(r.commit) + " (download-only action)";
      r.reported = true;
      LARCH_RETURN_IF_ERROR(PutAction(db(), r));
      RemoveDownloads(r.action_id);
    }
    Progress(d.action_id, Execution::kDownloaded, kStepDownloaded,
             "release verified and in the store: commit " + ShortId(r.commit) +
                 (DownloadOnly(d) ? "" : "; deploying when the maintenance window opens"));
    return Status::Ok();
  }

  // Deploys a release downloaded earlier once the window is open.
  Status ResumeDownloaded(const Deployment& d, ActionRecord r) {
    if (!MayDeploy(d)) {
      Log("action " + d.action_id + ": downloaded; waiting for the maintenance window");
      return Status::Ok();
    }
    LARCH_ASSIGN_OR_RETURN(auto ref, repo::ReadRef(sysroot.store(), r.refspec));
    if (!ref || ref->Hex() != r.commit)
      return Finish(r, false, "the release's ref " + r.refspec + " moved since the download; not deployed");
    deploy::UpgradeOptions o;
    o.os = r.os;
    o.booted = options.booted;
    o.action = "hawkbit";
    o.now = true;
    o.before_deploy = [&](const repo::ObjectId& commit) {
      Progress(d.action_id, Execution::kProceeding, kStepDownloaded, "deploying commit " + ShortId(commit.Hex()));
      return Status::Ok();
    };
    Result<deploy::UpgradeResult> up = deploy::DeployFetched(sysroot, o, r.refspec, *ref);
    if (!up.ok()) return Finish(r, false, "refused: " + up.status().message());
    if (up->up_to_date) return AlreadyDefault(d, r);
    if (!up->deferred.empty()) {
      Log("action " + d.action_id + ": " + up->deferred);
      return Status::Ok();
    }
    outcome.upgrade = *up;
    return Deployed(d, r, up->deployed->deployment, up->deployed->version);
  }

  // The default already runs the commit (a re-poll after a crash, or the
  // server assigned what the device has): done if it runs, else it waits
  // for its boot like a fresh deploy.
  Status AlreadyDefault(const Deployment& d, ActionRecord r) {
    if (options.booted && options.booted->commit == r.commit) {
      return Finish(r, true, "commit " + ShortId(r.commit) + " is already installed and running");
    }
    LARCH_ASSIGN_OR_RETURN(deploy::BootConfig boot, deploy::ReadBootConfig(sysroot));
    for (const boot::DeploymentId& id : boot.state ? boot.state->deployments : std::vector<boot::DeploymentId>{}) {
      if (id.os == r.os) return Deployed(d, r, id, deploy::VersionOrEmpty(sysroot, id));
    }
    return Finish(r, false, "commit " + ShortId(r.commit) + " is in the store but not deployed");
  }

  Status Deployed(const Deployment& d, ActionRecord r, const boot::DeploymentId& id, const std::string& version) {
    r.phase = Phase::kRebooting;
    r.deployment = boot::DeploymentName(id);
    r.version = version;
    LARCH_ASSIGN_OR_RETURN(r.boot_mark, NewestBootOutcome());
    r.updated = 0;
    LARCH_RETURN_IF_ERROR(PutAction(db(), r));
    RemoveDownloads(r.action_id);
    Progress(d.action_id, Execution::kProceeding, kStepDeployed,
             "deployed version " + version + " as " + boot::DeploymentPath(id) +
                 (config.reboot ? "; rebooting" : "; it runs after the next reboot"));
    outcome.rebooting = config.reboot;
    return Status::Ok();
  }

  Result<PollOutcome> Poll() {
    outcome = PollOutcome{};
    LARCH_ASSIGN_OR_RETURN(state, sysroot.OpenState());
    LARCH_RETURN_IF_ERROR(Settle());
    LARCH_ASSIGN_OR_RETURN(std::string body, http->Expect2xx("GET", ControllerUrl(config)));
    LARCH_ASSIGN_OR_RETURN(ControllerBase base, DecodeControllerBase(body));
    outcome.poll_seconds = base.poll_seconds;
    ReportPending();
    if (!base.config_data_href.empty()) LARCH_RETURN_IF_ERROR(SendAttributes(base.config_data_href));
    if (!base.cancel_href.empty()) {
      LARCH_RETURN_IF_ERROR(HandleCancel(base.cancel_href));
    } else if (!base.deployment_href.empty()) {
      LARCH_RETURN_IF_ERROR(HandleDeployment(base.deployment_href));
    }
    state.reset();
    return outcome;
  }
};

DdiClient::DdiClient(const deploy::Sysroot& sysroot, DdiConfig config, std::unique_ptr<DdiHttp> http,
                     ClientOptions options)
    : impl_(new Impl{sysroot, std::move(config), std::move(http), std::move(options), nullptr, {}}) {}

DdiClient::~DdiClient() = default;

Result<PollOutcome> DdiClient::PollOnce() { return impl_->Poll(); }

}  // namespace larch::hawkbit
