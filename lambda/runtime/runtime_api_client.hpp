#pragma once
// Client of the Lambda Runtime API (2018-06-01) over one persistent keep-alive connection
// (common/api_connection). One client per invocation loop. The request bytes come from
// runtime_api_requests (pure builders). `next` long-polls with no client-side timeout (Lambda freezes
// the process while no event is queued); every other call is bounded by the deadline it is given. An
// answer with a non-2xx status is http_unexpected_status (its status in last_status()). A reused
// connection that Lambda closed meanwhile is replaced once, before any answer byte arrived.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "common/api_connection.hpp"
#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/http_message.hpp"

namespace tsproxy::lambda {

struct invocation {
  std::string request_id;
  std::int64_t deadline_epoch_ms = 0;
  std::string trace_id;
  std::string function_arn;
  std::string event;  // capacity leaves simdjson's padding after the bytes, so it is parsed in place
};

// The invocation's identity from the headers of the answer to `next`. Fails with http_bad_header when
// the request id could not be a path segment of the calls that answer the invocation.
std::error_code read_invocation_headers(const std::vector<header_field>& headers, invocation& out);

class runtime_api_client {
 public:
  static constexpr std::size_t max_event_bytes = 16 * 1024 * 1024;
  static constexpr std::size_t event_padding = 64;  // simdjson::SIMDJSON_PADDING

  runtime_api_client(asio::any_io_executor executor, const asio::ip::tcp::endpoint& endpoint);

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
  // A buffered response's payload sent in chunks as it is produced: begin with its first bytes, go on
  // with stream_write, finish with stream_end (it has no trailers, so no stream_fail).
  asio::awaitable<std::error_code> chunked_response_begin(std::string_view request_id,
                                                          std::string_view first_bytes, time_point until);
  // One chunk of a response begun by stream_begin or chunked_response_begin.
  asio::awaitable<std::error_code> stream_write(std::string_view piece, time_point until);
  asio::awaitable<std::error_code> stream_end(time_point until);
  asio::awaitable<std::error_code> stream_fail(std::string_view error_type, std::string_view message,
                                               time_point until);

  // Whether the next call will have to open a new connection.
  bool connected() const noexcept { return connection_.connected(); }
  // The status of the last answer read (0 before any).
  int last_status() const noexcept { return connection_.last_status(); }

 private:
  // A whole POST within `until`: send and read the answer; checks the status.
  asio::awaitable<std::error_code> post(std::span<const asio::const_buffer> pieces, time_point until);
  asio::awaitable<std::error_code> post_unbounded(std::span<const asio::const_buffer> pieces);
  // head_ (a chunked POST's head ending with the first chunk's size line), then that chunk.
  asio::awaitable<std::error_code> send_head_and_first_chunk(std::string_view chunk, time_point until);
  // The end of a streamed response (last chunk, maybe trailers), then its answer.
  asio::awaitable<std::error_code> finish_stream(std::span<const asio::const_buffer> pieces);

  api_connection connection_;
  std::string head_;   // the head of the request being sent
  std::string reply_;  // body of the last answer to anything but `next` (small; kept for its capacity)
};

}  // namespace tsproxy::lambda
