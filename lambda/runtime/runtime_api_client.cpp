#include "runtime/runtime_api_client.hpp"

#include <array>
#include <asio/connect.hpp>
#include <charconv>

#include "adapter/base64.hpp"
#include "adapter/error_json.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_writer.hpp"
#include "tsproxy/engine/upstream_target.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::lambda {

namespace {

constexpr std::string_view api_prefix = "/2018-06-01/runtime/";
constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t max_reply_bytes = 64 * 1024;  // bodies of replies to anything but `next`

std::int64_t parse_int64(std::string_view text) {
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}


}  // namespace

runtime_api_client::runtime_api_client(asio::any_io_executor executor, asio::ip::tcp::endpoint endpoint)
    : executor_(std::move(executor)),
      endpoint_(endpoint),
      api_target_{endpoint.address().to_string(), endpoint.port()},
      parser_(http_parser::kind::response, http_limits{}) {}

void runtime_api_client::drop_connection() noexcept {
  stream_.reset();
  read_buffer_.clear();
  read_begin_ = 0;
}

asio::awaitable<std::error_code> runtime_api_client::ensure_connected() {
  if (stream_) co_return std::error_code{};
  asio::ip::tcp::socket socket(executor_);
  auto [ec] = co_await socket.async_connect(endpoint_, use_tuple);
  if (ec) co_return ec;
  stream_ = std::make_unique<transport>(std::move(socket));
  co_return std::error_code{};
}

asio::awaitable<std::error_code> runtime_api_client::send(std::span<const asio::const_buffer> pieces) {
  if (auto ec = co_await ensure_connected()) co_return ec;
  if (auto ec = co_await stream_->write(pieces)) {
    drop_connection();
    co_return ec;
  }
  co_return std::error_code{};
}

asio::awaitable<std::error_code> runtime_api_client::read_response(std::string& body, std::size_t max_body) {
  parser_.reset();
  for (;;) {
    std::error_code ec;
    const auto unconsumed = std::string_view(read_buffer_).substr(read_begin_);
    const auto step = parser_.parse(unconsumed, ec);
    if (ec) {
      drop_connection();
      co_return ec;
    }
    if (step.what == http_parser::event::body) {
      if (body.size() + step.body.size() > max_body) {
        drop_connection();
        co_return std::error_code(engine_error::http_body_too_large);
      }
      if (body.empty() && parser_.body_framing() == http_parser::framing::content_length) {
        body.reserve(parser_.content_length() + 64);  // room for simdjson's padding on events
      }
      body.append(step.body);
    }
    read_begin_ += step.consumed;
    if (step.what == http_parser::event::done) {
      if (!parser_.keep_alive()) drop_connection();
      co_return std::error_code{};
    }
    if (step.what != http_parser::event::need_more) continue;
    // Keep only unconsumed bytes, then read more after them.
    read_buffer_.erase(0, read_begin_);
    read_begin_ = 0;
    const std::size_t have = read_buffer_.size();
    read_buffer_.resize(have + read_chunk);
    std::size_t n = 0;
    ec = co_await stream_->read_some(asio::buffer(read_buffer_.data() + have, read_chunk), n);
    read_buffer_.resize(have + n);
    if (ec == asio::error::eof) ec = parser_.finish_eof();
    if (ec) {
      drop_connection();
      co_return ec;
    }
  }
}

asio::awaitable<std::error_code> runtime_api_client::next(invocation& out, const std::function<void()>& on_request_sent) {
  const http_request request{"GET", std::string(api_prefix) + "invocation/next", {}, {}};
  // The same connection serves every call; when Lambda closed it meanwhile, reconnect once.
  for (int attempt = 0;; ++attempt) {
    const bool reused = connected();
    head_.clear();
    append_request_head(head_, request, api_target_);
    const std::array<asio::const_buffer, 1> pieces{asio::buffer(head_)};
    out.event.clear();
    auto ec = co_await send(pieces);
    if (!ec && on_request_sent) on_request_sent();
    if (!ec) ec = co_await read_response(out.event, max_event_bytes);
    if (ec && reused && attempt == 0 && !parser_.started()) continue;
    if (ec) co_return ec;
    break;
  }
  const auto& head = parser_.response();
  if (head.status != 200) co_return std::error_code(engine_error::http_bad_status_line);
  out.request_id = find_header(head.headers, "lambda-runtime-aws-request-id");
  out.deadline_epoch_ms = parse_int64(find_header(head.headers, "lambda-runtime-deadline-ms"));
  out.trace_id = find_header(head.headers, "lambda-runtime-trace-id");
  out.function_arn = find_header(head.headers, "lambda-runtime-invoked-function-arn");
  if (out.request_id.empty()) co_return std::error_code(engine_error::http_bad_header);
  co_return std::error_code{};
}

