// Durations as the tailscale CLI's flags read them (Go's time.ParseDuration), or bare milliseconds.

#include "extension/go_duration.hpp"

#include <gtest/gtest.h>

namespace tsproxy::extension {
namespace {

using std::chrono::milliseconds;

TEST(GoDuration, UnitsSequencesAndFractions) {
  EXPECT_EQ(parse_go_duration("2000ms"), milliseconds(2000));
  EXPECT_EQ(parse_go_duration("2s"), milliseconds(2000));
  EXPECT_EQ(parse_go_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(parse_go_duration("0.7s"), milliseconds(700));
  EXPECT_EQ(parse_go_duration(".5s"), milliseconds(500));
  EXPECT_EQ(parse_go_duration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(parse_go_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parse_go_duration("1500000us"), milliseconds(1500));
  EXPECT_EQ(parse_go_duration("2500000\xc2\xb5s"), milliseconds(2500));
  EXPECT_EQ(parse_go_duration("999999ns"), milliseconds(0));
  EXPECT_EQ(parse_go_duration("0"), milliseconds(0));
}

TEST(GoDuration, ABareNumberIsMilliseconds) {
  EXPECT_EQ(parse_go_duration("2000"), milliseconds(2000));
  EXPECT_EQ(parse_go_duration("1"), milliseconds(1));
}

TEST(GoDuration, AnythingElseIsRefused) {
  for (const char* text : {"", "s", "ms", "2 s", "-2s", "+2s", "2x", "2sec", "1.s5", "2s ", "25h", "1e3ms",
                           "99999999999", "1.2.3s"}) {
    EXPECT_FALSE(parse_go_duration(text)) << text;
  }
}

// Found by fuzz_extension_config: a number with more digits than an int64 holds overflowed (undefined
// behaviour) while it was read, before its length was checked.
TEST(GoDuration, NumbersTooLongForAnInt64AreRefusedWithoutOverflowing) {
  for (const char* text : {"3114444444444444444444443s", "1.3114444444444444444444443s",
                           "99999999999999999999999999999999ms", "0.00000000000000000000000001h"}) {
    EXPECT_FALSE(parse_go_duration(text)) << text;
  }
}

TEST(GoDuration, FormattedForTheCli) {
  EXPECT_EQ(format_go_duration(milliseconds(2000)), "2000ms");
  EXPECT_EQ(parse_go_duration(format_go_duration(milliseconds(1234))), milliseconds(1234));
}

}  // namespace
}  // namespace tsproxy::extension
