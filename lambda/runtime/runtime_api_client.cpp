#include "runtime/runtime_api_client.hpp"

#include <array>
#include <charconv>

#include "runtime/runtime_api_requests.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_writer.hpp"

namespace tsproxy::lambda {

namespace {

constexpr std::size_t max_reply_bytes = 64 * 1024;  // bodies of answers to anything but `next`

std::int64_t parse_int64(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

std::error_code read_invocation_headers(const std::vector<header_field>& headers, invocation& out) {
  out.request_id = find_header(headers, "lambda-runtime-aws-request-id");
  out.deadline_epoch_ms = parse_int64(find_header(headers, "lambda-runtime-deadline-ms"));
  out.trace_id = find_header(headers, "lambda-runtime-trace-id");
  out.function_arn = find_header(headers, "lambda-runtime-invoked-function-arn");
  if (!runtime_api::is_valid_request_id(out.request_id))
    return make_error_code(engine_error::http_bad_header);
  return {};
}

runtime_api_client::runtime_api_client(asio::any_io_executor executor,
                                       const asio::ip::tcp::endpoint& endpoint)
    : connection_(std::move(executor), endpoint) {}

asio::awaitable<std::error_code> runtime_api_client::next(invocation& out,
                                                          const std::function<void()>& on_request_sent) {
  head_ = runtime_api::next_request(connection_.target());
  const std::array<asio::const_buffer, 1> pieces{asio::buffer(head_)};
  if (auto ec =
          co_await connection_.exchange(pieces, out.event, max_event_bytes, event_padding, on_request_sent))
    co_return ec;
  if (connection_.last_status() != 200) co_return make_error_code(engine_error::http_unexpected_status);
  co_return read_invocation_headers(connection_.parser().response().headers, out);
}

asio::awaitable<std::error_code> runtime_api_client::post_unbounded(
    std::span<const asio::const_buffer> pieces) {
  if (auto ec = co_await connection_.exchange(pieces, reply_, max_reply_bytes)) co_return ec;
  co_return connection_.status_error();
}

asio::awaitable<std::error_code> runtime_api_client::post(std::span<const asio::const_buffer> pieces,
                                                          time_point until) {
  co_return co_await connection_.bounded(until, post_unbounded(pieces));
}

asio::awaitable<std::error_code> runtime_api_client::post_response(std::string_view request_id,
                                                                   std::string_view payload,
                                                                   time_point until) {
  head_ = runtime_api::response_head(connection_.target(), request_id, payload);
  const std::array<asio::const_buffer, 2> pieces{asio::buffer(head_),
                                                 asio::buffer(payload.data(), payload.size())};
  co_return co_await post(pieces, until);
}

asio::awaitable<std::error_code> runtime_api_client::post_error(std::string_view request_id,
                                                                std::string_view error_type,
                                                                std::string_view message, time_point until) {
  const auto request = runtime_api::error_request(connection_.target(), request_id, error_type, message);
  const std::array<asio::const_buffer, 2> pieces{asio::buffer(request.head), asio::buffer(request.body)};
  co_return co_await post(pieces, until);
}

asio::awaitable<std::error_code> runtime_api_client::post_init_error(std::string_view error_type,
                                                                     std::string_view message,
                                                                     time_point until) {
  const auto request = runtime_api::init_error_request(connection_.target(), error_type, message);
  const std::array<asio::const_buffer, 2> pieces{asio::buffer(request.head), asio::buffer(request.body)};
  co_return co_await post(pieces, until);
}

asio::awaitable<std::error_code> runtime_api_client::send_head_and_first_chunk(std::string_view chunk,
                                                                               time_point until) {
  const std::array<asio::const_buffer, 3> pieces{
      asio::buffer(head_), asio::buffer(chunk.data(), chunk.size()), asio::buffer("\r\n", 2)};
  co_return co_await connection_.bounded(until, connection_.send(pieces));
}

asio::awaitable<std::error_code> runtime_api_client::stream_begin(std::string_view request_id,
                                                                  std::string_view prelude,
                                                                  time_point until) {
  head_ = runtime_api::stream_head(connection_.target(), request_id, prelude.size());
  co_return co_await send_head_and_first_chunk(prelude, until);
}

asio::awaitable<std::error_code> runtime_api_client::chunked_response_begin(std::string_view request_id,
                                                                            std::string_view first_bytes,
                                                                            time_point until) {
  head_ = runtime_api::chunked_response_head(connection_.target(), request_id, first_bytes.size());
  co_return co_await send_head_and_first_chunk(first_bytes, until);
}

asio::awaitable<std::error_code> runtime_api_client::stream_write(std::string_view piece, time_point until) {
  if (piece.empty()) co_return std::error_code{};
  head_ = runtime_api::chunk_head(piece.size());
  const std::array<asio::const_buffer, 3> pieces{
      asio::buffer(head_), asio::buffer(piece.data(), piece.size()), asio::buffer("\r\n", 2)};
  co_return co_await connection_.bounded(until, connection_.send(pieces));
}

asio::awaitable<std::error_code> runtime_api_client::finish_stream(
    std::span<const asio::const_buffer> pieces) {
  if (auto ec = co_await connection_.send(pieces)) co_return ec;
  if (auto ec = co_await connection_.read_answer(reply_, max_reply_bytes)) co_return ec;
  co_return connection_.status_error();
}

asio::awaitable<std::error_code> runtime_api_client::stream_end(time_point until) {
  const std::array<asio::const_buffer, 1> pieces{asio::buffer(last_chunk.data(), last_chunk.size())};
  co_return co_await connection_.bounded(until, finish_stream(pieces));
}

asio::awaitable<std::error_code> runtime_api_client::stream_fail(std::string_view error_type,
                                                                 std::string_view message, time_point until) {
  head_ = runtime_api::stream_failure_end(error_type, message);
  const std::array<asio::const_buffer, 1> pieces{asio::buffer(head_)};
  co_return co_await connection_.bounded(until, finish_stream(pieces));
}

}  // namespace tsproxy::lambda
