// runtime_liveness on a clock the test moves: when an unreachable Runtime API means Lambda is gone, in
// microseconds rather than the seconds of the patience (the real bootstrap's behaviour is checked end to
// end in tests/lambda_e2e/runtime_api_outage_test.cpp).

#include "runtime/runtime_liveness.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace tsproxy::lambda {
namespace {

using namespace std::chrono_literals;

class RuntimeLiveness : public ::testing::Test {  // NOLINT(readability-identifier-naming): gtest suite
 protected:
  // Time since an arbitrary start (not the clock's epoch, whose tick count 0 means "reached").
  void at(std::chrono::milliseconds t) { now_ = time_point(1h) + t; }

  time_point now_ = time_point(1h);
  runtime_liveness liveness_{10s, [this] { return now_; }};
};

TEST_F(RuntimeLiveness, UnreachableForLongerThanThePatienceIsTheEnd) {
  at(0s);
  EXPECT_FALSE(liveness_.failed(false));
  at(10s);
  EXPECT_FALSE(liveness_.failed(false));  // exactly the patience: not yet
  at(10s + 1ms);
  EXPECT_TRUE(liveness_.failed(false));
}

TEST_F(RuntimeLiveness, ShortOutagesFarApartNeverAddUp) {
  at(0s);
  EXPECT_FALSE(liveness_.failed(false));
  at(1s);
  liveness_.reached();
  at(12s);  // a second outage, more than the patience after the first began
  EXPECT_FALSE(liveness_.failed(false));
  at(22s);
  EXPECT_FALSE(liveness_.failed(false));
  at(22s + 1ms);
  EXPECT_TRUE(liveness_.failed(false));  // but this one, unbroken, does end it
}

TEST_F(RuntimeLiveness, AHeldLongPollIsABreak) {
  at(0s);
  EXPECT_FALSE(liveness_.failed(false));
  at(9s);
  EXPECT_FALSE(liveness_.failed(true));  // Lambda held this `next` before dropping it: it was there
  at(15s);
  EXPECT_FALSE(liveness_.failed(false));
  at(19s + 1ms);
  EXPECT_TRUE(liveness_.failed(false));
}

TEST_F(RuntimeLiveness, AnInvocationInFlightKeepsTheProcess) {
  at(0s);
  EXPECT_FALSE(liveness_.failed(false));
  liveness_.invocation_started();
  at(30s);
  EXPECT_FALSE(liveness_.failed(false));
  liveness_.invocation_finished();
  EXPECT_TRUE(liveness_.failed(false));
}

}  // namespace
}  // namespace tsproxy::lambda
