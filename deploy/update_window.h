// File: deploy/update_window.h
//
// UpdateWindow: when the device may deploy and reboot (the `update-window=`
// key of larch.conf). `larch admin upgrade` may download at any time but
// deploys and reboots only inside the window, so a fleet picks up a release
// in the background and restarts only when nobody is using the device.
// This file owns the syntax (parse, canonical encoding) and the questions
// asked of a window at an instant; reading larch.conf is sysroot_config's.
//
// Grammar (whitespace is spaces and tabs):
//   window := range ( ';' range )*          e.g. "Mon-Fri 01:00-04:00; Sat,Sun 22:00-06:00"
//   range  := days WS+ time '-' time
//   days   := '*' | 'daily' | item ( ',' item )*
//   item   := day | day '-' day             a day range may wrap: Fri-Mon is Fri,Sat,Sun,Mon
//   day    := Mon | Tue | Wed | Thu | Fri | Sat | Sun     (any case on input)
//   time   := HH ':' MM                     24-hour, two digits each; 24:00 only as an end
// Whitespace may surround ';' and ','. ';' separates ranges because ','
// already separates days. Every range and the text as a whole must be
// non-empty: a typo must not silently mean "never" (or "always").
//
// Meaning: times are local wall-clock time (TZ, else /etc/localtime). A range
// covers [start, end) on each of its days. An end earlier than or equal to
// the start crosses midnight, and the range belongs to the day it starts on:
// "Fri 22:00-02:00" covers Friday 22:00 to Saturday 02:00, "Wed 12:00-12:00"
// 24 hours from Wednesday noon. Across a DST change the wall clock decides:
// the part of a range inside a spring-forward gap does not exist that day;
// a fall-back hour that repeats is inside (both times) when its wall time is.
//
// Canonical encoding: ranges in their order joined with "; "; days as "*"
// for all seven, else runs of consecutive days (wrapping past Sunday), one
// day as "Wed", two as "Sat,Sun", three or more as "Mon-Fri", runs joined
// with ',' and starting with the first run that begins on or after Monday;
// times as HH:MM. ParseUpdateWindow(EncodeUpdateWindow(w)) == w for every w
// ParseUpdateWindow returns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/base/result.h"

namespace larch::deploy {

struct WindowRange {
  uint8_t days = 0;  // bit d = weekday d, 0 = Monday .. 6 = Sunday
  // Minutes since local midnight: start 0..1439, end 0..1440. end <= start
  // crosses midnight into the next day.
  uint16_t start = 0, end = 0;
  bool operator==(const WindowRange&) const = default;
};

struct UpdateWindow {
  std::vector<WindowRange> ranges;
  bool operator==(const UpdateWindow&) const = default;
};

// The clock override for tests: epoch seconds.
inline constexpr char kTestNowEnv[] = "LARCH_TEST_NOW";

// kInvalidArgument naming the range and what is wrong in it:
// "update-window: 'Mon-Fry 01:00-04:00': unknown day 'Fry'".
Result<UpdateWindow> ParseUpdateWindow(std::string_view text);
std::string EncodeUpdateWindow(const UpdateWindow& w);

// Whether the instant is inside the window, in local time. False when the
// instant cannot be converted (out of time_t's range).
bool InWindow(const UpdateWindow& w, int64_t epoch_seconds);

// The first instant inside the window at or after `epoch_seconds` (itself
// when inside); nullopt for an empty window or one with no day. Correct
// across DST changes: it searches forward day by day with mktime and also
// considers the instants where the UTC offset changes (assumed to change at
// most once a day), since a range can begin at one.
std::optional<int64_t> NextWindowStart(const UpdateWindow& w, int64_t epoch_seconds);

// An instant in local time for status lines: "Tue 2026-12-08 01:00".
// English day names whatever the locale, like the window's own syntax.
std::string DescribeLocalTime(int64_t epoch_seconds);

// The clock the updater uses: $LARCH_TEST_NOW (decimal epoch seconds, for
// tests only: a controllable clock) when set and valid, else time(nullptr).
int64_t UpdaterNow();

}  // namespace larch::deploy
