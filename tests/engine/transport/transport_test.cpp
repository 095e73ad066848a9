// transport's reads over loopback TCP, with the peer's bytes already queued or still to come. The first
// read after a write takes what is already there without waiting (an answer, a close, a reset) and reports
// it exactly as a read that waited would; a read that has to wait gets the answer when it comes, or ends
// by its deadline.

#include "tsproxy/engine/transport.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy {
namespace {

using namespace std::chrono_literals;
using asio::ip::tcp;

// Bounds a state that never comes, so it fails instead of hanging; never part of what is asserted.
constexpr auto wait_bound = 30s;

class TransportReads : public ::testing::Test {
 protected:
  TransportReads() {
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    tcp::socket client(io_);
    client.connect(acceptor.local_endpoint());
    server_ = acceptor.accept();
    client_ = std::make_unique<transport>(std::move(client));
  }

  // Runs `op` on the test's io_context until it finishes (bounded).
  std::error_code run(asio::awaitable<std::error_code> op) {
    std::optional<std::error_code> result;
    std::exception_ptr failure;
    asio::co_spawn(io_, std::move(op), [&](std::exception_ptr e, std::error_code ec) {
      failure = e;
      result = ec;
    });
    io_.restart();
    const auto until = std::chrono::steady_clock::now() + wait_bound;
    while (!result && io_.run_one_until(until) > 0) {
    }
    if (failure) std::rethrow_exception(failure);
    EXPECT_TRUE(result) << "the operation did not finish";
    return result.value_or(make_error_code(std::errc::timed_out));
  }

  std::error_code write_request() {
    const std::array<asio::const_buffer, 1> request{asio::buffer(std::string_view("GET / HTTP/1.1\r\n\r\n"))};
    return run(client_->write(request));
  }

  // The state "what the peer sent is in the client's receive queue", waited for.
  bool queued_at_client() {
    pollfd readable{client_->socket().native_handle(), POLLIN, 0};
    return ::poll(&readable, 1, static_cast<int>(std::chrono::milliseconds(wait_bound).count())) == 1;
  }

  std::error_code read(std::string& into) {
    std::array<char, 256> buffer{};
    std::size_t n = 0;
    const auto ec = run(client_->read_some(asio::buffer(buffer), n));
    into.assign(buffer.data(), n);
    return ec;
  }

  asio::io_context io_{1};
  tcp::socket server_{io_};
  std::unique_ptr<transport> client_;
};

TEST_F(TransportReads, AQueuedAnswerIsReadAndThenTheClose) {
  ASSERT_FALSE(write_request());
  asio::write(server_, asio::buffer(std::string_view("HTTP/1.1 200 OK\r\n\r\n")));
  server_.shutdown(tcp::socket::shutdown_send);
  ASSERT_TRUE(queued_at_client());
  std::string got;
  EXPECT_FALSE(read(got));
  EXPECT_EQ(got, "HTTP/1.1 200 OK\r\n\r\n");
  EXPECT_EQ(read(got), asio::error::eof);
  EXPECT_EQ(got, "");
}

TEST_F(TransportReads, AQueuedCloseIsEndOfFile) {
  ASSERT_FALSE(write_request());
  server_.shutdown(tcp::socket::shutdown_send);
  ASSERT_TRUE(queued_at_client());
  std::string got = "stale";
  EXPECT_EQ(read(got), asio::error::eof);
  EXPECT_EQ(got, "");
}

TEST_F(TransportReads, AQueuedResetIsAReset) {
  ASSERT_FALSE(write_request());
  server_.set_option(asio::socket_base::linger(true, 0));  // close() sends RST
  server_.close();
  ASSERT_TRUE(queued_at_client());
  std::string got = "stale";
  EXPECT_EQ(read(got), asio::error::connection_reset);
  EXPECT_EQ(got, "");
}

TEST_F(TransportReads, AReadThatMustWaitGetsTheAnswerWhenItComes) {
  ASSERT_FALSE(write_request());
  std::array<char, 256> buffer{};
  std::size_t n = 0;
  bool read_done = false;
  // The read starts with nothing queued, so it waits; the answer is written only then.
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        EXPECT_FALSE(co_await client_->read_some(asio::buffer(buffer), n));
        read_done = true;
      },
      asio::detached);
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        EXPECT_FALSE(read_done) << "the read finished with nothing to read";
        co_await asio::async_write(server_, asio::buffer(std::string_view("late")), use_tuple);
      },
      asio::detached);
  io_.restart();
  const auto until = std::chrono::steady_clock::now() + wait_bound;
  while (!read_done && io_.run_one_until(until) > 0) {
  }
  ASSERT_TRUE(read_done);
  EXPECT_EQ(std::string_view(buffer.data(), n), "late");
}

TEST_F(TransportReads, AReadThatMustWaitEndsByItsDeadline) {
  ASSERT_FALSE(write_request());
  std::array<char, 256> buffer{};
  std::size_t n = 0;
  const auto start = std::chrono::steady_clock::now();
  const phase_bound bound{start + 100ms, engine_error::body_idle_timeout};
  EXPECT_EQ(run(client_->bounded(bound, client_->read_some(asio::buffer(buffer), n))),
            engine_error::body_idle_timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

}  // namespace
}  // namespace tsproxy
