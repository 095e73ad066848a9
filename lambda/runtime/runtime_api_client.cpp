#include "runtime/runtime_api_client.hpp"

#include <array>
#include <charconv>

#include "runtime/runtime_api_requests.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_writer.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::lambda {

namespace {

constexpr std::size_t max_reply_bytes = 64 * 1024;  // bodies of answers to anything but `next`

std::int64_t parse_int64(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

asio::awaitable<std::error_code> connect_socket(asio::ip::tcp::socket& socket,
                                                asio::ip::tcp::endpoint endpoint) {
  auto [ec] = co_await socket.async_connect(endpoint, use_tuple);
  co_return ec;
}

}  // namespace

runtime_api_client::runtime_api_client(asio::any_io_executor executor,
                                       const asio::ip::tcp::endpoint& endpoint)
    : executor_(std::move(executor)),
      endpoint_(endpoint),
      api_target_{endpoint.address().to_string(), endpoint.port()},
      reader_(http_parser::kind::response, http_limits{},
              [this](asio::mutable_buffer into, std::size_t& got) { return stream_->read_some(into, got); }) {
}

void runtime_api_client::drop_connection() noexcept {
  stream_.reset();
  reader_.clear();
}

asio::awaitable<std::error_code> runtime_api_client::bounded(time_point until,
                                                             asio::awaitable<std::error_code> op) {
  if (until == time_point::max()) co_return co_await std::move(op);
  const auto ec = co_await within({until, engine_error::request_deadline}, std::move(op));
  if (ec == engine_error::request_deadline) drop_connection();  // cut off mid-call: its state is unknown
  co_return ec;
}

asio::awaitable<std::error_code> runtime_api_client::ensure_connected() {
  if (stream_) co_return std::error_code{};
  asio::ip::tcp::socket socket(executor_);
  if (auto ec = co_await connect_socket(socket, endpoint_)) co_return ec;
  std::error_code ignored;
  socket.set_option(asio::ip::tcp::no_delay(true), ignored);
  stream_ = std::make_unique<transport>(std::move(socket));
  co_return std::error_code{};
}

asio::awaitable<std::error_code> runtime_api_client::send(std::span<const asio::const_buffer> pieces) {
  if (auto ec = co_await ensure_connected()) co_return ec;
  const auto ec = co_await stream_->write(pieces);
  if (ec) drop_connection();
  co_return ec;
}

asio::awaitable<std::error_code> runtime_api_client::read_answer(std::string& body, std::size_t max_body,
                                                                 std::size_t padding) {
  auto ec = co_await reader_.read_head(unbounded);
  if (!ec) ec = co_await reader_.read_body(body, max_body, unbounded, padding);
  answer_started_ = reader_.parser().started();
  if (ec) {
    drop_connection();
    co_return ec;
  }
  last_status_ = reader_.parser().response().status;
  if (!reader_.parser().keep_alive()) drop_connection();
  co_return std::error_code{};
}

std::error_code runtime_api_client::status_error() const noexcept {
  return last_status_ >= 200 && last_status_ < 300 ? std::error_code{}
                                                   : make_error_code(engine_error::http_unexpected_status);
}

asio::awaitable<std::error_code> runtime_api_client::next(invocation& out,
                                                          const std::function<void()>& on_request_sent) {
  head_ = runtime_api::next_request(api_target_);
  const std::array<asio::const_buffer, 1> pieces{asio::buffer(head_)};
  // The same connection serves every call; when Lambda closed it meanwhile, reconnect once.
  for (int attempt = 0;; ++attempt) {
    const bool reused = connected();
    answer_started_ = false;
    auto ec = co_await send(pieces);
    if (!ec && on_request_sent) on_request_sent();
    if (!ec) ec = co_await read_answer(out.event, max_event_bytes, event_padding);
    if (ec && reused && attempt == 0 && !answer_started_) continue;
    if (ec) co_return ec;
    break;
  }
  if (last_status_ != 200) co_return make_error_code(engine_error::http_unexpected_status);
  const auto& headers = reader_.parser().response().headers;
  out.request_id = find_header(headers, "lambda-runtime-aws-request-id");
  out.deadline_epoch_ms = parse_int64(find_header(headers, "lambda-runtime-deadline-ms"));
  out.trace_id = find_header(headers, "lambda-runtime-trace-id");
  out.function_arn = find_header(headers, "lambda-runtime-invoked-function-arn");
  if (!runtime_api::is_valid_request_id(out.request_id))
    co_return make_error_code(engine_error::http_bad_header);
  co_return std::error_code{};
}

asio::awaitable<std::error_code> runtime_api_client::post_once_more_if_stale(
    std::span<const asio::const_buffer> pieces) {
  for (int attempt = 0;; ++attempt) {
    const bool reused = connected();
    answer_started_ = false;
    auto ec = co_await send(pieces);
    if (!ec) ec = co_await read_answer(reply_, max_reply_bytes);
    if (ec && reused && attempt == 0 && !answer_started_) continue;
    if (ec) co_return ec;
    co_return status_error();
  }
}

asio::awaitable<std::error_code> runtime_api_client::post(std::span<const asio::const_buffer> pieces,
                                                          time_point until) {
  co_return co_await bounded(until, post_once_more_if_stale(pieces));
}

asio::awaitable<std::error_code> runtime_api_client::post_response(std::string_view request_id,
                                                                   std::string_view payload,
                                                                   time_point until) {
  head_ = runtime_api::response_head(api_target_, request_id, payload);
  const std::array<asio::const_buffer, 2> pieces{asio::buffer(head_),
                                                 asio::buffer(payload.data(), payload.size())};
  co_return co_await post(pieces, until);
}

asio::awaitable<std::error_code> runtime_api_client::post_error(std::string_view request_id,
                                                                std::string_view error_type,
                                                                std::string_view message, time_point until) {
  const auto request = runtime_api::error_request(api_target_, request_id, error_type, message);
  const std::array<asio::const_buffer, 2> pieces{asio::buffer(request.head), asio::buffer(request.body)};
  co_return co_await post(pieces, until);
}

asio::awaitable<std::error_code> runtime_api_client::post_init_error(std::string_view error_type,
                                                                     std::string_view message,
                                                                     time_point until) {
  const auto request = runtime_api::init_error_request(api_target_, error_type, message);
  const std::array<asio::const_buffer, 2> pieces{asio::buffer(request.head), asio::buffer(request.body)};
  co_return co_await post(pieces, until);
}

asio::awaitable<std::error_code> runtime_api_client::stream_begin(std::string_view request_id,
                                                                  std::string_view prelude,
                                                                  time_point until) {
  head_ = runtime_api::stream_head(api_target_, request_id, prelude.size());
  const std::array<asio::const_buffer, 3> pieces{
      asio::buffer(head_), asio::buffer(prelude.data(), prelude.size()), asio::buffer("\r\n", 2)};
  co_return co_await bounded(until, send(pieces));
}

asio::awaitable<std::error_code> runtime_api_client::stream_write(std::string_view piece, time_point until) {
  if (piece.empty()) co_return std::error_code{};
  head_ = runtime_api::chunk_head(piece.size());
  const std::array<asio::const_buffer, 3> pieces{
      asio::buffer(head_), asio::buffer(piece.data(), piece.size()), asio::buffer("\r\n", 2)};
  co_return co_await bounded(until, send(pieces));
}

asio::awaitable<std::error_code> runtime_api_client::finish_stream(
    std::span<const asio::const_buffer> pieces) {
  if (auto ec = co_await send(pieces)) co_return ec;
  if (auto ec = co_await read_answer(reply_, max_reply_bytes)) co_return ec;
  co_return status_error();
}

asio::awaitable<std::error_code> runtime_api_client::stream_end(time_point until) {
  const std::array<asio::const_buffer, 1> pieces{asio::buffer(last_chunk.data(), last_chunk.size())};
  co_return co_await bounded(until, finish_stream(pieces));
}

asio::awaitable<std::error_code> runtime_api_client::stream_fail(std::string_view error_type,
                                                                 std::string_view message, time_point until) {
  head_ = runtime_api::stream_failure_end(error_type, message);
  const std::array<asio::const_buffer, 1> pieces{asio::buffer(head_)};
  co_return co_await bounded(until, finish_stream(pieces));
}

}  // namespace tsproxy::lambda
