#pragma once
// A Lambda API on loopback that answers from a script, for the Runtime and Extensions API clients'
// tests: it records every request (method, target, headers, body, which connection) and answers each
// with the bytes the script returns, optionally closing the connection or never answering. Header-only
// and Asio-based, unlike the rest of tests/support, which it does not need; its users link
// tsproxy_lambda_common (for the accept loop) through the runtime or the extension.

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
#include <stdexcept>
#include <string>
#include <vector>

#include "common/accept_loop.hpp"
#include "tsproxy/engine/http_message.hpp"
#include "tsproxy/engine/http_reader.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::test {

using asio::ip::tcp;
using namespace std::chrono_literals;

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
    co_await lambda::accept_connections(acceptor_, [this](tcp::socket socket) {
      asio::co_spawn(acceptor_.get_executor(),
                     serve(std::make_shared<tcp::socket>(std::move(socket)), ++connections_), asio::detached);
    });
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

}  // namespace tsproxy::test
