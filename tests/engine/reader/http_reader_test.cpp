// http_reader over an in-memory stream: every message is delivered whole, in two pieces split at every
// byte, and one byte per read, and must read the same. Also the reader's own rules: end of stream,
// a full buffer, body limits, padding, pipelined messages and deadlines.

#include "tsproxy/engine/http_reader.hpp"

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <chrono>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy {
namespace {

using namespace std::chrono_literals;

// Hands out the given reads one per read_some (a read larger than the caller's buffer is split), then
// end of stream; or, with `hang_at_end`, a read that never completes.
class scripted_stream {
 public:
  explicit scripted_stream(std::vector<std::string> reads, bool hang_at_end = false)
      : reads_(reads.begin(), reads.end()), hang_at_end_(hang_at_end) {}

  read_some_operation operation() {
    return [this](asio::mutable_buffer into, std::size_t& got) { return read_some(into, got); };
  }
  std::size_t reads_done() const noexcept { return reads_done_; }

 private:
  asio::awaitable<std::error_code> read_some(asio::mutable_buffer into, std::size_t& got) {
    got = 0;
    ++reads_done_;
    if (reads_.empty()) {
      if (!hang_at_end_) co_return make_error_code(asio::error::eof);
      asio::steady_timer forever(co_await asio::this_coro::executor, 1h);
      auto [ec] = co_await forever.async_wait(use_tuple);
      co_return ec ? ec : make_error_code(asio::error::eof);
    }
    auto& front = reads_.front();
    got = std::min(front.size(), into.size());
    std::memcpy(into.data(), front.data(), got);
    front.erase(0, got);
    if (front.empty()) reads_.pop_front();
    co_return std::error_code{};
  }

  std::deque<std::string> reads_;
  bool hang_at_end_;
  std::size_t reads_done_ = 0;
};

template <typename T>
T run(asio::awaitable<T> work) {
  asio::io_context io(1);
  std::optional<T> result;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);
    result = std::move(value);
  });
  io.run_for(10s);
  if (!result) throw std::runtime_error("the reader did not finish");
  return *result;
}

