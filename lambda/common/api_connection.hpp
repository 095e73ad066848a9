#pragma once
// One persistent keep-alive HTTP/1.1 connection to Lambda's API endpoint (AWS_LAMBDA_RUNTIME_API), which
// serves both the Runtime API (docs/PROTOCOLS.md section 3) and the Extensions API (section 4). The
// request bytes (api_request) come from pure builders (runtime_api_requests, extensions_api_requests); this
// class only moves them and reads the answers with the engine's http_reader. A reused connection that Lambda
// closed meanwhile is replaced once, before any answer byte arrived; a call that ran into its deadline
// drops the connection, whose state is then unknown.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <system_error>

#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/deadline_watch.hpp"
#include "tsproxy/engine/http_reader.hpp"
#include "tsproxy/engine/transport.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy::lambda {

class api_connection {
 public:
  api_connection(asio::any_io_executor executor, const asio::ip::tcp::endpoint& endpoint);
  api_connection(const api_connection&) = delete;  // the reader reads through this object
  api_connection& operator=(const api_connection&) = delete;

  // Names the API in each request's Host header.
  const upstream_target& target() const noexcept { return target_; }

  // Sends a whole request and reads its answer: the body into `body` (up to `max_body` bytes, with
  // `padding` spare capacity after it), the head into parser(). `on_sent` (by value: a coroutine's
  // reference parameter would outlive a temporary bound to it) runs once the request is on
  // the wire. Any status is a success here: the caller checks last_status().
  asio::awaitable<std::error_code> exchange(std::span<const asio::const_buffer> request, std::string& body,
                                            std::size_t max_body, std::size_t padding = 0,
                                            std::function<void()> on_sent = {});
  // Writes bytes of a request whose answer is read later (a streamed body); connects when needed.
  asio::awaitable<std::error_code> send(std::span<const asio::const_buffer> pieces);
  // Reads the answer to what send() wrote.
  asio::awaitable<std::error_code> read_answer(std::string& body, std::size_t max_body,
                                               std::size_t padding = 0);

  // Runs `op` on this connection within `until` (time_point::max(): no timer at all, for long polls);
  // one timer, kept for the connection's life, bounds the whole call, not each read and write in it.
  // Past `until` the connection is dropped and request_deadline returned.
  asio::awaitable<std::error_code> bounded(time_point until, asio::awaitable<std::error_code> op);

  // The head of the last answer read.
  const http_parser& parser() const noexcept { return reader_.parser(); }
  // The status of the last answer read (0 before any).
  int last_status() const noexcept { return last_status_; }
  // http_unexpected_status unless last_status() is 2xx.
  std::error_code status_error() const noexcept;
  // Whether the next call will have to open a new connection.
  bool connected() const noexcept { return stream_ != nullptr; }
  void drop() noexcept;

 private:
  asio::awaitable<std::error_code> ensure_connected();
  // Ends the call under way when its deadline passed: closes the connection, or the one being opened.
  void cut_off() noexcept;

  asio::any_io_executor executor_;
  asio::ip::tcp::endpoint endpoint_;
  upstream_target target_;
  std::unique_ptr<transport> stream_;
  http_reader reader_;
  int last_status_ = 0;
  bool answer_started_ = false;  // the last read got bytes of an answer (so a resend is unsafe)
  asio::ip::tcp::socket* connecting_ = nullptr;  // the socket ensure_connected() is opening
  deadline_watch deadline_;
};

}  // namespace tsproxy::lambda
