// deadline_watch: a watch that ends in time never fires, a deadline that passes during a watch fires once,
// at that watch's deadline even when the timer was set for an earlier watch that had ended, and a sooner
// deadline than the one the timer is set for is still kept.

#include "tsproxy/engine/deadline_watch.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>

namespace tsproxy {
namespace {

using namespace std::chrono_literals;

// Runs the io_context until `done` holds, at most `cap`; whether it held.
bool run_until(asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds cap = 10s) {
  const auto end = steady_clock::now() + cap;
  io.restart();
  while (!done() && steady_clock::now() < end) {
    if (io.run_one_for(10ms) == 0 && io.stopped()) io.restart();
  }
  return done();
}

TEST(DeadlineWatch, ADeadlineThatPassesDuringAWatchEndsItOnce) {
  asio::io_context io;
  int expiries = 0;
  deadline_watch watch(io.get_executor(), [&] { ++expiries; });
  const auto until = steady_clock::now() + 50ms;
  ASSERT_TRUE(watch.begin(until));
  ASSERT_TRUE(run_until(io, [&] { return expiries > 0; }));
  EXPECT_GE(steady_clock::now(), until);
  EXPECT_TRUE(watch.expired());
  EXPECT_TRUE(watch.end());
  EXPECT_FALSE(watch.expired());
  EXPECT_EQ(expiries, 1);
}

TEST(DeadlineWatch, AWatchThatEndsInTimeNeverFires) {
  asio::io_context io;
  int expiries = 0;
  deadline_watch watch(io.get_executor(), [&] { ++expiries; });
  const auto until = steady_clock::now() + 30ms;
  ASSERT_TRUE(watch.begin(until));
  EXPECT_FALSE(watch.end());
  // Past the deadline the timer still fires (it was never cancelled), and finds nothing watched.
  bool past = false;
  asio::steady_timer after(io, until + 20ms);
  after.async_wait([&](std::error_code) { past = true; });
  ASSERT_TRUE(run_until(io, [&] { return past; }));
  EXPECT_EQ(expiries, 0);
}

TEST(DeadlineWatch, ALaterWatchIsEndedAtItsOwnDeadlineNotTheEarlierOnes) {
  asio::io_context io;
  int expiries = 0;
  time_point fired;
  deadline_watch watch(io.get_executor(), [&] {
    ++expiries;
    fired = steady_clock::now();
  });
  ASSERT_TRUE(watch.begin(steady_clock::now() + 20ms));
  EXPECT_FALSE(watch.end());
  const auto later = steady_clock::now() + 120ms;
  ASSERT_TRUE(watch.begin(later));
  ASSERT_TRUE(run_until(io, [&] { return expiries > 0; }));
  EXPECT_GE(fired, later);
  EXPECT_TRUE(watch.end());
  EXPECT_EQ(expiries, 1);
}

TEST(DeadlineWatch, ASoonerDeadlineThanTheTimersIsKept) {
  asio::io_context io;
  int expiries = 0;
  deadline_watch watch(io.get_executor(), [&] { ++expiries; });
  ASSERT_TRUE(watch.begin(steady_clock::now() + 1h));
  EXPECT_FALSE(watch.end());
  const auto sooner = steady_clock::now() + 40ms;
  ASSERT_TRUE(watch.begin(sooner));
  ASSERT_TRUE(run_until(
      io, [&] { return expiries > 0; }, 5s));
  EXPECT_GE(steady_clock::now(), sooner);
  EXPECT_TRUE(watch.end());
}

TEST(DeadlineWatch, ADeadlineAlreadyPastStartsNoWatch) {
  asio::io_context io;
  int expiries = 0;
  deadline_watch watch(io.get_executor(), [&] { ++expiries; });
  EXPECT_FALSE(watch.begin(steady_clock::now() - 1ms));
  EXPECT_FALSE(watch.expired());
  EXPECT_FALSE(watch.end());
  EXPECT_EQ(expiries, 0);
}

TEST(DeadlineWatch, DestroyedWithItsTimerPendingItNeverFires) {
  asio::io_context io;
  int expiries = 0;
  {
    deadline_watch watch(io.get_executor(), [&] { ++expiries; });
    ASSERT_TRUE(watch.begin(steady_clock::now() + 10ms));
  }
  bool past = false;
  asio::steady_timer after(io, steady_clock::now() + 40ms);
  after.async_wait([&](std::error_code) { past = true; });
  ASSERT_TRUE(run_until(io, [&] { return past; }));
  EXPECT_EQ(expiries, 0);
}

}  // namespace
}  // namespace tsproxy
