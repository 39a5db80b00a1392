// File: deploy/hawkbit/ddi_messages.h
//
// The JSON documents of hawkBit's Direct Device Integration API (DDI v1)
// that Larch reads and writes, each with one decoder that rejects what it
// does not understand (docs/hawkbit.md, "What the device reads"):
//   controller base  GET  /{tenant}/controller/v1/{id}: polling interval,
//                         links to the open action, a cancel, configData
//   deploymentBase   GET  …/deploymentBase/{action}: download and update
//                         modes, maintenance window, chunks and artifacts
//   cancelAction     GET  …/cancelAction/{id}: which action to stop
//   pointer artifact a small JSON file naming remote, ref, commit (ours)
// and the ones it sends: action feedback and configData. The server is not
// trusted for content (the commit's signatures decide), but a malformed
// answer must end in a clear error, never in a half-understood action.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/result.h"

namespace larch::hawkbit {

// The largest DDI document accepted (a deployment with many chunks is a few
// KiB; the server is not trusted with the device's memory).
inline constexpr size_t kMaxDocumentSize = 1 << 20;

struct ControllerBase {
  uint32_t poll_seconds = 0;     // config.polling.sleep ("HH:MM:SS")
  std::string deployment_href;   // _links.deploymentBase; "" when none
  std::string cancel_href;       // _links.cancelAction
  std::string installed_href;    // _links.installedBase
  std::string config_data_href;  // _links.configData: the server asks for attributes
};

// download / update: whether and how the device should act (DDI "handling").
enum class Handling { kSkip, kAttempt, kForced };
// maintenanceWindow: absent (no window), available or unavailable.
enum class Window { kNone, kAvailable, kUnavailable };

struct Artifact {
  std::string filename;
  uint64_t size = 0;
  std::string sha256;  // lower-case hex, 64 digits
  std::string href;    // download-http, else download (HTTPS)
};

struct Chunk {
  std::string part;
  std::string name;
  std::string version;
  std::vector<Artifact> artifacts;
};

struct Deployment {
  std::string action_id;
  Handling download = Handling::kForced;
  Handling update = Handling::kForced;
  Window window = Window::kNone;
  std::vector<Chunk> chunks;
};

struct CancelAction {
  std::string id;
  std::string stop_id;  // the action to cancel
};

// A pointer artifact: "install <commit> of <remote>:<ref>", pulled from the
// device's own remote (deltas from the static mirror) and verified there.
struct Pointer {
  std::string remote;
  std::string ref;
  std::string commit;   // hex, 64 digits
  std::string version;  // "" when not given; else must match the commit's
  bool operator==(const Pointer&) const = default;
};

// "HH:MM:SS" (hours may have more digits); kInvalidArgument otherwise.
Result<uint32_t> ParsePollingSleep(std::string_view text);

// Decoders: kInvalidArgument naming what is wrong ("deploymentBase:
// deployment.chunks[0].artifacts[1].hashes.sha256 is not 64 hex digits").
Result<ControllerBase> DecodeControllerBase(std::string_view json);
Result<Deployment> DecodeDeployment(std::string_view json);
Result<CancelAction> DecodeCancelAction(std::string_view json);
Result<Pointer> DecodePointer(std::string_view json);
std::string EncodePointer(const Pointer& pointer);

// The action id at the end of a deploymentBase or cancelAction href
// (".../deploymentBase/17?c=-2129030598" → "17").
Result<std::string> ActionIdFromHref(std::string_view href);

// DDI status.execution values the device sends.
enum class Execution { kProceeding, kDownload, kDownloaded, kClosed, kCanceled, kRejected, kScheduled, kResumed };
enum class Finished { kNone, kSuccess, kFailure };

struct Feedback {
  std::string action_id;
  Execution execution = Execution::kProceeding;
  Finished finished = Finished::kNone;
  std::optional<std::pair<uint32_t, uint32_t>> progress;  // cnt of
  std::vector<std::string> details;
};

std::string_view ExecutionName(Execution e);
std::string_view FinishedName(Finished f);
// The feedback body for POST …/deploymentBase/{id}/feedback (and the
// cancelAction one): {"id", "time", "status": {execution, result, details}}.
std::string EncodeFeedback(const Feedback& feedback, std::string_view time);
// The body for PUT …/configData: {"mode": "merge", "data": {...}}.
std::string EncodeConfigData(const std::map<std::string, std::string>& attributes);

}  // namespace larch::hawkbit
