// extensions_api_client against a scripted Extensions API on loopback: registration and its identifier,
// events, errors posted while a long poll waits, non-2xx answers and deadlines.

#include "extension/extensions_api_client.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <asio/co_spawn.hpp>

#include "support/scripted_api.hpp"
#include "tsproxy/engine/errors.hpp"

namespace tsproxy::extension {
namespace {

using namespace std::chrono_literals;
using test::run;
using test::scripted_answer;
using test::scripted_api;
using test::seen_request;

const std::string registered =
    "HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: 8f20e006-bf06-4c6b-90b7-05982f6e4739\r\n"
    "Content-Type: application/json\r\nContent-Length: 64\r\n\r\n"
    R"({"functionName":"f","functionVersion":"$LATEST","handler":"x.y"})";
const std::string accepted = "HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{\"status\":\"OK\"}";

std::string event_answer(std::string_view body) {
  return "HTTP/1.1 200 OK\r\nLambda-Extension-Event-Identifier: e-1\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

class ExtensionsApiClient : public ::testing::Test {
 protected:
  asio::io_context io_{1};
};

TEST_F(ExtensionsApiClient, RegistersWithItsNameAndKeepsTheIdentifier) {
  scripted_api api(io_, [](const seen_request&) { return scripted_answer{registered}; });
  extensions_api_client client(io_.get_executor(), api.endpoint());
  ASSERT_FALSE(run(io_, client.register_extension("tsproxy-tailscale", steady_clock::now() + 10s)));
  EXPECT_EQ(client.identifier(), "8f20e006-bf06-4c6b-90b7-05982f6e4739");
  ASSERT_EQ(api.requests().size(), 1u);
  EXPECT_EQ(api.requests()[0].target, "/2020-01-01/extension/register");
  EXPECT_EQ(find_header(api.requests()[0].headers, "Lambda-Extension-Name"), "tsproxy-tailscale");
  EXPECT_EQ(api.requests()[0].body, R"({"events":["SHUTDOWN"]})");
}

TEST_F(ExtensionsApiClient, EventsThenAnInitErrorWithItsType) {
  int nexts = 0;
  scripted_api api(io_, [&](const seen_request& r) {
    if (r.target.ends_with("/register")) return scripted_answer{registered};
    if (r.target.ends_with("/event/next"))
      return scripted_answer{++nexts == 1
                                 ? event_answer(R"({"eventType":"INVOKE","deadlineMs":5,"requestId":"r1"})")
                                 : event_answer(R"({"eventType":"SHUTDOWN","shutdownReason":"spindown"})")};
    return scripted_answer{accepted};
  });
  extensions_api_client client(io_.get_executor(), api.endpoint());
  ASSERT_FALSE(run(io_, client.register_extension("x", steady_clock::now() + 10s)));
  extension_event event;
  ASSERT_FALSE(run(io_, client.next(event)));
  EXPECT_EQ(event.type, event_type::invoke);
  EXPECT_EQ(event.request_id, "r1");
  ASSERT_FALSE(run(io_, client.next(event)));
  EXPECT_EQ(event.type, event_type::shutdown);
  EXPECT_EQ(event.shutdown_reason, "spindown");
  ASSERT_FALSE(
      run(io_, client.post_init_error("Extension.SecretMissing", "gone", steady_clock::now() + 10s)));
  EXPECT_EQ(client.last_status(), 202);
  const auto& posted = api.requests().back();
  EXPECT_EQ(posted.target, "/2020-01-01/extension/init/error");
  EXPECT_EQ(find_header(posted.headers, "Lambda-Extension-Identifier"),
            "8f20e006-bf06-4c6b-90b7-05982f6e4739");
  EXPECT_EQ(find_header(posted.headers, "Lambda-Extension-Function-Error-Type"), "Extension.SecretMissing");
  for (const auto& r : api.requests()) {
    if (r.target.ends_with("/register")) continue;
    EXPECT_EQ(find_header(r.headers, "Lambda-Extension-Identifier"), "8f20e006-bf06-4c6b-90b7-05982f6e4739");
  }
}

TEST_F(ExtensionsApiClient, AnExitErrorIsPostedWhileTheLongPollWaits) {
  scripted_api api(io_, [](const seen_request& r) {
    if (r.target.ends_with("/register")) return scripted_answer{registered};
    if (r.target.ends_with("/event/next")) return scripted_answer{{}, false, /*never=*/true};
    return scripted_answer{accepted};
  });
  extensions_api_client client(io_.get_executor(), api.endpoint());
  ASSERT_FALSE(run(io_, client.register_extension("x", steady_clock::now() + 10s)));
  extension_event event;
  asio::co_spawn(io_, client.next(event), [](std::exception_ptr, std::error_code) {});
  const auto ec =
      run(io_, client.post_exit_error("Extension.TailscaledExited", "gone", steady_clock::now() + 10s));
  EXPECT_FALSE(ec) << ec.message();
  const auto posted = [&](std::string_view target) {
    return std::any_of(api.requests().begin(), api.requests().end(),
                       [&](const seen_request& r) { return r.target == target; });
  };
  EXPECT_TRUE(posted("/2020-01-01/extension/exit/error"));
  EXPECT_TRUE(posted("/2020-01-01/extension/event/next")) << "while the long poll was waiting";
  EXPECT_EQ(api.connections(), 2) << "one connection for the long poll, one for the calls";
}

TEST_F(ExtensionsApiClient, FailuresAreErrors) {
  {
    scripted_api api(io_, [](const seen_request&) {
      return scripted_answer{"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\n{}"};
    });
    extensions_api_client client(io_.get_executor(), api.endpoint());
    EXPECT_EQ(run(io_, client.register_extension("x", steady_clock::now() + 10s)),
              engine_error::http_unexpected_status);
    EXPECT_EQ(client.last_status(), 403);
  }
  {
    scripted_api api(io_, [](const seen_request&) { return scripted_answer{accepted}; });  // no identifier
    extensions_api_client client(io_.get_executor(), api.endpoint());
    EXPECT_EQ(run(io_, client.register_extension("x", steady_clock::now() + 10s)),
              engine_error::http_bad_header);
    EXPECT_EQ(run(io_, client.register_extension("bad name", steady_clock::now() + 10s)),
              engine_error::http_bad_header);
  }
  {
    scripted_api api(io_, [](const seen_request& r) {
      if (r.target.ends_with("/register")) return scripted_answer{registered};
      if (r.target.ends_with("/event/next")) return scripted_answer{event_answer(R"({"eventType":"NEW"})")};
      return scripted_answer{{}, false, /*never=*/true};
    });
    extensions_api_client client(io_.get_executor(), api.endpoint());
    ASSERT_FALSE(run(io_, client.register_extension("x", steady_clock::now() + 10s)));
    extension_event event;
    EXPECT_EQ(run(io_, client.next(event)), engine_error::http_bad_header) << "an unknown event type";
    const auto start = steady_clock::now();
    EXPECT_EQ(run(io_, client.post_init_error("Extension.X", "y", start + 200ms)),
              engine_error::request_deadline);
    EXPECT_GE(steady_clock::now() - start, 200ms);
  }
}

}  // namespace
}  // namespace tsproxy::extension
