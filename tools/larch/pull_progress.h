// File: tools/larch/pull_progress.h
// How `larch pull` (and `admin upgrade`) show a download: a redrawn bar on
// a terminal (bytes, rate, ETA), a quiet line every 10% or 30 s when not a
// terminal, or one JSON event per line (--json) for scripts.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "repo/pull/fetcher.h"

namespace larch::cli {

class PullProgress {
 public:
  enum class Style { kBar, kLines, kJson, kQuiet };
  // kBar when stderr is a terminal, else kLines; kJson when asked.
  static Style Choose(bool json);

  explicit PullProgress(Style style) : style_(style), start_(std::chrono::steady_clock::now()) {}
  void Update(const pull::TransferProgress& p);
  // Ends the bar line (terminal) so the next output starts clean.
  void Finish();

 private:
  Style style_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_{};
  int last_decile_ = -1;
  bool drew_ = false;
};

}  // namespace larch::cli
