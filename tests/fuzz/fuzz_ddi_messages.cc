// File: tests/fuzz/fuzz_ddi_messages.cc
// The hawkBit client's decoders (deploy/hawkbit/ddi_messages.h): whatever a
// server sends, each decoder either rejects it or returns values that keep
// their promises (hex digests, plain file names, http(s) links); a pointer
// survives a round trip through its encoder.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "deploy/hawkbit/ddi_messages.h"

namespace {

bool IsHttp(const std::string& s) { return s.empty() || s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace larch::hawkbit;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto base = DecodeControllerBase(text); base.ok()) {
    if (!IsHttp(base->deployment_href) || !IsHttp(base->cancel_href) || !IsHttp(base->config_data_href))
      __builtin_trap();
  }
  if (auto d = DecodeDeployment(text); d.ok()) {
    if (d->action_id.empty()) __builtin_trap();
    for (const Chunk& c : d->chunks)
      for (const Artifact& a : c.artifacts)
        if (a.sha256.size() != 64 || a.filename.find('/') != std::string::npos || a.href.empty() || !IsHttp(a.href))
          __builtin_trap();
  }
  (void)DecodeCancelAction(text);
  (void)ParsePollingSleep(text);
  if (auto p = DecodePointer(text); p.ok()) {
    auto again = DecodePointer(EncodePointer(*p));
    if (!again.ok() || !(*again == *p)) __builtin_trap();
  }
  return 0;
}
