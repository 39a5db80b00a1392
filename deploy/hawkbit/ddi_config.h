// File: deploy/hawkbit/ddi_config.h
//
// The hawkBit client's configuration: /etc/larch/hawkbit.conf by default,
// in key_value.h syntax (a key it does not know is an error):
//   server=https://hawkbit.example.com   the DDI server (http or https)
//   tenant=DEFAULT
//   controller-id=...                    default: /etc/machine-id
//   target-token-file=/etc/larch/hawkbit-token    one of the two tokens,
//   gateway-token-file=...                        or a client certificate:
//   client-cert=/etc/larch/hawkbit.crt   mTLS (with client-key)
//   client-key=/etc/larch/hawkbit.key
//   ca-file=/etc/larch/hawkbit-ca.pem    server CA (default: the system's)
//   os=debian                            default: the sysroot's only OS
//   reboot=yes                           reboot after a deploy (no: the
//                                        product reboots when it chooses)
//   retry-interval=30                    first retry after a failed poll,
//   retry-max=3600                       doubling up to this (seconds)
// Token files hold one line and must not be readable by group or others
// (mode 0600 or stricter): a token lets anyone act as the device.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "src/base/result.h"

namespace larch::hawkbit {

inline constexpr char kDefaultConfigPath[] = "/etc/larch/hawkbit.conf";

struct DdiConfig {
  std::string server;  // without a trailing '/'
  std::string tenant = "DEFAULT";
  std::string controller_id;  // "" until resolved: the machine id
  std::string target_token_file;
  std::string gateway_token_file;
  std::string client_cert;
  std::string client_key;
  std::string ca_file;
  std::string os;
  bool reboot = true;
  uint32_t retry_interval = 30;
  uint32_t retry_max = 3600;
  bool operator==(const DdiConfig&) const = default;
};

// The one decoder; kCorruption naming the file and line for a bad value,
// kInvalidArgument when the settings do not fit together (no server, two
// tokens, a key without a certificate).
Result<DdiConfig> DecodeDdiConfig(std::string_view text, const std::string& what);

// Reads and decodes `path`; fills controller_id from `machine_id_path`
// (its one line) when the file sets none.
Result<DdiConfig> LoadDdiConfig(const std::string& path, const std::string& machine_id_path = "/etc/machine-id");

// The token of a token file: its one line. kPermissionDenied-like
// kInvalidArgument when group or others may read it.
Result<std::string> ReadTokenFile(const std::string& path);

// The controller's base URL: <server>/<tenant>/controller/v1/<controller-id>.
std::string ControllerUrl(const DdiConfig& config);

}  // namespace larch::hawkbit
