// SIGTERM while invocations are in flight on several event-loop threads: the runtime stops taking
// invocations, answers those in flight if they finish within TSPROXY_SHUTDOWN_GRACE_MS and exits as soon
// as they have; after the grace it exits anyway and Lambda fails what was left cleanly.

#include <gtest/gtest.h>
#include <signal.h>

#include "local_stack.hpp"

namespace tsproxy::test {
namespace {

class Shutdown : public ::testing::Test {
 protected:
  microsocks_server socks_;
  python_upstream python_;

  // Four loops on two threads, every loop busy with a request the upstream holds.
  void start_four_held(local_stack& stack, std::vector<local_stack::pending>& held) {
    for (int i = 0; i < 4; ++i)
      held.push_back(
          stack.start_request("/hold?key=term", local_stack::route_to(python_.host(), python_.port())));
    ASSERT_TRUE(wait_until([&] { return python_.held("term") == 4; })) << "held: " << python_.held("term");
  }
  static stack_options four_loops_on_two_threads(std::string grace_ms) {
    return {.max_concurrency = 4,
            .env = {{"TSPROXY_THREADS", "2"}, {"TSPROXY_SHUTDOWN_GRACE_MS", std::move(grace_ms)}}};
  }
  // tsproxy-local's line for the runtime's exit, once there is one.
  static std::string runtime_exit_line(const local_stack& stack) {
    const auto log = stack.log();
    const auto at = log.find("{\"level\":\"INFO\",\"msg\":\"runtime_exit\"");
    return at == std::string::npos ? std::string() : log.substr(at, log.find('\n', at) - at);
  }
  static bool runtime_exited(const local_stack& stack) { return !runtime_exit_line(stack).empty(); }
};

TEST_F(Shutdown, InvocationsInFlightOnEveryThreadAreAnsweredThenTheRuntimeExits) {
  local_stack stack(socks_.host() + ":" + std::to_string(socks_.port()), four_loops_on_two_threads("60000"));
  std::vector<local_stack::pending> held;
  start_four_held(stack, held);
  ASSERT_EQ(::kill(stack.bootstrap_pid(), SIGTERM), 0);
  ASSERT_TRUE(wait_until([&] { return stack.log().find("\"msg\":\"shutting down\"") != std::string::npos; }));
  // Still serving what it holds: the grace is far from over.
  EXPECT_FALSE(runtime_exited(stack));
  python_.release("term");
  for (auto& h : held) {
    const auto r = local_stack::wait(h);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, "released");
  }
  // It exits once they are answered, long before the 60 s grace.
  ASSERT_TRUE(wait_until([&] { return runtime_exited(stack); })) << stack.log();
  EXPECT_NE(runtime_exit_line(stack).find("\"exit_code\":0}"), std::string::npos) << stack.log();
  EXPECT_NE(stack.log().find("\"msg\":\"stopped\",\"threads\":2"), std::string::npos) << stack.log();
}

TEST_F(Shutdown, AfterTheGraceTheRuntimeExitsAndWhatWasLeftFailsCleanly) {
  local_stack stack(socks_.host() + ":" + std::to_string(socks_.port()), four_loops_on_two_threads("100"));
  std::vector<local_stack::pending> held;
  start_four_held(stack, held);
  ASSERT_EQ(::kill(stack.bootstrap_pid(), SIGTERM), 0);
  ASSERT_TRUE(wait_until([&] { return runtime_exited(stack); })) << stack.log();
  for (auto& h : held) {
    const auto r = local_stack::wait(h);
    EXPECT_EQ(r.status, 502) << r.body;
    EXPECT_NE(r.body.find("Runtime.ExitError"), std::string::npos) << r.body;
  }
  python_.release("term");
}

}  // namespace
}  // namespace tsproxy::test
