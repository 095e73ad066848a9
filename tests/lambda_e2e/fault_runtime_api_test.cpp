// Fault matrix, the Runtime API's rows: the bootstrap against a Runtime API whose connection drops while
// an invocation is in flight, in the middle of an event, or while a response is being posted. The runtime
// stays the same process and serves the next invocation. Outages between invocations, and one longer than
// the runtime's patience, are RuntimeApiOutage's tests.

#include <gtest/gtest.h>

#include "flaky_runtime_api.hpp"
#include "local_stack.hpp"

namespace tsproxy::test {
namespace {

class RuntimeApiFault : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ =
        child_process({TSPROXY_BOOTSTRAP_BIN}, dir_ / "bootstrap.log",
                      {{"AWS_LAMBDA_RUNTIME_API", api_.address()},
                       {"TSPROXY_TAILSCALE_SOCKET", "none"},
                       {"TSPROXY_ALLOWED_TARGETS", "127.0.0.1:*"},
                       {"TSPROXY_SOCKS5_ADDRESS", socks_.host() + ":" + std::to_string(socks_.port())}});
    pid_ = bootstrap_.pid();
    ASSERT_TRUE(wait_until([&] { return api_.nexts_waiting() == 1; })) << log();
  }
  std::string log() const { return read_file(bootstrap_.log_file()); }

  // A Function URL event for GET `path_and_query` on the upstream.
  std::string event_for(std::string_view path, std::string_view query) const {
    return R"({"version":"2.0","rawPath":")" + std::string(path) + R"(","rawQueryString":")" +
           std::string(query) + R"(","headers":{"ts-target-ip":"127.0.0.1","ts-target-port":")" +
           std::to_string(upstream_.port()) +
           R"("},"requestContext":{"http":{"method":"GET"}},"isBase64Encoded":false})";
  }
  // The runtime is the same process, waits for work again, and answers the next invocation.
  ::testing::AssertionResult serves_the_next_invocation() {
    if (!bootstrap_.running() || bootstrap_.pid() != pid_)
      return ::testing::AssertionFailure() << "the runtime exited\n" << log();
    if (!wait_until([&] { return api_.nexts_waiting() == 1; }))
      return ::testing::AssertionFailure() << "the runtime does not ask for the next invocation\n" << log();
    const auto before = api_.responses().size();
    api_.invoke(event_for("/bytes", "n=5"));
    if (!wait_until([&] { return api_.responses().size() == before + 1; }))
      return ::testing::AssertionFailure() << "the next invocation was not answered\n" << log();
    const auto response = api_.responses().back();
    if (response.find(R"("statusCode":200)") == std::string::npos)
      return ::testing::AssertionFailure() << "the next invocation got " << response;
    return ::testing::AssertionSuccess();
  }

  flaky_runtime_api api_;
  microsocks_server socks_;
  python_upstream upstream_;
  temp_dir dir_;
  child_process bootstrap_;
  pid_t pid_ = 0;
};

TEST_F(RuntimeApiFault, DroppedWhileAnInvocationIsInFlightTheResponseIsPostedOnANewConnection) {
  api_.invoke(event_for("/hold", "key=in-flight"));
  ASSERT_TRUE(wait_until([&] { return upstream_.held("in-flight") == 1; })) << log();
  api_.set_down(true);  // drops the runtime's connection, idle while the target holds its answer
  api_.set_down(false);
  upstream_.release("in-flight");
  ASSERT_TRUE(wait_until([&] { return api_.responses().size() == 1; })) << log();
  EXPECT_NE(api_.responses().front().find(R"("statusCode":200)"), std::string::npos)
      << api_.responses().front();
  EXPECT_NE(api_.responses().front().find("released"), std::string::npos) << api_.responses().front();
  EXPECT_TRUE(serves_the_next_invocation());
}

TEST_F(RuntimeApiFault, AnEventCutOffHalfwayIsDroppedAndTheNextOneServed) {
  api_.cut_next_events(1);
  api_.invoke(event_for("/bytes", "n=5"));
  ASSERT_TRUE(wait_until([&] { return api_.events_cut() == 1; }));
  EXPECT_TRUE(serves_the_next_invocation());
  EXPECT_EQ(api_.responses().size(), 1u) << "only the whole event was answered";
  EXPECT_NE(log().find("runtime API next failed"), std::string::npos) << log();
}

TEST_F(RuntimeApiFault, AResponsePostDroppedOnceIsPostedAgainOnANewConnection) {
  api_.drop_next_posts(1);
  api_.invoke(event_for("/bytes", "n=5"));
  ASSERT_TRUE(wait_until([&] { return api_.responses().size() == 1; })) << log();
  EXPECT_EQ(api_.posts_dropped(), 1);
  EXPECT_NE(api_.responses().front().find(R"("statusCode":200)"), std::string::npos);
  EXPECT_TRUE(serves_the_next_invocation());
}

TEST_F(RuntimeApiFault, AResponsePostDroppedTwiceIsLostAndTheNextInvocationServed) {
  api_.drop_next_posts(2);
  api_.invoke(event_for("/bytes", "n=5"));
  ASSERT_TRUE(wait_until([&] { return api_.posts_dropped() == 2; })) << log();
  // The response cannot be delivered; Lambda times that invocation out. The runtime says so and goes on.
  ASSERT_TRUE(wait_until([&] { return log().find("could not deliver the response") != std::string::npos; }))
      << log();
  EXPECT_TRUE(serves_the_next_invocation());
  EXPECT_EQ(api_.responses().size(), 1u);
}

}  // namespace
}  // namespace tsproxy::test
