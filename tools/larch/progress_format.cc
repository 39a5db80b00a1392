#include "tools/larch/progress_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <iterator>

#include <fmt/format.h>

namespace larch::cli {

std::string HumanBytes(uint64_t bytes) {
  if (bytes < 1000) return fmt::format("{} B", bytes);
  static constexpr const char* kUnits[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
  double v = static_cast<double>(bytes) / 1000;
  size_t unit = 0;
  // 999.96 kB would print as "1000 kB": move up before rounding does.
  while (v >= 999.5 && unit + 1 < std::size(kUnits)) {
    v /= 1000;
    ++unit;
  }
  if (v < 9.995) return fmt::format("{:.2f} {}", v, kUnits[unit]);
  if (v < 99.95) return fmt::format("{:.1f} {}", v, kUnits[unit]);
  return fmt::format("{:.0f} {}", v, kUnits[unit]);
}

std::string HumanRate(double bytes_per_second) {
  if (!(bytes_per_second > 0)) return "0 B/s";
  return HumanBytes(static_cast<uint64_t>(std::llround(bytes_per_second))) + "/s";
}

std::string HumanDuration(std::optional<double> seconds) {
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0) return "--";
  const uint64_t s = static_cast<uint64_t>(std::llround(*seconds));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 100 * 3600) return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
  return ">99h";
}

std::optional<double> EtaSeconds(uint64_t done, uint64_t total, double rate) {
  if (total == 0 || !(rate > 0)) return std::nullopt;
  if (done >= total) return 0.0;
  return static_cast<double>(total - done) / rate;
}

namespace {

std::string Amount(const ProgressView& v) {
  if (v.total == 0) return HumanBytes(v.done);
  return HumanBytes(v.done) + " / " + HumanBytes(v.total);
}

int Percent(const ProgressView& v) {
  if (v.total == 0) return -1;
  return static_cast<int>(std::min<uint64_t>(100, v.done * 100 / v.total));
}

std::string Bar(const ProgressView& v, size_t width) {
  const size_t filled = static_cast<size_t>(Percent(v)) * width / 100;
  return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
}

}  // namespace

std::string FitLine(const ProgressView& v, int width) {
  const size_t room = static_cast<size_t>(std::max(width, 2) - 1);
  const int percent = Percent(v);
  const std::string head = percent < 0 ? v.phase : fmt::format("{} {:3}%", v.phase, percent);
  const std::string amount = " " + Amount(v);
  const std::string rate = v.rate > 0 ? "  " + HumanRate(v.rate) : "";
  const std::optional<double> eta = EtaSeconds(v.done, v.total, v.rate);
  const std::string left = eta ? "  " + HumanDuration(eta) + " left" : "";
  const std::string full = amount + rate + left;
  constexpr size_t kMinBar = 10, kMaxBar = 40;  // inside the brackets
  if (percent >= 0 && head.size() + 1 + kMinBar + 2 + full.size() <= room) {
    const size_t bar = std::min(kMaxBar, room - head.size() - 1 - 2 - full.size());
    return head + " " + Bar(v, bar) + full;
  }
  // The longest form that fits: the bar goes first, then the time left,
  // then the rate; what is left is cut.
  for (const std::string& tail : {full, amount + rate, amount}) {
    if (head.size() + tail.size() <= room) return head + tail;
  }
  std::string line = head + amount;
  line.resize(room);
  return line;
}

std::string PlainLine(const ProgressView& v) {
  const int percent = Percent(v);
  const std::optional<double> eta = EtaSeconds(v.done, v.total, v.rate);
  std::string line = v.phase + ": ";
  if (percent >= 0) line += fmt::format("{}% ({} of {}", percent, HumanBytes(v.done), HumanBytes(v.total));
  else line += fmt::format("({}", HumanBytes(v.done));
  if (v.rate > 0) line += ", " + HumanRate(v.rate);
  if (eta) line += ", " + HumanDuration(eta) + " left";
  return line + ")";
}

int ChooseWidth(int ioctl_columns, const char* columns_env) {
  if (ioctl_columns > 0) return ioctl_columns;
  if (columns_env != nullptr) {
    int cols = 0;
    const char* end = columns_env + std::strlen(columns_env);
    auto [ptr, ec] = std::from_chars(columns_env, end, cols);
    if (ec == std::errc() && ptr == end && cols > 0) return cols;
  }
  return 80;
}

}  // namespace larch::cli
