#include "tools/larch/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace larch::cli {

namespace {

constexpr auto kBarInterval = std::chrono::milliseconds(100);  // at most 10 redraws a second
constexpr auto kLinesAfter = std::chrono::seconds(1);  // shorter phases stay out of logs
constexpr auto kLinesStep = std::chrono::seconds(1);   // at most one line a second
constexpr auto kLinesEvery = std::chrono::seconds(30);
constexpr auto kJsonEvery = std::chrono::seconds(1);

// Asked on each redraw (at most 10 a second), so a resized terminal is
// followed.
int TerminalWidth() {
  struct winsize ws {};
  const int cols = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 ? ws.ws_col : 0;
  return ChooseWidth(cols, std::getenv("COLUMNS"));
}

}  // namespace

void AddProgressOptions(CLI::App* app, ProgressArgs& args, bool json) {
  app->add_flag("-q,--quiet", args.quiet, "No progress or summary on stderr (errors still print)");
  if (json) app->add_flag("--json", args.json, "Progress as JSON lines on stderr");
}

ProgressReporter::Style ProgressReporter::Choose(const ProgressArgs& args) {
  if (args.quiet) return Style::kQuiet;
  if (args.json) return Style::kJson;
  return ::isatty(STDERR_FILENO) ? Style::kBar : Style::kLines;
}

ProgressReporter::ProgressReporter(Style style, std::FILE* json_out) : style_(style), json_out_(json_out) {}

void ProgressReporter::StartPhase(const Progress& p, Clock::time_point now) {
  active_ = true;
  phase_ = p.phase;
  phase_start_ = now;
  base_done_ = base_total_ = 0;
  done_ = first_done_ = p.done;
  total_ = p.total;
  drawn_ = false;
  last_decile_ = -1;
}

void ProgressReporter::Update(const Progress& p) {
  if (style_ == Style::kQuiet) return;
  const Clock::time_point now = Clock::now();
  if (!active_ || p.phase != phase_) {
    Finish();
    StartPhase(p, now);
  } else if (p.done < done_ || p.total != total_) {  // the phase's next batch
    base_done_ += done_;
    base_total_ += total_ ? total_ : done_;
  }
  done_ = p.done;
  total_ = p.total;
  Draw(now, false);
}

void ProgressReporter::Finish() {
  if (!active_) return;
  Draw(Clock::now(), true);
  active_ = false;
}

ProgressView ProgressReporter::View(Clock::time_point now) const {
  ProgressView v;
  v.phase = phase_;
  v.done = base_done_ + done_;
  v.total = total_ ? base_total_ + total_ : 0;
  const double elapsed = std::chrono::duration<double>(now - phase_start_).count();
  // Bytes that were there at the start (a resumed download) took no time;
  // the first half second (connecting, a first file) says little of the
  // rate, and a time left from it would jump about.
  if (elapsed >= 0.5) v.rate = static_cast<double>(v.done - std::min(v.done, first_done_)) / elapsed;
  return v;
}

void ProgressReporter::Draw(Clock::time_point now, bool last) {
  const ProgressView v = View(now);
  switch (style_) {
    case Style::kQuiet:
      return;
    case Style::kBar:
      if (last) {
        if (drawn_) std::fputs("\r\x1b[K", stderr);
        return;
      }
      if (drawn_ && now - last_draw_ < kBarInterval) return;
      DrawBar(v);
      break;
    case Style::kLines:
      DrawLine(v, now, last);
      return;
    case Style::kJson:
      DrawJson(v, now, last);
      return;
  }
  last_draw_ = now;
  drawn_ = true;
}

void ProgressReporter::DrawBar(const ProgressView& v) {
  const std::string line = FitLine(v, TerminalWidth());
  fmt::print(stderr, "\r{}\x1b[K", line);
  std::fflush(stderr);
}

void ProgressReporter::DrawLine(const ProgressView& v, Clock::time_point now, bool last) {
  const int decile = v.total ? static_cast<int>(std::min<uint64_t>(10, v.done * 10 / v.total)) : -1;
  bool due;
  if (last) {
    due = drawn_;  // a phase that showed progress says how it ended
  } else if (now - phase_start_ < kLinesAfter) {
    due = false;
  } else {
    due = !drawn_ || now - last_draw_ >= kLinesEvery || (decile > last_decile_ && now - last_draw_ >= kLinesStep);
  }
  if (!due) return;
  fmt::print(stderr, "{}\n", PlainLine(v));
  last_draw_ = now;
  last_decile_ = decile;
  drawn_ = true;
}

void ProgressReporter::DrawJson(const ProgressView& v, Clock::time_point now, bool last) {
  if (drawn_ && !last && now - last_draw_ < kJsonEvery) return;
  const std::optional<double> eta = EtaSeconds(v.done, v.total, v.rate);
  nlohmann::json e{{"event", "progress"},
                   {"phase", v.phase},
                   {"bytes_done", v.done},
                   {"bytes_total", v.total ? nlohmann::json(v.total) : nlohmann::json(nullptr)},
                   {"rate", static_cast<uint64_t>(v.rate)},
                   {"eta", eta ? nlohmann::json(static_cast<uint64_t>(*eta + 0.5)) : nlohmann::json(nullptr)},
                   {"elapsed", std::chrono::duration<double>(now - phase_start_).count()},
                   {"last", last}};
  fmt::print(json_out_, "{}\n", e.dump());
  std::fflush(json_out_);
  last_draw_ = now;
  drawn_ = true;
}

}  // namespace larch::cli