asio::awaitable<std::error_code> runtime_api_client::post(std::string_view path, std::string_view extra_headers,
                                                          std::string_view body) {
  for (int attempt = 0;; ++attempt) {
    const bool reused = connected();
    head_.clear();
    http_request request{"POST", std::string(path), {}, body};
    if (!extra_headers.empty()) {
      const auto colon = extra_headers.find(':');
      request.headers.push_back({extra_headers.substr(0, colon), extra_headers.substr(colon + 2)});
    }
    append_request_head(head_, request, api_target_);
    const std::array<asio::const_buffer, 2> pieces{asio::buffer(head_), asio::buffer(body.data(), body.size())};
    std::string reply;
    auto ec = co_await send(pieces);
    if (!ec) ec = co_await read_response(reply, max_reply_bytes);
    if (ec && reused && attempt == 0 && !parser_.started()) continue;
    if (ec) co_return ec;
    const int status = parser_.response().status;
    co_return status >= 200 && status < 300 ? std::error_code{} : std::error_code(engine_error::http_bad_status_line);
  }
}

asio::awaitable<std::error_code> runtime_api_client::post_response(std::string_view request_id,
                                                                   std::string_view payload) {
  const std::string path = std::string(api_prefix) + "invocation/" + std::string(request_id) + "/response";
  co_return co_await post(path, {}, payload);
}

asio::awaitable<std::error_code> runtime_api_client::post_error(std::string_view request_id,
                                                                std::string_view error_type,
                                                                std::string_view message) {
  const std::string path = request_id.empty()
                               ? std::string(api_prefix) + "init/error"
                               : std::string(api_prefix) + "invocation/" + std::string(request_id) + "/error";
  const std::string header = "Lambda-Runtime-Function-Error-Type: " + std::string(error_type);
  co_return co_await post(path, header, error_json(error_type, message, true));
}

asio::awaitable<std::error_code> runtime_api_client::stream_begin(std::string_view request_id,
                                                                  std::string_view prelude) {
  http_request request{"POST", std::string(api_prefix) + "invocation/" + std::string(request_id) + "/response",
                       {{"Lambda-Runtime-Function-Response-Mode", "streaming"},
                        {"Content-Type", "application/vnd.awslambda.http-integration-response"},
                        {"Trailer", "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"}},
                       {},
                       true};
  head_.clear();
  append_request_head(head_, request, api_target_);
  append_chunk_header(head_, prelude.size());
  const std::array<asio::const_buffer, 3> pieces{asio::buffer(head_), asio::buffer(prelude.data(), prelude.size()),
                                                 asio::buffer("\r\n", 2)};
  co_return co_await send(pieces);
}

asio::awaitable<std::error_code> runtime_api_client::stream_write(std::string_view piece) {
  if (piece.empty()) co_return std::error_code{};
  head_.clear();
  append_chunk_header(head_, piece.size());
  const std::array<asio::const_buffer, 3> pieces{asio::buffer(head_), asio::buffer(piece.data(), piece.size()),
                                                 asio::buffer("\r\n", 2)};
  co_return co_await send(pieces);
}

asio::awaitable<std::error_code> runtime_api_client::stream_end() {
  const std::array<asio::const_buffer, 1> pieces{asio::buffer(last_chunk.data(), last_chunk.size())};
  if (auto ec = co_await send(pieces)) co_return ec;
  std::string reply;
  if (auto ec = co_await read_response(reply, max_reply_bytes)) co_return ec;
  const int status = parser_.response().status;
  co_return status >= 200 && status < 300 ? std::error_code{} : std::error_code(engine_error::http_bad_status_line);
}

asio::awaitable<std::error_code> runtime_api_client::stream_fail(std::string_view error_type,
                                                                 std::string_view message) {
  // The last chunk, then the declared trailers, then the empty line that ends the message.
  head_ = "0\r\nLambda-Runtime-Function-Error-Type: ";
  head_.append(error_type);
  head_.append("\r\nLambda-Runtime-Function-Error-Body: ");
  base64_encode_append(head_, error_json(error_type, message, true));
  head_.append("\r\n\r\n");
  const std::array<asio::const_buffer, 1> pieces{asio::buffer(head_)};
  if (auto ec = co_await send(pieces)) co_return ec;
  std::string reply;
  co_return co_await read_response(reply, max_reply_bytes);
}

}  // namespace tsproxy::lambda
