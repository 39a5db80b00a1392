// File: tools/larch/pull_progress.cc
#include "tools/larch/pull_progress.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tools/larch/command.h"

namespace larch::cli {

PullProgress::Style PullProgress::Choose(bool json) {
  if (json) return Style::kJson;
  return ::isatty(STDERR_FILENO) ? Style::kBar : Style::kLines;
}

void PullProgress::Update(const pull::TransferProgress& p) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(p.bytes_received) / elapsed : 0;
  const uint64_t total = p.bytes_received + p.bytes_expected;
  const int percent = total > 0 && p.bytes_expected > 0 ? static_cast<int>(100 * p.bytes_received / total)
                      : p.files_total > 0 ? static_cast<int>(100 * p.files_done / p.files_total) : 0;
  switch (style_) {
    case Style::kQuiet:
      return;
    case Style::kJson: {
      if (now - last_ < std::chrono::milliseconds(500) && p.files_done < p.files_total) return;
      last_ = now;
      nlohmann::json e{{"event", "progress"}, {"bytes", p.bytes_received}, {"expected_bytes", p.bytes_expected},
                       {"files_done", p.files_done}, {"files_total", p.files_total}, {"rate", static_cast<uint64_t>(rate)}};
      std::printf("%s\n", e.dump().c_str());
      std::fflush(stdout);
      return;
    }
    case Style::kLines: {
      // A log line every 10% of a long transfer, at most one each 5 s:
      // logs of short pulls stay clean (the result line says it all).
      const int decile = percent / 10;
      if (now - last_ < std::chrono::seconds(5) || (decile == last_decile_ && now - last_ < std::chrono::seconds(30))) {
        return;
      }
      if (last_ == std::chrono::steady_clock::time_point{}) {
        last_ = now;  // the first call only starts the clock
        return;
      }
      last_decile_ = decile;
      last_ = now;
      std::fprintf(stderr, "pull: %d%% (%zu/%zu files, %s, %s/s)\n", percent, p.files_done, p.files_total,
                   FormatBytes(p.bytes_received).c_str(), FormatBytes(static_cast<uint64_t>(rate)).c_str());
      return;
    }
    case Style::kBar: {
      if (now - last_ < std::chrono::milliseconds(100)) return;
      last_ = now;
      const int width = 30;
      const int filled = percent * width / 100;
      std::string bar(static_cast<size_t>(filled), '#');
      bar.resize(width, '.');
      std::string eta = "--";
      if (rate > 0 && p.bytes_expected > 0) eta = std::to_string(static_cast<uint64_t>(p.bytes_expected / rate)) + "s";
      std::fprintf(stderr, "\r[%s] %3d%% %zu/%zu files %s %s/s ETA %s   ", bar.c_str(), percent, p.files_done,
                   p.files_total, FormatBytes(p.bytes_received).c_str(),
                   FormatBytes(static_cast<uint64_t>(rate)).c_str(), eta.c_str());
      drew_ = true;
      return;
    }
  }
}

void PullProgress::Finish() {
  if (drew_) std::fputc('\n', stderr);
}

}  // namespace larch::cli
