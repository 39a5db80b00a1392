// File: tools/larch/progress.h
// How every long verb (commit, checkout, delta generate, pull, bundle
// create/apply, admin deploy/upgrade) shows the progress the library
// reports (src/base/progress.h), by bytes:
//   bar    stderr is a terminal: one line redrawn in place (\r, erase
//          line), fitted to the terminal's width, at most 10 times a
//          second: phase, percent, bar, bytes, rate, time left;
//   lines  stderr is not a terminal (logs, the journal): plain lines only
//          for a phase that lasts over a second, then at each 10% step or
//          every 30 s, and at its end;
//   json   --json: one JSON object per line (docs/cli.md, "Progress");
//   quiet  -q/--quiet: nothing (errors still print).
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

#include "src/base/progress.h"
#include "tools/larch/progress_format.h"

namespace larch::cli {

struct ProgressArgs {
  bool quiet = false;
  bool json = false;
  // Whether the verb may write its human summary ("Committed …") on
  // stderr: not with -q, and not with --json, which keeps stderr to JSON
  // lines.
  bool summary() const { return !quiet && !json; }
};

// -q/--quiet, and --json unless the verb has its own (`json` false).
void AddProgressOptions(CLI::App* app, ProgressArgs& args, bool json = true);

class ProgressReporter {
 public:
  enum class Style { kBar, kLines, kJson, kQuiet };
  // kQuiet, kJson, else kBar when stderr is a terminal, else kLines.
  static Style Choose(const ProgressArgs& args);

  // JSON lines go to `json_out` (stdout for pull, whose --json output is
  // a stream of events; stderr for verbs that print a result on stdout).
  explicit ProgressReporter(Style style, std::FILE* json_out = stderr);
  ~ProgressReporter() { Finish(); }
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // The callback for the library; valid while this reporter lives.
  ProgressFn Fn() {
    return [this](const Progress& p) { Update(p); };
  }
  void Update(const Progress& p);
  // Ends the current phase: the bar is erased (so what the verb prints
  // next starts on a clean line), a plain or JSON last line is written.
  void Finish();

 private:
  using Clock = std::chrono::steady_clock;
  void StartPhase(const Progress& p, Clock::time_point now);
  ProgressView View(Clock::time_point now) const;
  void Draw(Clock::time_point now, bool last);
  void DrawBar(const ProgressView& v);
  void DrawLine(const ProgressView& v, Clock::time_point now, bool last);
  void DrawJson(const ProgressView& v, Clock::time_point now, bool last);

  Style style_;
  std::FILE* json_out_;
  bool active_ = false;  // a phase has begun and not finished
  std::string phase_;
  Clock::time_point phase_start_, last_draw_;
  // A phase may come in batches (a pull fetches tree level by level), each
  // counting from 0: earlier batches are added up here.
  uint64_t base_done_ = 0, base_total_ = 0;
  uint64_t done_ = 0, total_ = 0;  // the current batch, as reported
  uint64_t first_done_ = 0;        // done at the start (a resumed download)
  bool drawn_ = false;             // bar on screen / plain line written
  int last_decile_ = -1;
};

}  // namespace larch::cli
