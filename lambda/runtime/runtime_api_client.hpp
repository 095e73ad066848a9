#pragma once
// Client of the Lambda Runtime API (2018-06-01) over one persistent keep-alive connection.
// One client per invocation loop. The request bytes come from runtime_api_requests (pure builders);
// this class only moves them and reads the answers with the engine's http_reader. `next` long-polls
// with no client-side timeout (Lambda freezes the process while no event is queued); every other
// call is bounded by the deadline it is given. An answer with a non-2xx status is
// http_unexpected_status (its status in last_status()). A reused connection that Lambda closed
// meanwhile is replaced once, before any answer byte arrived.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/http_reader.hpp"
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
  static constexpr std::size_t event_padding = 64;  // simdjson::SIMDJSON_PADDING

  runtime_api_client(asio::any_io_executor executor, const asio::ip::tcp::endpoint& endpoint);
  runtime_api_client(const runtime_api_client&) = delete;  // the reader reads through this object
  runtime_api_client& operator=(const runtime_api_client&) = delete;

  // Waits for the next invocation. `on_request_sent` runs once the GET is on the wire.
  asio::awaitable<std::error_code> next(invocation& out, const std::function<void()>& on_request_sent = {});

  asio::awaitable<std::error_code> post_response(std::string_view request_id, std::string_view payload,
                                                 time_point until);
  asio::awaitable<std::error_code> post_error(std::string_view request_id, std::string_view error_type,
                                              std::string_view message, time_point until);
  asio::awaitable<std::error_code> post_init_error(std::string_view error_type, std::string_view message,
                                                   time_point until);

  // Streaming response: begin with the prelude, write body pieces, then end or fail.
  // A failure after begin is reported in the declared HTTP trailers.
  asio::awaitable<std::error_code> stream_begin(std::string_view request_id, std::string_view prelude,
                                                time_point until);
  asio::awaitable<std::error_code> stream_write(std::string_view piece, time_point until);
  asio::awaitable<std::error_code> stream_end(time_point until);
  asio::awaitable<std::error_code> stream_fail(std::string_view error_type, std::string_view message,
                                               time_point until);

  // Whether the next call will have to open a new connection.
  bool connected() const noexcept { return stream_ != nullptr; }
  // The status of the last answer read (0 before any).
  int last_status() const noexcept { return last_status_; }

 private:
  // One timer bounds a whole call (until == time_point::max(): none), not each read and write in it.
  asio::awaitable<std::error_code> bounded(time_point until, asio::awaitable<std::error_code> op);
  asio::awaitable<std::error_code> ensure_connected();
  asio::awaitable<std::error_code> send(std::span<const asio::const_buffer> pieces);
  // Reads one answer; its body goes to `body` (up to `max_body` bytes, `padding` spare capacity).
  asio::awaitable<std::error_code> read_answer(std::string& body, std::size_t max_body,
                                               std::size_t padding = 0);
  // A whole POST: send and read the answer, replacing a stale reused connection once; checks the status.
  asio::awaitable<std::error_code> post_once_more_if_stale(std::span<const asio::const_buffer> pieces);
  asio::awaitable<std::error_code> post(std::span<const asio::const_buffer> pieces, time_point until);
  // The end of a streamed response (last chunk, maybe trailers), then its answer.
  asio::awaitable<std::error_code> finish_stream(std::span<const asio::const_buffer> pieces);
  std::error_code status_error() const noexcept;  // http_unexpected_status unless last_status() is 2xx
  void drop_connection() noexcept;

  asio::any_io_executor executor_;
  asio::ip::tcp::endpoint endpoint_;
  upstream_target api_target_;  // names the Runtime API in each request's Host header
  std::unique_ptr<transport> stream_;
  http_reader reader_;
  std::string head_;   // the head of the request being sent
  std::string reply_;  // body of the last answer to anything but `next` (small; kept for its capacity)
  int last_status_ = 0;
  bool answer_started_ = false;  // the last read got bytes of an answer (so a resend is unsafe)
};

}  // namespace tsproxy::lambda
