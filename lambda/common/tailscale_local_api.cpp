#include "common/tailscale_local_api.hpp"

#include <simdjson.h>

#include <asio/local/stream_protocol.hpp>
#include <asio/write.hpp>

#include "adapter/base64.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_reader.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::lambda {

namespace {

using unix_socket = asio::local::stream_protocol::socket;

constexpr std::string_view status_path = "/localapi/v0/status?peers=false";
constexpr std::size_t max_answer_bytes = 1024 * 1024;
constexpr std::size_t max_health_messages = 8;  // enough to say why; the rest only repeats
static_assert(tailscale_status_padding == simdjson::SIMDJSON_PADDING);

// tailscaled refuses any Host but this one (ipn/localapi), so a browser cannot be made to ask it.
std::string get_request(std::string_view path) {
  std::string request = "GET ";
  request.append(path);
  request.append(" HTTP/1.1\r\nHost: local-tailscaled.sock\r\nConnection: close\r\n\r\n");
  return request;
}

asio::awaitable<std::error_code> ask(unix_socket& socket, const std::string& socket_path,
                                     std::string_view path, std::string& body) {
  if (auto [ec] =
          co_await socket.async_connect(asio::local::stream_protocol::endpoint(socket_path), use_tuple);
      ec)
    co_return ec;
  const auto request = get_request(path);
  if (auto [ec, n] = co_await asio::async_write(socket, asio::buffer(request), use_tuple); ec) co_return ec;
  http_reader reader(
      http_parser::kind::response, http_limits{},
      [&socket](asio::mutable_buffer into, std::size_t& got) -> asio::awaitable<std::error_code> {
        auto [ec, n] = co_await socket.async_read_some(into, use_tuple);
        got = n;
        co_return ec;
      });
  // The caller bounds the whole question, so the reader sets no timer of its own.
  if (auto ec = co_await reader.read_head(unbounded)) co_return ec;
  if (auto ec = co_await reader.read_body(body, max_answer_bytes, unbounded, tailscale_status_padding))
    co_return ec;
  if (reader.parser().response().status != 200)
    co_return make_error_code(engine_error::http_unexpected_status);
  co_return std::error_code{};
}

simdjson::simdjson_result<simdjson::ondemand::document> iterate(simdjson::ondemand::parser& parser,
                                                                std::string_view json) {
  return parser.iterate(
      simdjson::padded_string_view(json.data(), json.size(), json.size() + tailscale_status_padding));
}

}  // namespace

std::optional<tailscale_status> parse_tailscale_status(std::string_view json) {
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object root;
  if (iterate(parser, json).get(doc) || doc.get_object().get(root)) {
    return std::nullopt;
  }
  tailscale_status out;
  bool have_state = false;
  // Fields in document order (tailscaled writes BackendState before Health), each read once.
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return std::nullopt;
    if (key == "BackendState") {
      std::string_view state;
      if (field.value().get_string().get(state)) return std::nullopt;
      out.backend_state = state;
      have_state = true;
    } else if (key == "Health") {
      simdjson::ondemand::array messages;
      if (field.value().get_array().get(messages)) continue;  // null when healthy
      for (auto item : messages) {
        std::string_view message;
        if (item.get_string().get(message)) break;
        if (out.health.size() < max_health_messages) out.health.emplace_back(message);
      }
    } else if (key == "ExitNodeStatus") {
      simdjson::ondemand::object exit_node;
      if (field.value().get_object().get(exit_node)) continue;  // absent or null without one
      simdjson::ondemand::array prefixes;
      if (exit_node["TailscaleIPs"].get_array().get(prefixes)) continue;
      for (auto item : prefixes) {
        std::string_view prefix;
        if (item.get_string().get(prefix)) break;
        out.exit_node_ip = prefix.substr(0, prefix.find('/'));
        break;
      }
    }
  }
  if (!have_state) return std::nullopt;
  return out;
}

asio::awaitable<std::error_code> query_tailscale_status(asio::any_io_executor executor,
                                                        const std::string& socket_path, time_point until,
                                                        tailscale_status& out) {
  unix_socket socket(executor);
  std::string body;
  if (auto ec = co_await within({until, engine_error::request_deadline},
                                ask(socket, socket_path, status_path, body)))
    co_return ec;
  auto status = parse_tailscale_status(body);
  if (!status) co_return make_error_code(engine_error::http_bad_header);
  out = std::move(*status);
  co_return std::error_code{};
}

std::optional<std::string> parse_dns_query_bytes(std::string_view json) {
  // apitype.DNSQueryResponse: {"Bytes": the DNS message, base64 as Go's encoding/json writes []byte,
  // "Resolvers": [...]}.
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  std::string_view encoded;
  if (iterate(parser, json).get(doc) || doc["Bytes"].get_string().get(encoded)) return std::nullopt;
  std::string message;
  if (!base64_decode(encoded, message)) return std::nullopt;
  return message;
}

asio::awaitable<std::error_code> query_tailscale_dns(asio::any_io_executor executor,
                                                     const std::string& socket_path, std::string_view name,
                                                     dns_record_type type, time_point until,
                                                     dns_answer& out) {
  // The name was validated as a host name (letters, digits, hyphens, dots), so it needs no escaping.
  std::string path = "/localapi/v0/dns-query?name=";
  path.append(name);
  path.append(type == dns_record_type::aaaa ? "&type=AAAA" : "&type=A");
  unix_socket socket(executor);
  std::string body;
  if (auto ec =
          co_await within({until, engine_error::request_deadline}, ask(socket, socket_path, path, body)))
    co_return ec;
  const auto message = parse_dns_query_bytes(body);
  if (!message || message->size() < 2) co_return make_error_code(engine_error::http_bad_header);
  // tailscaled chose the query's id; the answer is checked against everything else that was asked.
  const auto id = static_cast<std::uint16_t>((static_cast<std::uint8_t>((*message)[0]) << 8) |
                                             static_cast<std::uint8_t>((*message)[1]));
  co_return parse_dns_response(*message, id, name, type, out);
}

}  // namespace tsproxy::lambda
