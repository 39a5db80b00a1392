// File: tools/larch/progress_format.h
// The text of a progress report, apart from any terminal: byte counts,
// rates, times left and a line fitted to a width. Pure functions, so the
// unit tests pin them (progress_format_test.cc); tools/larch/progress.h
// decides when and where they are written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace larch::cli {

// "0 B", "999 B", "1.00 kB", "12.3 MB", "126 MB", "1.50 GB": three
// significant digits, SI units (as FormatBytes and df -H).
std::string HumanBytes(uint64_t bytes);
// "12.3 MB/s".
std::string HumanRate(double bytes_per_second);
// "7s", "1m05s", "2h03m"; "--" when not known.
std::string HumanDuration(std::optional<double> seconds);

// Seconds left at `rate`; none when the total or the rate is not known.
std::optional<double> EtaSeconds(uint64_t done, uint64_t total, double rate);

// One moment of a phase, as shown.
struct ProgressView {
  std::string phase;
  uint64_t done = 0;
  uint64_t total = 0;  // 0: not known
  double rate = 0;     // bytes per second; 0: not known yet
};

// The redrawn terminal line, at most `width` - 1 columns (writing the last
// column makes some terminals wrap):
//   "download  45% [#########...........] 56.7 MB / 126 MB  12.3 MB/s  5s left"
// Narrower terminals lose the bar, then the time left, then the rate; the
// rest is cut. A rate not known yet is left out, and so is the time left.
std::string FitLine(const ProgressView& v, int width);

// A log line, when stderr is not a terminal (no bar, never cut):
//   "download: 45% (56.7 MB of 126 MB, 12.3 MB/s, 5s left)"
std::string PlainLine(const ProgressView& v);

// The terminal's width: the TIOCGWINSZ columns when known (> 0), else
// $COLUMNS when it is a positive number, else 80.
int ChooseWidth(int ioctl_columns, const char* columns_env);

}  // namespace larch::cli
