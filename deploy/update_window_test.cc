// File: deploy/update_window_test.cc
// The update window: its syntax, and which instants it covers in UTC and in
// Europe/Berlin across both DST changes of 2026. Instants are fixed (timegm
// of known UTC dates), so nothing depends on the machine's clock or zone.
#include "deploy/update_window.h"

#include <gtest/gtest.h>
#include <time.h>

#include <cstdlib>

namespace larch::deploy {
namespace {

// Sets an environment variable for one test and restores it; for TZ also
// tells the C library.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    Set(value);
  }
  ~ScopedEnv() { Set(old_ ? old_->c_str() : nullptr); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void Set(const char* value) {
    if (value != nullptr) {
      ::setenv(name_, value, 1);
    } else {
      ::unsetenv(name_);
    }
    ::tzset();
  }
  const char* name_;
  std::optional<std::string> old_;
};

int64_t Utc(int year, int month, int day, int hour, int minute, int second = 0) {
  struct tm tm {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(::timegm(&tm));
}

UpdateWindow Parse(std::string_view text) {
  Result<UpdateWindow> w = ParseUpdateWindow(text);
  EXPECT_TRUE(w.ok()) << text << ": " << w.status().ToString();
  return w.ok() ? *w : UpdateWindow{};
}

std::string ParseError(std::string_view text) {
  Result<UpdateWindow> w = ParseUpdateWindow(text);
  EXPECT_FALSE(w.ok()) << text;
  if (w.ok()) return "";
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument) << text;
  return w.status().message();
}

constexpr uint8_t kMon = 1, kWed = 4, kFri = 16, kSat = 32, kSun = 64;

TEST(UpdateWindowParse, FormsAndCanonicalEncoding) {
  EXPECT_EQ(Parse("Mon-Fri 01:00-04:00"), (UpdateWindow{{{0x1f, 60, 240}}}));
  EXPECT_EQ(Parse("mon-fri 01:00-04:00;SAT, sun\t22:00-06:00"),
            (UpdateWindow{{{0x1f, 60, 240}, {kSat | kSun, 22 * 60, 6 * 60}}}));
  EXPECT_EQ(Parse("Fri-Mon 00:00-24:00"), (UpdateWindow{{{kFri | kSat | kSun | kMon, 0, 1440}}}));
  EXPECT_EQ(Parse("* 02:00-03:00"), (UpdateWindow{{{0x7f, 120, 180}}}));
  EXPECT_EQ(Parse("Daily 02:00-03:00"), Parse("* 02:00-03:00"));
  EXPECT_EQ(Parse("Tue-Mon 02:00-03:00"), Parse("* 02:00-03:00"));
  EXPECT_EQ(Parse("Wed-Wed 12:00-12:00"), (UpdateWindow{{{kWed, 720, 720}}}));

  // Canonical text for each: what the encoder writes, and what it reads back.
  const std::pair<const char*, const char*> cases[] = {
      {"Mon-Fri 01:00-04:00", "Mon-Fri 01:00-04:00"},
      {" mon-fri 01:00-04:00 ;  SAT,Sun 22:00-06:00 ", "Mon-Fri 01:00-04:00; Sat,Sun 22:00-06:00"},
      {"Fri-Mon 00:00-24:00", "Fri-Mon 00:00-24:00"},
      {"daily 02:00-03:00", "* 02:00-03:00"},
      {"Mon,Tue,Wed 00:00-00:00", "Mon-Wed 00:00-00:00"},
      {"Sun,Mon,Wed 23:59-00:01", "Wed,Sun,Mon 23:59-00:01"},
      {"Thu,Tue,Tue 05:00-05:30", "Tue,Thu 05:00-05:30"},
      {"Sat-Sun,Mon-Tue 01:00-02:00; fri 03:00-04:00", "Sat-Tue 01:00-02:00; Fri 03:00-04:00"},
  };
  for (const auto& [text, canonical] : cases) {
    UpdateWindow w = Parse(text);
    EXPECT_EQ(EncodeUpdateWindow(w), canonical) << text;
    EXPECT_EQ(Parse(EncodeUpdateWindow(w)), w) << text;
  }
}

TEST(UpdateWindowParse, ErrorsNameTheBadToken) {
  EXPECT_EQ(ParseError("Mon-Fry 01:00-04:00"), "update-window: 'Mon-Fry 01:00-04:00': unknown day 'Fry'");
  EXPECT_EQ(ParseError("Monday 01:00-04:00"), "update-window: 'Monday 01:00-04:00': unknown day 'Monday'");
  EXPECT_EQ(ParseError("Mon 25:00-26:00"), "update-window: 'Mon 25:00-26:00': hour out of range in '25:00'");
  EXPECT_EQ(ParseError("Mon 01:60-02:00"), "update-window: 'Mon 01:60-02:00': minute out of range in '01:60'");
  EXPECT_EQ(ParseError("Mon 01:00-24:30"), "update-window: 'Mon 01:00-24:30': time '24:30' is past 24:00");
  EXPECT_EQ(ParseError("Mon 24:00-02:00"), "update-window: 'Mon 24:00-02:00': a range cannot start at 24:00");
  EXPECT_EQ(ParseError("Mon 1:00-2:00"), "update-window: 'Mon 1:00-2:00': time '1:00' is not HH:MM");
  EXPECT_EQ(ParseError("Mon 01:00"), "update-window: 'Mon 01:00': time '01:00' is not HH:MM-HH:MM");
  EXPECT_EQ(ParseError("Mon-Fri"), "update-window: 'Mon-Fri': missing time (HH:MM-HH:MM after the days)");
  EXPECT_EQ(ParseError("01:00-04:00"), "update-window: '01:00-04:00': missing days before the time");
  EXPECT_EQ(ParseError("Sat,,Sun 01:00-02:00"), "update-window: 'Sat,,Sun 01:00-02:00': empty day in 'Sat,,Sun'");
  EXPECT_EQ(ParseError("Mon 01:00-02:00;; Tue 01:00-02:00"), "update-window: range 2 is empty");
  EXPECT_EQ(ParseError("Mon 01:00-02:00;"), "update-window: range 2 is empty");
  EXPECT_EQ(ParseError(""), "update-window: empty");
  EXPECT_EQ(ParseError(" \t "), "update-window: empty");
  // ',' between ranges is the ambiguity ';' avoids: it reads as days.
  EXPECT_EQ(ParseError("Mon 01:00-02:00, Tue 03:00-04:00"),
            "update-window: 'Mon 01:00-02:00, Tue 03:00-04:00': unknown day 'Mon 01:00'");
  EXPECT_FALSE(ParseUpdateWindow("Mon 01:00-02:00\n").ok());
  EXPECT_FALSE(ParseUpdateWindow("*,Mon 01:00-02:00").ok());
  EXPECT_FALSE(ParseUpdateWindow("Mon 01:00-02:00-03:00").ok());
}

// The week of 2026-12-07 (a Monday); Sunday is the 13th, the next Monday the 14th.
TEST(UpdateWindowInWindow, EdgesInUtc) {
  ScopedEnv tz("TZ", "UTC");
  UpdateWindow weekdays = Parse("Mon-Fri 01:00-04:00");
  EXPECT_FALSE(InWindow(weekdays, Utc(2026, 12, 8, 0, 59, 59)));
  EXPECT_TRUE(InWindow(weekdays, Utc(2026, 12, 8, 1, 0)));  // start inclusive
  EXPECT_TRUE(InWindow(weekdays, Utc(2026, 12, 8, 3, 59, 59)));
  EXPECT_FALSE(InWindow(weekdays, Utc(2026, 12, 8, 4, 0)));  // end exclusive
  EXPECT_FALSE(InWindow(weekdays, Utc(2026, 12, 12, 2, 0)));  // Saturday

  // Crossing midnight: belongs to the day it starts on.
  UpdateWindow friday_night = Parse("Fri 22:00-02:00");
  EXPECT_FALSE(InWindow(friday_night, Utc(2026, 12, 11, 21, 59, 59)));
  EXPECT_TRUE(InWindow(friday_night, Utc(2026, 12, 11, 22, 0)));
  EXPECT_TRUE(InWindow(friday_night, Utc(2026, 12, 12, 1, 59, 59)));  // Saturday morning
  EXPECT_FALSE(InWindow(friday_night, Utc(2026, 12, 12, 2, 0)));
  EXPECT_FALSE(InWindow(friday_night, Utc(2026, 12, 11, 1, 0)));  // Friday morning: Thursday's part
  EXPECT_FALSE(InWindow(friday_night, Utc(2026, 12, 12, 23, 0)));  // Saturday evening

  // Sunday into Monday wraps around the week.
  UpdateWindow sunday_night = Parse("Sun 23:00-01:00");
  EXPECT_TRUE(InWindow(sunday_night, Utc(2026, 12, 13, 23, 30)));
  EXPECT_TRUE(InWindow(sunday_night, Utc(2026, 12, 14, 0, 59, 59)));
  EXPECT_FALSE(InWindow(sunday_night, Utc(2026, 12, 14, 1, 0)));
  EXPECT_FALSE(InWindow(sunday_night, Utc(2026, 12, 14, 23, 30)));
  EXPECT_FALSE(InWindow(sunday_night, Utc(2026, 12, 13, 0, 30)));  // Saturday's part
  EXPECT_TRUE(InWindow(sunday_night, Utc(2026, 12, 7, 0, 30)));   // from Sunday the 6th

  // Equal start and end: 24 hours from the start.
  UpdateWindow day_long = Parse("Wed 12:00-12:00");
  EXPECT_FALSE(InWindow(day_long, Utc(2026, 12, 9, 11, 59, 59)));
  EXPECT_TRUE(InWindow(day_long, Utc(2026, 12, 9, 12, 0)));
  EXPECT_TRUE(InWindow(day_long, Utc(2026, 12, 10, 11, 59, 59)));
  EXPECT_FALSE(InWindow(day_long, Utc(2026, 12, 10, 12, 0)));

  EXPECT_TRUE(InWindow(Parse("* 00:00-24:00"), Utc(2026, 12, 10, 23, 59, 59)));
  EXPECT_FALSE(InWindow(UpdateWindow{}, Utc(2026, 12, 10, 12, 0)));
}

TEST(UpdateWindowNext, SearchesForwardInUtc) {
  ScopedEnv tz("TZ", "UTC");
  UpdateWindow weekdays = Parse("Mon-Fri 01:00-04:00");
  const int64_t inside = Utc(2026, 12, 8, 2, 0);
  EXPECT_EQ(NextWindowStart(weekdays, inside), inside);
  EXPECT_EQ(NextWindowStart(weekdays, Utc(2026, 12, 8, 0, 30)), Utc(2026, 12, 8, 1, 0));
  EXPECT_EQ(NextWindowStart(weekdays, Utc(2026, 12, 8, 4, 0)), Utc(2026, 12, 9, 1, 0));
  EXPECT_EQ(NextWindowStart(weekdays, Utc(2026, 12, 11, 5, 0)), Utc(2026, 12, 14, 1, 0));  // Fri → Mon
  EXPECT_EQ(NextWindowStart(weekdays, Utc(2026, 12, 12, 12, 0)), Utc(2026, 12, 14, 1, 0));  // Sat → Mon

  UpdateWindow sunday_night = Parse("Sun 23:00-01:00");
  EXPECT_EQ(NextWindowStart(sunday_night, Utc(2026, 12, 14, 0, 30)), Utc(2026, 12, 14, 0, 30));
  EXPECT_EQ(NextWindowStart(sunday_night, Utc(2026, 12, 14, 1, 0)), Utc(2026, 12, 20, 23, 0));
  // Today's start has passed: the same weekday next week.
  EXPECT_EQ(NextWindowStart(Parse("Tue 01:00-02:00"), Utc(2026, 12, 8, 3, 0)), Utc(2026, 12, 15, 1, 0));
  // The earliest of several ranges.
  EXPECT_EQ(NextWindowStart(Parse("Sat 05:00-06:00; Thu 22:00-23:00"), Utc(2026, 12, 8, 3, 0)),
            Utc(2026, 12, 10, 22, 0));

  EXPECT_EQ(NextWindowStart(UpdateWindow{}, inside), std::nullopt);
  EXPECT_EQ(NextWindowStart(UpdateWindow{{{0, 60, 120}}}, inside), std::nullopt);  // no day
}

TEST(UpdateWindowNext, BerlinWinterTime) {
  ScopedEnv tz("TZ", "Europe/Berlin");  // UTC+1 in December
  UpdateWindow weekdays = Parse("Mon-Fri 01:00-04:00");
  EXPECT_FALSE(InWindow(weekdays, Utc(2026, 12, 7, 23, 59, 59)));
  EXPECT_TRUE(InWindow(weekdays, Utc(2026, 12, 8, 0, 0)));
  EXPECT_EQ(NextWindowStart(weekdays, Utc(2026, 12, 7, 22, 0)), Utc(2026, 12, 8, 0, 0));
  // Friday 23:30 UTC is already Saturday in Berlin.
  EXPECT_EQ(NextWindowStart(weekdays, Utc(2026, 12, 11, 23, 30)), Utc(2026, 12, 14, 0, 0));
}

// 2026-03-29 (Sunday) in Berlin: at 01:00 UTC the clock jumps from 02:00 CET
// to 03:00 CEST.
TEST(UpdateWindowNext, BerlinSpringForward) {
  ScopedEnv tz("TZ", "Europe/Berlin");
  const int64_t saturday_noon = Utc(2026, 3, 28, 12, 0);

  UpdateWindow around_gap = Parse("Sun 01:00-04:00");
  EXPECT_FALSE(InWindow(around_gap, Utc(2026, 3, 28, 23, 59, 59)));
  EXPECT_TRUE(InWindow(around_gap, Utc(2026, 3, 29, 0, 0)));      // 01:00 CET
  EXPECT_TRUE(InWindow(around_gap, Utc(2026, 3, 29, 0, 59, 59)));  // 01:59:59 CET
  EXPECT_TRUE(InWindow(around_gap, Utc(2026, 3, 29, 1, 0)));      // 03:00 CEST
  EXPECT_FALSE(InWindow(around_gap, Utc(2026, 3, 29, 2, 0)));     // 04:00 CEST
  EXPECT_EQ(NextWindowStart(around_gap, saturday_noon), Utc(2026, 3, 29, 0, 0));

  // Starting inside the gap: the window opens when the clock jumps.
  EXPECT_EQ(NextWindowStart(Parse("Sun 02:30-03:30"), saturday_noon), Utc(2026, 3, 29, 1, 0));
  // Wholly inside the gap: not this Sunday, the next (02:00 CEST is 00:00 UTC).
  EXPECT_EQ(NextWindowStart(Parse("Sun 02:00-03:00"), saturday_noon), Utc(2026, 4, 5, 0, 0));
  // A daily window before and after the change, in each day's offset.
  UpdateWindow daily = Parse("* 03:00-04:00");
  EXPECT_EQ(NextWindowStart(daily, Utc(2026, 3, 28, 1, 0)), Utc(2026, 3, 28, 2, 0));  // 03:00 CET
  EXPECT_EQ(NextWindowStart(daily, Utc(2026, 3, 28, 3, 0)), Utc(2026, 3, 29, 1, 0));  // 03:00 CEST
  EXPECT_EQ(NextWindowStart(daily, Utc(2026, 3, 29, 2, 0)), Utc(2026, 3, 30, 1, 0));
  EXPECT_EQ(DescribeLocalTime(Utc(2026, 3, 29, 1, 0)), "Sun 2026-03-29 03:00");
}

// 2026-10-25 (Sunday) in Berlin: at 01:00 UTC the clock goes back from 03:00
// CEST to 02:00 CET, so 02:00-03:00 happens twice.
TEST(UpdateWindowNext, BerlinFallBack) {
  ScopedEnv tz("TZ", "Europe/Berlin");
  UpdateWindow repeated = Parse("Sun 02:00-02:30");
  EXPECT_TRUE(InWindow(repeated, Utc(2026, 10, 25, 0, 15)));   // 02:15 CEST
  EXPECT_FALSE(InWindow(repeated, Utc(2026, 10, 25, 0, 45)));  // 02:45 CEST
  EXPECT_TRUE(InWindow(repeated, Utc(2026, 10, 25, 1, 15)));   // 02:15 CET
  EXPECT_EQ(NextWindowStart(repeated, Utc(2026, 10, 24, 12, 0)), Utc(2026, 10, 25, 0, 0));  // the first time
  EXPECT_EQ(NextWindowStart(repeated, Utc(2026, 10, 25, 0, 45)), Utc(2026, 10, 25, 1, 0));  // the second
  EXPECT_EQ(NextWindowStart(Parse("Mon 01:00-02:00"), Utc(2026, 10, 25, 12, 0)), Utc(2026, 10, 26, 0, 0));
}

TEST(UpdateWindowDescribe, LocalTimeForStatusLines) {
  {
    ScopedEnv tz("TZ", "UTC");
    EXPECT_EQ(DescribeLocalTime(Utc(2026, 12, 8, 1, 0)), "Tue 2026-12-08 01:00");
    EXPECT_EQ(DescribeLocalTime(Utc(2026, 12, 13, 23, 59, 59)), "Sun 2026-12-13 23:59");
  }
  ScopedEnv tz("TZ", "Europe/Berlin");
  EXPECT_EQ(DescribeLocalTime(Utc(2026, 12, 8, 0, 0)), "Tue 2026-12-08 01:00");
}

TEST(UpdateWindowClock, TestNowOverridesTheClock) {
  {
    ScopedEnv now(kTestNowEnv, "1796688000");
    EXPECT_EQ(UpdaterNow(), 1796688000);
  }
  for (const char* invalid : {"", "abc", "12x", "-5", "99999999999999999999999"}) {
    ScopedEnv now(kTestNowEnv, invalid);
    int64_t before = static_cast<int64_t>(::time(nullptr));
    int64_t got = UpdaterNow();
    EXPECT_GE(got, before) << invalid;
    EXPECT_LE(got, static_cast<int64_t>(::time(nullptr))) << invalid;
  }
  ScopedEnv unset(kTestNowEnv, nullptr);
  EXPECT_GE(UpdaterNow(), Utc(2024, 1, 1, 0, 0));
}

}  // namespace
}  // namespace larch::deploy
