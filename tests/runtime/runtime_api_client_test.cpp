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

#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_reader.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::lambda {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;

// What the scripted API saw of one request.
struct seen_request {
  int connection = 0;  // 1-based, in accept order
  std::string method, target, body;
  std::vector<header_field> headers;
};

// How it answers: raw bytes, then optionally close; or never.
struct scripted_answer {
  std::string bytes;
  bool close_after = false;
  bool never = false;
};

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

class scripted_api {
 public:
  using script = std::function<scripted_answer(const seen_request&)>;

  scripted_api(asio::io_context& io, script answer)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), answer_(std::move(answer)) {
    asio::co_spawn(io, accept_loop(), asio::detached);
  }
  ~scripted_api() {
    std::error_code ignored;
    acceptor_.close(ignored);
  }
  tcp::endpoint endpoint() const { return acceptor_.local_endpoint(); }
  const std::vector<seen_request>& requests() const { return requests_; }
  int connections() const { return connections_; }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      asio::co_spawn(acceptor_.get_executor(),
                     serve(std::make_shared<tcp::socket>(std::move(socket)), ++connections_), asio::detached);
    }
  }

  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> socket, int connection) {
    http_reader reader(
        http_parser::kind::request, http_limits{},
        [socket](asio::mutable_buffer into, std::size_t& got) -> asio::awaitable<std::error_code> {
          auto [ec, n] = co_await socket->async_read_some(into, use_tuple);
          got = n;
          co_return ec;
        });
    for (;;) {
      if (co_await reader.read_head(unbounded)) co_return;
      seen_request seen{connection,
                        reader.parser().request().method,
                        reader.parser().request().target,
                        {},
                        reader.parser().request().headers};
      if (co_await reader.read_body(seen.body, 1 << 20, unbounded)) co_return;
      requests_.push_back(seen);
      const auto answer = answer_(requests_.back());
      if (answer.never) {
        asio::steady_timer forever(socket->get_executor(), 1h);
        co_await forever.async_wait(use_tuple);
        co_return;
      }
      auto [ec, n] = co_await asio::async_write(*socket, asio::buffer(answer.bytes), use_tuple);
      if (ec || answer.close_after) {
        std::error_code ignored;
        socket->shutdown(tcp::socket::shutdown_both, ignored);
        socket->close(ignored);
        co_return;
      }
    }
  }

  tcp::acceptor acceptor_;
  script answer_;
  std::vector<seen_request> requests_;
  int connections_ = 0;
};

template <typename T>
T run(asio::io_context& io, asio::awaitable<T> work) {
  std::optional<T> result;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    result = std::move(value);
  });
  io.restart();
  while (!result && io.run_one_for(30s) > 0) {
  }
  if (!result) throw std::runtime_error("the client did not finish");
  return *result;
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
