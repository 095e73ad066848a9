#include "runtime/tailscale_status.hpp"

#include <simdjson.h>

#include <array>
#include <asio/local/stream_protocol.hpp>
#include <asio/write.hpp>

#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_reader.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::lambda {

namespace {

using unix_socket = asio::local::stream_protocol::socket;

constexpr std::string_view status_request =
    "GET /localapi/v0/status?peers=false HTTP/1.1\r\nHost: local-tailscaled.sock\r\nConnection: "
    "close\r\n\r\n";
constexpr std::size_t max_status_bytes = 1024 * 1024;
constexpr std::size_t json_padding = 64;
static_assert(json_padding == simdjson::SIMDJSON_PADDING);

asio::awaitable<std::error_code> ask(unix_socket& socket, const std::string& path, std::string& body) {
  if (auto [ec] = co_await socket.async_connect(asio::local::stream_protocol::endpoint(path), use_tuple); ec)
    co_return ec;
  if (auto [ec, n] = co_await asio::async_write(socket, asio::buffer(status_request), use_tuple); ec)
    co_return ec;
  http_reader reader(
      http_parser::kind::response, http_limits{},
      [&socket](asio::mutable_buffer into, std::size_t& got) -> asio::awaitable<std::error_code> {
        auto [ec, n] = co_await socket.async_read_some(into, use_tuple);
        got = n;
        co_return ec;
      });
  // The caller bounds the whole question, so the reader sets no timer of its own.
  if (auto ec = co_await reader.read_head(unbounded)) co_return ec;
  if (auto ec = co_await reader.read_body(body, max_status_bytes, unbounded, json_padding)) co_return ec;
  if (reader.parser().response().status != 200)
    co_return make_error_code(engine_error::http_unexpected_status);
  co_return std::error_code{};
}

}  // namespace

listener_state listener_state_from_status(std::string_view json) {
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::string_view state;
  if (parser.iterate(simdjson::padded_string_view(json.data(), json.size(), json.size() + json_padding))
          .get(doc) ||
      doc["BackendState"].get_string().get(state)) {
    return listener_state::unknown;
  }
  return state == "Running" ? listener_state::up : listener_state::starting;
}

asio::awaitable<listener_state> tailscale_backend_state(asio::any_io_executor executor,
                                                        const std::string& socket_path, time_point until) {
  unix_socket socket(executor);
  std::string body;
  const auto ec = co_await within({until, engine_error::request_deadline}, ask(socket, socket_path, body));
  if (ec) co_return listener_state::unknown;
  co_return listener_state_from_status(body);
}

}  // namespace tsproxy::lambda
