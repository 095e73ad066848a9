// runtime_api_client against a scripted Runtime API on loopback: the bytes it moves, non-2xx answers,
// a reused connection that Lambda closed, chunked events, and POST deadlines.

#include "runtime/runtime_api_client.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/scripted_api.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_reader.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::lambda {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;
using test::run;
using test::scripted_answer;
using test::scripted_api;
using test::seen_request;

std::string event_answer(std::string_view request_id, std::string_view body) {
  return "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: " + std::string(request_id) +
         "\r\nLambda-Runtime-Deadline-Ms: 1700000000000\r\nLambda-Runtime-Trace-Id: Root=1-abc\r\n"
         "Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:f\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}
const std::string accepted = "HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n";

// An invocation for every `next`, `answer` for everything else.
std::function<scripted_answer(const seen_request&)> events_then(std::string request_id,
                                                                scripted_answer answer) {
  return [request_id, answer](const seen_request& r) {
    return r.method == "GET" ? scripted_answer{event_answer(request_id, "{}")} : answer;
  };
}

class RuntimeApiClient : public ::testing::Test {
 protected:
  asio::io_context io_{1};
};

TEST_F(RuntimeApiClient, NextReadsTheInvocationAndLeavesPaddingAfterTheEvent) {
  scripted_api api(io_,
                   [](const seen_request&) { return scripted_answer{event_answer("req-1", R"({"a":1})")}; });
  runtime_api_client client(io_.get_executor(), api.endpoint());
  invocation inv;
  const auto ec = run(io_, client.next(inv));
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(inv.request_id, "req-1");
  EXPECT_EQ(inv.deadline_epoch_ms, 1700000000000);
  EXPECT_EQ(inv.trace_id, "Root=1-abc");
  EXPECT_EQ(inv.function_arn, "arn:aws:lambda:us-east-1:123456789012:function:f");
  EXPECT_EQ(inv.event, R"({"a":1})");
  EXPECT_GE(inv.event.capacity(), inv.event.size() + runtime_api_client::event_padding);
  ASSERT_EQ(api.requests().size(), 1u);
  EXPECT_EQ(api.requests()[0].method, "GET");
  EXPECT_EQ(api.requests()[0].target, "/2018-06-01/runtime/invocation/next");
}

TEST_F(RuntimeApiClient, AChunkedEventIsReadWholeWithItsPadding) {
  const std::string chunked =
      "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: req-2\r\n"
      "Transfer-Encoding: chunked\r\n\r\n4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
  scripted_api api(io_, [&](const seen_request&) { return scripted_answer{chunked}; });
  runtime_api_client client(io_.get_executor(), api.endpoint());
  invocation inv;
  ASSERT_FALSE(run(io_, client.next(inv)));
  EXPECT_EQ(inv.event, R"({"a":1})");
  EXPECT_GE(inv.event.capacity(), inv.event.size() + runtime_api_client::event_padding);
}

TEST_F(RuntimeApiClient, ResponsesAndErrorsArePostedOnTheSameConnection) {
  scripted_api api(io_, events_then("req-3", scripted_answer{accepted}));
  runtime_api_client client(io_.get_executor(), api.endpoint());
  invocation inv;
  ASSERT_FALSE(run(io_, client.next(inv)));
  const auto until = steady_clock::now() + 10s;
  EXPECT_FALSE(run(io_, client.post_response(inv.request_id, R"({"statusCode":204})", until)));
  EXPECT_FALSE(run(io_, client.post_error(inv.request_id, "Runtime.Oops", "broke", until)));
  EXPECT_EQ(client.last_status(), 202);
  ASSERT_EQ(api.requests().size(), 3u);
  EXPECT_EQ(api.requests()[1].target, "/2018-06-01/runtime/invocation/req-3/response");
  EXPECT_EQ(api.requests()[1].body, R"({"statusCode":204})");
  EXPECT_EQ(api.requests()[2].target, "/2018-06-01/runtime/invocation/req-3/error");
  EXPECT_EQ(find_header(api.requests()[2].headers, "Lambda-Runtime-Function-Error-Type"), "Runtime.Oops");
  EXPECT_EQ(api.connections(), 1);
}

TEST_F(RuntimeApiClient, ANonSuccessAnswerIsItsOwnError) {
  scripted_api api(
      io_, events_then("req-4", scripted_answer{
                                    "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 2\r\n\r\n{}"}));
  runtime_api_client client(io_.get_executor(), api.endpoint());
  invocation inv;
  ASSERT_FALSE(run(io_, client.next(inv)));
  const auto ec = run(io_, client.post_response(inv.request_id, "{}", steady_clock::now() + 10s));
  EXPECT_EQ(ec, engine_error::http_unexpected_status) << ec.message();
  EXPECT_EQ(client.last_status(), 413);
  EXPECT_TRUE(client.connected()) << "a well-framed failure answer leaves the connection usable";
}

TEST_F(RuntimeApiClient, ANonSuccessNextIsItsOwnError) {
  scripted_api api(io_, [](const seen_request&) {
    return scripted_answer{"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"};
  });
  runtime_api_client client(io_.get_executor(), api.endpoint());
  invocation inv;
  EXPECT_EQ(run(io_, client.next(inv)), engine_error::http_unexpected_status);
  EXPECT_EQ(client.last_status(), 500);
}

TEST_F(RuntimeApiClient, AReusedConnectionClosedMeanwhileIsReplacedOnce) {
  // Lambda answers the POST, then closes the connection; the next `next` must reconnect by itself.
  scripted_api api(io_, events_then("req-5", scripted_answer{accepted, /*close_after=*/true}));
  runtime_api_client client(io_.get_executor(), api.endpoint());
  invocation inv;
  ASSERT_FALSE(run(io_, client.next(inv)));
  ASSERT_FALSE(run(io_, client.post_response(inv.request_id, "{}", steady_clock::now() + 10s)));
  const auto ec = run(io_, client.next(inv));
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(api.connections(), 2);
  EXPECT_EQ(api.requests().size(), 3u) << "the request was sent once on the new connection";
}

TEST_F(RuntimeApiClient, AnAnswerCutOffMidwayIsNotResent) {
  scripted_api api(
      io_, events_then("req-6", scripted_answer{"HTTP/1.1 202 Accepted\r\nContent-Length: 50\r\n\r\npartial",
                                                /*close_after=*/true}));
  runtime_api_client client(io_.get_executor(), api.endpoint());
  invocation inv;
  ASSERT_FALSE(run(io_, client.next(inv)));
  EXPECT_EQ(run(io_, client.post_response(inv.request_id, "{}", steady_clock::now() + 10s)),
            engine_error::http_truncated);
  EXPECT_EQ(api.requests().size(), 2u) << "a POST whose answer had begun must not be replayed";
}

TEST_F(RuntimeApiClient, APostThatIsNeverAnsweredEndsByItsDeadline) {
  scripted_api api(io_, events_then("req-7", scripted_answer{{}, false, /*never=*/true}));
  runtime_api_client client(io_.get_executor(), api.endpoint());
  invocation inv;
  ASSERT_FALSE(run(io_, client.next(inv)));
  const auto start = steady_clock::now();
  EXPECT_EQ(run(io_, client.post_response(inv.request_id, "{}", start + 200ms)),
            engine_error::request_deadline);
  EXPECT_GE(steady_clock::now() - start, 200ms);
  EXPECT_FALSE(client.connected()) << "a connection in an unknown state is dropped";
}

TEST_F(RuntimeApiClient, AMalformedRequestIdIsRefused) {
  scripted_api api(io_, [](const seen_request&) { return scripted_answer{event_answer("a/../../b", "{}")}; });
  runtime_api_client client(io_.get_executor(), api.endpoint());
  invocation inv;
  EXPECT_EQ(run(io_, client.next(inv)), engine_error::http_bad_header);
}

TEST_F(RuntimeApiClient, StreamedResponseIsChunkedWithTrailersOnFailure) {
  scripted_api api(io_, events_then("req-8", scripted_answer{accepted}));
  runtime_api_client client(io_.get_executor(), api.endpoint());
  invocation inv;
  ASSERT_FALSE(run(io_, client.next(inv)));
  const auto until = steady_clock::now() + 10s;
  ASSERT_FALSE(run(io_, client.stream_begin(inv.request_id, "{\"statusCode\":200}", until)));
  ASSERT_FALSE(run(io_, client.stream_write("piece one ", until)));
  ASSERT_FALSE(run(io_, client.stream_write("piece two", until)));
  ASSERT_FALSE(run(io_, client.stream_fail("HttpTruncated", "cut", until)));
  ASSERT_EQ(api.requests().size(), 2u);
  EXPECT_EQ(api.requests()[1].body, "{\"statusCode\":200}piece one piece two");
  EXPECT_EQ(find_header(api.requests()[1].headers, "Lambda-Runtime-Function-Response-Mode"), "streaming");
}

}  // namespace
}  // namespace tsproxy::lambda
