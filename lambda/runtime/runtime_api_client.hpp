#pragma once
// Client of the Lambda Runtime API (2018-06-01) over one persistent keep-alive connection.
// One client per invocation loop: `next` long-polls with no client-side timeout (Lambda freezes
// the process while no event is queued), responses go back buffered or streamed, and failures are
// reported to /error or /init/error. Reconnects when Lambda closes the connection.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "tsproxy/engine/http_parser.hpp"
#include "tsproxy/engine/transport.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy::lambda {

struct invocation {
  std::string request_id;
  std::int64_t deadline_epoch_ms = 0;
  std::string trace_id;
  std::string function_arn;
  std::string event;  // capacity leaves simdjson's padding after the bytes, so it is parsed in place
};

class runtime_api_client {
 public:
  static constexpr std::size_t max_event_bytes = 16 * 1024 * 1024;

  runtime_api_client(asio::any_io_executor executor, asio::ip::tcp::endpoint endpoint);

  // Waits for the next invocation. `on_request_sent` runs once the GET is on the wire.
  asio::awaitable<std::error_code> next(invocation& out, const std::function<void()>& on_request_sent = {});

  asio::awaitable<std::error_code> post_response(std::string_view request_id, std::string_view payload);

  // POSTs an invocation error (`request_id` set) or an init error (`request_id` empty).
  asio::awaitable<std::error_code> post_error(std::string_view request_id, std::string_view error_type,
                                              std::string_view message);

  // Streaming response: begin with the prelude, write body pieces, then end or fail.
  // A failure after begin is reported in the declared HTTP trailers.
  asio::awaitable<std::error_code> stream_begin(std::string_view request_id, std::string_view prelude);
  asio::awaitable<std::error_code> stream_write(std::string_view piece);
  asio::awaitable<std::error_code> stream_end();
  asio::awaitable<std::error_code> stream_fail(std::string_view error_type, std::string_view message);

  // Whether the next `next` call will have to open a new connection.
  bool connected() const noexcept { return stream_ != nullptr; }

 private:
  asio::awaitable<std::error_code> ensure_connected();
  asio::awaitable<std::error_code> send(std::span<const asio::const_buffer> pieces);
  // Reads one response; its body goes to `body` (up to `max_body` bytes).
  asio::awaitable<std::error_code> read_response(std::string& body, std::size_t max_body);
  asio::awaitable<std::error_code> post(std::string_view path, std::string_view extra_headers, std::string_view body);
  void drop_connection() noexcept;

  asio::any_io_executor executor_;
  asio::ip::tcp::endpoint endpoint_;
  upstream_target api_target_;  // names the Runtime API in each request's Host header
  std::unique_ptr<transport> stream_;
  http_parser parser_;
  std::string read_buffer_;
  std::size_t read_begin_ = 0;
  std::string head_;  // scratch for request heads
};

}  // namespace tsproxy::lambda
