// The bootstrap against a Runtime API that goes away and comes back: short outages never add up to
// "Lambda is gone", however far apart they are, as long as the API answers in between.

#include <gtest/gtest.h>

#include <thread>

#include "flaky_runtime_api.hpp"
#include "local_stack.hpp"

namespace tsproxy::test {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view warmer =
    R"({"warmer":true,"warmerIndex":0,"warmerTimestamp":"2026-12-01T00:00:00Z"})";

// The runtime's patience with an unreachable Runtime API, shortened from its 10 s default so that the
// tests wait for more than it in about a second.
constexpr auto patience = 1000ms;

// The real bootstrap against the flaky API, once its `next` long polls (one per loop) are waiting.
class RuntimeApiOutage : public ::testing::Test {
 protected:
  void start_bootstrap(env_vars env = {}, int loops = 1) {
    env.insert(env.end(), {{"AWS_LAMBDA_RUNTIME_API", api_.address()},
                           {"TSPROXY_TAILSCALE_SOCKET", "none"},
                           {"TSPROXY_ALLOWED_TARGETS", "127.0.0.1:*"},
                           {"TSPROXY_RUNTIME_API_PATIENCE_MS", std::to_string(patience.count())}});
    if (loops > 1) env.emplace_back("AWS_LAMBDA_MAX_CONCURRENCY", std::to_string(loops));
    bootstrap_ = child_process({TSPROXY_BOOTSTRAP_BIN}, dir_ / "bootstrap.log", env);
    ASSERT_TRUE(wait_until([&] { return api_.nexts_waiting() == loops; })) << log();
  }
  std::string log() const { return read_file(bootstrap_.log_file()); }

  flaky_runtime_api api_;
  temp_dir dir_;
  child_process bootstrap_;
};

TEST_F(RuntimeApiOutage, TwoShortOutagesFurtherApartThanThePatienceDoNotEndTheRuntime) {
  ASSERT_NO_FATAL_FAILURE(start_bootstrap());
  const auto first_outage = std::chrono::steady_clock::now();
  for (int outage = 0; outage < 2; ++outage) {
    const int refused_before = api_.refused_while_down();
    api_.set_down(true);
    // The runtime notices and keeps trying: its attempts meet a closed door.
    ASSERT_TRUE(wait_until([&] { return api_.refused_while_down() >= refused_before + 2; })) << log();
    api_.set_down(false);
    ASSERT_TRUE(wait_until([&] { return api_.nexts_waiting() == 1; })) << log();
    if (outage == 0) {
      // The second outage begins more than the runtime's patience after the first one did.
      std::this_thread::sleep_until(first_outage + patience * 6 / 5);
    }
  }
  ASSERT_TRUE(bootstrap_.running()) << log();
  api_.invoke(std::string(warmer));
  ASSERT_TRUE(wait_until([&] { return !api_.responses().empty(); })) << log();
  EXPECT_EQ(api_.responses().front(), R"({"success":true})");
}

TEST_F(RuntimeApiOutage, AnInvocationInFlightOutlivesAnotherLoopsTrouble) {
  // Two loops: one serves an invocation whose target holds its answer, while the other loop's `next`
  // meets a Runtime API that is gone for longer than the runtime's patience. The process must wait for
  // the invocation instead of exiting under it, and deliver its response once the API is back.
  microsocks_server socks;
  python_upstream upstream;
  ASSERT_NO_FATAL_FAILURE(
      start_bootstrap({{"TSPROXY_SOCKS5_ADDRESS", socks.host() + ":" + std::to_string(socks.port())}}, 2));
  api_.invoke(
      R"({"version":"2.0","rawPath":"/hold","rawQueryString":"key=outage","headers":{"ts-target-ip":"127.0.0.1","ts-target-port":")" +
      std::to_string(upstream.port()) +
      R"("},"requestContext":{"http":{"method":"GET"}},"isBase64Encoded":false})");
  ASSERT_TRUE(wait_until([&] { return upstream.held("outage") == 1; })) << log();
  const auto down_at = std::chrono::steady_clock::now();
  api_.set_down(true);
  std::this_thread::sleep_until(down_at + patience * 6 / 5);  // the state here is time: beyond the patience
  ASSERT_TRUE(bootstrap_.running()) << "the runtime exited with an invocation in flight\n" << log();
  api_.set_down(false);
  upstream.release("outage");
  ASSERT_TRUE(wait_until([&] { return !api_.responses().empty(); })) << log();
  EXPECT_NE(api_.responses().front().find(R"("statusCode":200)"), std::string::npos)
      << api_.responses().front();
  EXPECT_NE(api_.responses().front().find("released"), std::string::npos) << api_.responses().front();
}

TEST_F(RuntimeApiOutage, ARuntimeApiThatStaysAwayEndsTheRuntime) {
  // The converse, so the test above can fail: unreachable for longer than the patience means Lambda is gone.
  ASSERT_NO_FATAL_FAILURE(start_bootstrap());
  api_.set_down(true);
  const auto code = bootstrap_.wait_for_exit(60s);
  ASSERT_TRUE(code.has_value()) << "still running after 60 s without a Runtime API";
  EXPECT_EQ(*code, 1);
  EXPECT_NE(log().find("runtime API unreachable; exiting"), std::string::npos);
}

}  // namespace
}  // namespace tsproxy::test