// What reading every message of a stream gave.
struct read_outcome {
  std::vector<int> statuses;         // responses
  std::vector<std::string> targets;  // requests
  std::vector<std::string> bodies;
  std::vector<std::string> trailer_values;  // the first trailer of each message, if any
  std::error_code error;                    // what ended the stream
  bool operator==(const read_outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const read_outcome& o) {
  os << "{messages " << o.bodies.size() << ", error " << o.error.message() << ", bodies:";
  for (const auto& b : o.bodies) os << " [" << b << "]";
  return os << "}";
}

// How a body's pieces are taken: each awaited, or first from what is buffered when it holds one (as the
// upstream exchange and read_body() do), awaited only when more must be read.
enum class piece_reads { awaited, buffered_first };

// Reads messages until the stream ends or fails, piece by piece.
read_outcome read_all(http_parser::kind kind, std::vector<std::string> reads,
                      piece_reads how = piece_reads::awaited) {
  scripted_stream stream(std::move(reads));
  http_reader reader(kind, http_limits{}, stream.operation());
  return run([&]() -> asio::awaitable<read_outcome> {
    read_outcome out;
    for (;;) {
      if (auto ec = co_await reader.read_head(unbounded)) {
        out.error = ec;
        co_return out;
      }
      if (kind == http_parser::kind::response)
        out.statuses.push_back(reader.parser().response().status);
      else
        out.targets.push_back(reader.parser().request().target);
      std::string body;
      for (;;) {
        std::string_view piece;
        bool done = false;
        std::error_code ec;
        if (how == piece_reads::awaited || !reader.buffered_body_piece(piece, done, ec))
          ec = co_await reader.read_body_piece(piece, done, unbounded);
        if (ec) {
          out.bodies.push_back(body);
          out.error = ec;
          co_return out;
        }
        if (done) break;
        body.append(piece);
      }
      out.bodies.push_back(body);
      const auto& trailers = reader.parser().trailers();
      out.trailer_values.push_back(trailers.empty() ? "" : trailers.front().value);
    }
  }());
}

// Reads `bytes` whole, split in two at every byte, and one byte per read: all must agree.
read_outcome read_every_split(http_parser::kind kind, const std::string& bytes) {
  const auto whole = read_all(kind, {bytes});
  EXPECT_EQ(read_all(kind, {bytes}, piece_reads::buffered_first), whole) << "buffered pieces first";
  for (std::size_t at = 1; at < bytes.size(); ++at) {
    const std::vector<std::string> halves{bytes.substr(0, at), bytes.substr(at)};
    EXPECT_EQ(read_all(kind, halves), whole) << "split at " << at;
    EXPECT_EQ(read_all(kind, halves, piece_reads::buffered_first), whole)
        << "buffered first, split at " << at;
  }
  std::vector<std::string> bytewise;
  for (const char c : bytes) bytewise.emplace_back(1, c);
  EXPECT_EQ(read_all(kind, bytewise), whole) << "one byte per read";
  EXPECT_EQ(read_all(kind, bytewise, piece_reads::buffered_first), whole)
      << "buffered first, one byte per read";
  return whole;
}

constexpr auto response = http_parser::kind::response;
constexpr auto request = http_parser::kind::request;

TEST(HttpReader, ContentLengthResponseAtEverySplit) {
  const auto o = read_every_split(response, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  EXPECT_EQ(o.statuses, std::vector<int>{200});
  EXPECT_EQ(o.bodies, std::vector<std::string>{"hello"});
  EXPECT_EQ(o.error, engine_error::connection_closed) << "clean end of stream between messages";
}

TEST(HttpReader, ChunkedResponseWithTrailerAtEverySplit) {
  const auto o = read_every_split(
      response,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\n"
      "X-Trailer: yes\r\n\r\n");
  EXPECT_EQ(o.bodies, std::vector<std::string>{"hello, world"});
  EXPECT_EQ(o.trailer_values, std::vector<std::string>{"yes"});
  EXPECT_EQ(o.error, engine_error::connection_closed);
}

TEST(HttpReader, CloseDelimitedBodyEndsAtEndOfStream) {
  const auto o = read_every_split(response, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end");
  EXPECT_EQ(o.bodies, std::vector<std::string>{"until the end"});
  EXPECT_EQ(o.error, engine_error::connection_closed) << "the message completed; nothing follows it";
}

TEST(HttpReader, PipelinedRequestsAtEverySplit) {
  const auto o = read_every_split(
      request,
      "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
  EXPECT_EQ(o.targets, (std::vector<std::string>{"/a", "/b", "/c"}));
  EXPECT_EQ(o.bodies, (std::vector<std::string>{"abc", "", "hi"}));
  EXPECT_EQ(o.error, engine_error::connection_closed);
}

TEST(HttpReader, EndOfStreamInsideAMessageIsTruncated) {
  EXPECT_EQ(read_every_split(response, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").error,
            engine_error::http_truncated);
  EXPECT_EQ(read_every_split(response, "HTTP/1.1 200 OK\r\nContent-").error, engine_error::http_truncated);
  EXPECT_EQ(read_every_split(request, "GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /two HT").error,
            engine_error::http_truncated);
}

TEST(HttpReader, ParserErrorsComeThrough) {
  EXPECT_EQ(read_every_split(response, "HTTP/1.1 abc nonsense\r\n\r\n").error,
            engine_error::http_bad_status_line);
}

TEST(HttpReader, HeadResponseHasNoBody) {
  scripted_stream stream({"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"});
  http_reader reader(response, http_limits{}, stream.operation());
  const auto statuses = run([&]() -> asio::awaitable<std::vector<int>> {
    std::vector<int> seen;
    EXPECT_FALSE(co_await reader.read_head(unbounded, true));
    seen.push_back(reader.parser().response().status);
    EXPECT_FALSE(co_await reader.discard_body(unbounded));
    EXPECT_FALSE(co_await reader.read_head(unbounded));
    seen.push_back(reader.parser().response().status);
    co_return seen;
  }());
  EXPECT_EQ(statuses, (std::vector<int>{200, 204}));
}

TEST(HttpReader, HeadLargerThanTheLimitIsRefused) {
  http_limits limits;
  limits.max_head_bytes = 1024;
  const std::string head = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(4096, 'x') + "\r\n\r\n";
  scripted_stream stream({head});
  http_reader reader(response, limits, stream.operation());
  const auto ec =
      run([&]() -> asio::awaitable<std::error_code> { co_return co_await reader.read_head(unbounded); }());
  EXPECT_EQ(ec, engine_error::http_header_too_large);
}

TEST(HttpReader, WholeBodyStopsAtItsLimit) {
  for (const std::string& message : {std::string("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"),
                                     std::string("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                                 "6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n")}) {
    scripted_stream stream({message});
    http_reader reader(response, http_limits{}, stream.operation());
    const auto ec = run([&]() -> asio::awaitable<std::error_code> {
      if (auto e = co_await reader.read_head(unbounded)) co_return e;
      std::string body;
      co_return co_await reader.read_body(body, 10, unbounded);
    }());
    EXPECT_EQ(ec, engine_error::http_body_too_large) << message;
  }
}

TEST(HttpReader, WholeBodyLeavesTheRequestedPaddingForBothFramings) {
  // The Runtime API may send an event chunked: the padding must be there all the same.
  const std::string json = R"({"version":"2.0","rawPath":"/"})";
  std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t i = 0; i < json.size(); i += 7) {
    const auto piece = json.substr(i, 7);
    chunked += std::to_string(piece.size()) + "\r\n" + piece + "\r\n";  // sizes < 10: decimal == hex
  }
  chunked += "0\r\n\r\n";
  for (const auto& message :
       {"HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(json.size()) + "\r\n\r\n" + json, chunked}) {
    scripted_stream stream({message});
    http_reader reader(response, http_limits{}, stream.operation());
    std::string body;
    const auto ec = run([&]() -> asio::awaitable<std::error_code> {
      if (auto e = co_await reader.read_head(unbounded)) co_return e;
      co_return co_await reader.read_body(body, 1 << 20, unbounded, 64);
    }());
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(body, json);
    EXPECT_GE(body.capacity(), body.size() + 64);
  }
}

TEST(HttpReader, BytesAfterAMessageStayBuffered) {
  scripted_stream stream({"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"});
  http_reader reader(response, http_limits{}, stream.operation());
  const auto left = run([&]() -> asio::awaitable<std::string> {
    EXPECT_FALSE(co_await reader.read_head(unbounded));
    std::string body;
    EXPECT_FALSE(co_await reader.read_body(body, 100, unbounded));
    EXPECT_EQ(body, "ok");
    co_return std::string(reader.buffered());
  }());
  EXPECT_EQ(left, "EXTRA");
}

TEST(HttpReader, AWaitThatNeverEndsIsCutByItsBound) {
  scripted_stream stream({"HTTP/1.1 200 OK\r\nContent-"}, /*hang_at_end=*/true);
  http_reader reader(response, http_limits{}, stream.operation());
  const auto start = std::chrono::steady_clock::now();
  const auto ec = run([&]() -> asio::awaitable<std::error_code> {
    co_return co_await reader.read_head(
        {std::chrono::steady_clock::now() + 100ms, engine_error::response_head_timeout});
  }());
  EXPECT_EQ(ec, engine_error::response_head_timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

TEST(HttpReader, ClearForgetsAReplacedConnection) {
  scripted_stream stream({"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel"});
  http_reader reader(response, http_limits{}, stream.operation());
  run([&]() -> asio::awaitable<int> {
    EXPECT_FALSE(co_await reader.read_head(unbounded));
    reader.clear();
    EXPECT_TRUE(reader.buffered().empty());
    EXPECT_FALSE(reader.parser().started());
    co_return 0;
  }());
}

}  // namespace
}  // namespace tsproxy
