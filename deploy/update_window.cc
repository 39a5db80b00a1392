// File: deploy/update_window.cc
#include "deploy/update_window.h"

#include <time.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <utility>

namespace larch::deploy {

namespace {

constexpr char kWhat[] = "update-window";
constexpr uint8_t kAllDays = 0x7f;
constexpr int kMinutesPerDay = 24 * 60;
constexpr int64_t kSecondsPerDay = 24 * 60 * 60;
// How far NextWindowStart looks: a week brings every day of a range back,
// and a second week covers a range whose only start that week fell into a
// DST gap.
constexpr int kSearchDays = 14;
constexpr const char* kDayNames[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

Status Bad(std::string why) { return Status::InvalidArgument(std::move(why)); }

std::string Quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// ---- Parsing ----

Result<int> ParseDay(std::string_view name) {
  for (int d = 0; d < 7; ++d)
    if (EqualsIgnoringCase(name, kDayNames[d])) return d;
  return Bad("unknown day " + Quoted(name));
}

// One comma-list item: "Sat" or "Fri-Mon" (wrapping past Sunday).
Result<uint8_t> ParseDayItem(std::string_view item) {
  size_t dash = item.find('-');
  LARCH_ASSIGN_OR_RETURN(int first, ParseDay(Trim(item.substr(0, dash))));
  int last = first;
  if (dash != std::string_view::npos) {
    LARCH_ASSIGN_OR_RETURN(last, ParseDay(Trim(item.substr(dash + 1))));
  }
  uint8_t mask = 0;
  for (int d = first;; d = (d + 1) % 7) {
    mask = static_cast<uint8_t>(mask | (1u << d));
    if (d == last) break;
  }
  return mask;
}

Result<uint8_t> ParseDays(std::string_view days) {
  if (days == "*" || EqualsIgnoringCase(days, "daily")) return kAllDays;
  uint8_t mask = 0;
  for (std::string_view rest = days;;) {
    size_t comma = rest.find(',');
    std::string_view item = Trim(rest.substr(0, comma));
    if (item.empty()) return Bad("empty day in " + Quoted(days));
    LARCH_ASSIGN_OR_RETURN(uint8_t m, ParseDayItem(item));
    mask = static_cast<uint8_t>(mask | m);
    if (comma == std::string_view::npos) return mask;
    rest.remove_prefix(comma + 1);
  }
}

// "HH:MM" as minutes since midnight, 0..1440 (24:00 is the end of the day).
Result<uint16_t> ParseTime(std::string_view text) {
  auto digit = [&](size_t i) { return text[i] >= '0' && text[i] <= '9'; };
  if (text.size() != 5 || text[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4))
    return Bad("time " + Quoted(text) + " is not HH:MM");
  int hours = (text[0] - '0') * 10 + (text[1] - '0');
  int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (hours > 24) return Bad("hour out of range in " + Quoted(text));
  if (minutes > 59) return Bad("minute out of range in " + Quoted(text));
  if (hours == 24 && minutes != 0) return Bad("time " + Quoted(text) + " is past 24:00");
  return static_cast<uint16_t>(hours * 60 + minutes);
}

Status ParseTimes(std::string_view token, WindowRange& range) {
  size_t dash = token.find('-');
  if (dash == std::string_view::npos || token.find('-', dash + 1) != std::string_view::npos)
    return Bad("time " + Quoted(token) + " is not HH:MM-HH:MM");
  LARCH_ASSIGN_OR_RETURN(range.start, ParseTime(token.substr(0, dash)));
  LARCH_ASSIGN_OR_RETURN(range.end, ParseTime(token.substr(dash + 1)));
  if (range.start == kMinutesPerDay) return Bad("a range cannot start at 24:00");
  return Status::Ok();
}

// One trimmed, non-empty range: the days, then the time as the last word.
Result<WindowRange> ParseRange(std::string_view text) {
  size_t space = text.find_last_of(" \t");
  if (space == std::string_view::npos) {
    if (text.find(':') != std::string_view::npos) return Bad("missing days before the time");
    return Bad("missing time (HH:MM-HH:MM after the days)");
  }
  WindowRange range;
  LARCH_RETURN_IF_ERROR(ParseTimes(text.substr(space + 1), range));
  LARCH_ASSIGN_OR_RETURN(range.days, ParseDays(Trim(text.substr(0, space))));
  return range;
}

// ---- Encoding ----

std::string TimeText(int minutes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
  return buf;
}

bool HasDay(uint8_t mask, int day) { return (mask >> ((day % 7 + 7) % 7)) & 1u; }

// Runs of consecutive days, wrapping past Sunday (see the header).
std::string DaysText(uint8_t mask) {
  if ((mask & kAllDays) == kAllDays) return "*";
  std::string out;
  for (int first = 0; first < 7; ++first) {
    if (!HasDay(mask, first) || HasDay(mask, first - 1)) continue;  // not where a run begins
    int length = 1;
    while (HasDay(mask, first + length)) ++length;
    if (!out.empty()) out += ',';
    out += kDayNames[first];
    if (length == 2) out += std::string(",") + kDayNames[(first + 1) % 7];
    if (length > 2) out += std::string("-") + kDayNames[(first + length - 1) % 7];
  }
  return out;
}

// ---- Local time ----

std::optional<struct tm> ToLocal(int64_t epoch) {
  time_t t = static_cast<time_t>(epoch);
  if (static_cast<int64_t>(t) != epoch) return std::nullopt;  // a 32-bit time_t
  struct tm tm {};
  if (::localtime_r(&t, &tm) == nullptr) return std::nullopt;
  return tm;
}

int MondayBased(const struct tm& tm) { return (tm.tm_wday + 6) % 7; }

bool RangeCovers(const WindowRange& r, int weekday, int minute) {
  if (r.start < r.end) return HasDay(r.days, weekday) && minute >= r.start && minute < r.end;
  // Crosses midnight: today's evening part, or the morning part of the range
  // that began yesterday.
  return (HasDay(r.days, weekday) && minute >= r.start) || (HasDay(r.days, weekday - 1) && minute < r.end);
}

// InWindow without the tzset: NextWindowStart calls it many times.
bool Inside(const UpdateWindow& w, int64_t epoch) {
  std::optional<struct tm> tm = ToLocal(epoch);
  if (!tm) return false;
  int minute = tm->tm_hour * 60 + tm->tm_min;
  for (const WindowRange& r : w.ranges)
    if (RangeCovers(r, MondayBased(*tm), minute)) return true;
  return false;
}

// The instant of wall time `minute` on the day `days_ahead` after `today`,
// with the given tm_isdst (-1: let mktime decide). Asked with 0 and 1 too
// because in a fall-back hour a wall time happens twice and -1 picks one.
std::optional<int64_t> WallTimeToEpoch(struct tm day, int days_ahead, int minute, int isdst) {
  day.tm_mday += days_ahead;  // mktime normalises past the end of a month
  day.tm_hour = minute / 60;
  day.tm_min = minute % 60;
  day.tm_sec = 0;
  day.tm_isdst = isdst;
  time_t t = ::mktime(&day);
  if (t == static_cast<time_t>(-1)) return std::nullopt;  // one second before 1970: no updater's now
  return static_cast<int64_t>(t);
}

std::optional<long> UtcOffset(int64_t epoch) {
  std::optional<struct tm> tm = ToLocal(epoch);
  if (!tm) return std::nullopt;
  return tm->tm_gmtoff;
}

// The instants in [from, from + days] where the UTC offset changes: a range
// whose start falls into a spring-forward gap begins at such an instant.
// Sampled once a day, then bisected to the second.
std::vector<int64_t> OffsetChanges(int64_t from, int days) {
  std::vector<int64_t> changes;
  std::optional<long> before = UtcOffset(from);
  for (int i = 1; i <= days && before; ++i) {
    int64_t lo = from + (i - 1) * kSecondsPerDay, hi = from + i * kSecondsPerDay;
    std::optional<long> after = UtcOffset(hi);
    if (!after) break;
    if (*after == *before) continue;
    while (hi - lo > 1) {  // invariant: offset(lo) == *before != offset(hi)
      int64_t mid = lo + (hi - lo) / 2;
      if (UtcOffset(mid) == before) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    changes.push_back(hi);
    before = after;
  }
  return changes;
}

}  // namespace

Result<UpdateWindow> ParseUpdateWindow(std::string_view text) {
  if (Trim(text).empty()) return Bad(std::string(kWhat) + ": empty");
  UpdateWindow w;
  for (std::string_view rest = text;;) {
    size_t semicolon = rest.find(';');
    std::string_view range_text = Trim(rest.substr(0, semicolon));
    if (range_text.empty()) return Bad(std::string(kWhat) + ": range " + std::to_string(w.ranges.size() + 1) + " is empty");
    Result<WindowRange> range = ParseRange(range_text);
    if (!range.ok()) return range.status().WithContext(std::string(kWhat) + ": " + Quoted(range_text));
    w.ranges.push_back(*range);
    if (semicolon == std::string_view::npos) return w;
    rest.remove_prefix(semicolon + 1);
  }
}

std::string EncodeUpdateWindow(const UpdateWindow& w) {
  std::string out;
  for (const WindowRange& r : w.ranges) {
    if (!out.empty()) out += "; ";
    out += DaysText(r.days) + " " + TimeText(r.start) + "-" + TimeText(r.end);
  }
  return out;
}

bool InWindow(const UpdateWindow& w, int64_t epoch_seconds) {
  // POSIX does not promise that localtime_r notices a changed TZ; tzset does.
  ::tzset();
  return Inside(w, epoch_seconds);
}

std::optional<int64_t> NextWindowStart(const UpdateWindow& w, int64_t epoch_seconds) {
  ::tzset();
  if (Inside(w, epoch_seconds)) return epoch_seconds;
  std::optional<struct tm> today = ToLocal(epoch_seconds);
  if (!today) return std::nullopt;
  // Where the window begins is either a range's start in wall time or an
  // offset change; the earliest such instant that is inside is the answer.
  std::optional<int64_t> best;
  auto consider = [&](int64_t t) {
    if (t >= epoch_seconds && (!best || t < *best) && Inside(w, t)) best = t;
  };
  for (int64_t t : OffsetChanges(epoch_seconds, kSearchDays + 1)) consider(t);
  for (int ahead = 0; ahead <= kSearchDays; ++ahead) {
    for (const WindowRange& r : w.ranges) {
      if (!HasDay(r.days, MondayBased(*today) + ahead)) continue;
      for (int isdst : {-1, 0, 1}) {
        if (std::optional<int64_t> t = WallTimeToEpoch(*today, ahead, r.start, isdst)) consider(*t);
      }
    }
  }
  return best;
}

std::string DescribeLocalTime(int64_t epoch_seconds) {
  ::tzset();
  std::optional<struct tm> tm = ToLocal(epoch_seconds);
  if (!tm) return "epoch " + std::to_string(epoch_seconds);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s %04d-%02d-%02d %02d:%02d", kDayNames[MondayBased(*tm)], tm->tm_year + 1900,
                tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min);
  return buf;
}

int64_t UpdaterNow() {
  if (const char* env = std::getenv(kTestNowEnv); env != nullptr) {
    std::string_view text(env);
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!text.empty() && ec == std::errc() && end == text.data() + text.size() && value >= 0) return value;
  }
  return static_cast<int64_t>(::time(nullptr));
}

}  // namespace larch::deploy
