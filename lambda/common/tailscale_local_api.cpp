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
constexpr std::string_view full_status_path = "/localapi/v0/status";
constexpr std::size_t max_answer_bytes = 1024 * 1024;
constexpr std::size_t max_full_status_bytes = 16 * 1024 * 1024;  // about a thousand bytes per peer
constexpr std::size_t max_health_messages = 8;                   // enough to say why; the rest only repeats
static_assert(tailscale_status_padding == simdjson::SIMDJSON_PADDING);

// tailscaled refuses any Host but this one (ipn/localapi), so a browser cannot be made to ask it.
std::string bodiless_request(std::string_view method, std::string_view path) {
  std::string request(method);
  request.push_back(' ');
  request.append(path);
  request.append(" HTTP/1.1\r\nHost: local-tailscaled.sock\r\nConnection: close\r\n");
  if (method == "POST") request.append("Content-Length: 0\r\n");
  request.append("\r\n");
  return request;
}

asio::awaitable<std::error_code> ask(unix_socket& socket, const std::string& socket_path,
                                     std::string_view path, std::string& body,
                                     std::string_view method = "GET",
                                     std::size_t max_bytes = max_answer_bytes) {
  if (auto [ec] =
          co_await socket.async_connect(asio::local::stream_protocol::endpoint(socket_path), use_tuple);
      ec)
    co_return ec;
  const auto request = bodiless_request(method, path);
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
  if (auto ec = co_await reader.read_body(body, max_bytes, unbounded, tailscale_status_padding)) co_return ec;
  if (reader.parser().response().status != 200)
    co_return make_error_code(engine_error::http_unexpected_status);
  co_return std::error_code{};
}

// Asks `path` by `until` and reads the answer with `parse`: http_bad_header when it is not that document.
template <typename Document, typename Parse>
asio::awaitable<std::error_code> ask_for(asio::any_io_executor executor, const std::string& socket_path,
                                         std::string_view method, std::string_view path,
                                         std::size_t max_bytes, time_point until, Parse parse,
                                         Document& out) {
  unix_socket socket(executor);
  std::string body;
  if (auto ec = co_await within({until, engine_error::request_deadline},
                                ask(socket, socket_path, path, body, method, max_bytes)))
    co_return ec;
  auto parsed = parse(body);
  if (!parsed) co_return make_error_code(engine_error::http_bad_header);
  out = std::move(*parsed);
  co_return std::error_code{};
}

simdjson::simdjson_result<simdjson::ondemand::document> iterate(simdjson::ondemand::parser& parser,
                                                                std::string_view json) {
  return parser.iterate(
      simdjson::padded_string_view(json.data(), json.size(), json.size() + tailscale_status_padding));
}

using json_value = simdjson::simdjson_result<simdjson::ondemand::value>;

// Calls `on_field(key, value)` for each member of the object `json`, in document order; false when `json`
// is no object or `on_field` says the document is not the one expected.
template <typename OnField>
bool for_each_field(std::string_view json, OnField on_field) {
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  simdjson::ondemand::object root;
  if (iterate(parser, json).get(doc) || doc.get_object().get(root)) return false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key) || !on_field(key, field.value())) return false;
  }
  return true;
}

// The strings of an array field (absent, null or not an array: none).
std::vector<std::string> strings_of(json_value value) {
  std::vector<std::string> out;
  simdjson::ondemand::array items;
  if (value.get_array().get(items)) return out;
  for (auto item : items) {
    std::string_view text;
    if (item.get_string().get(text)) break;
    out.emplace_back(text);
  }
  return out;
}

std::string string_of(json_value value) {
  std::string_view text;
  if (value.get_string().get(text)) return {};
  return std::string(text);
}

bool parse_node(json_value value, tailscale_node& out) {
  simdjson::ondemand::object node;
  if (value.get_object().get(node)) return false;
  for (auto field : node) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    if (key == "DNSName") {
      out.dns_name = string_of(field.value());
    } else if (key == "HostName") {
      out.host_name = string_of(field.value());
    } else if (key == "TailscaleIPs") {
      out.tailscale_ips = strings_of(field.value());
    } else if (key == "Online") {
      bool online = false;
      if (!field.value().get_bool().get(online)) out.online = online;
    } else if (key == "LastSeen") {
      out.last_seen = string_of(field.value());
    } else if (key == "CurAddr") {
      out.cur_addr = string_of(field.value());
    } else if (key == "Relay") {
      out.relay = string_of(field.value());
    }
  }
  return true;
}

}  // namespace

std::optional<tailscale_status> parse_tailscale_status(std::string_view json) {
  tailscale_status out;
  bool have_state = false;
  // Fields in document order (tailscaled writes BackendState before Health), each read once.
  const bool read = for_each_field(json, [&](std::string_view key, json_value value) {
    if (key == "BackendState") {
      std::string_view state;
      if (value.get_string().get(state)) return false;
      out.backend_state = state;
      have_state = true;
    } else if (key == "Health") {
      simdjson::ondemand::array messages;
      if (value.get_array().get(messages)) return true;  // null when healthy
      for (auto item : messages) {
        std::string_view message;
        if (item.get_string().get(message)) break;
        if (out.health.size() < max_health_messages) out.health.emplace_back(message);
      }
    } else if (key == "ExitNodeStatus") {
      simdjson::ondemand::object exit_node;
      if (value.get_object().get(exit_node)) return true;  // absent or null without one
      simdjson::ondemand::array prefixes;
      if (exit_node["TailscaleIPs"].get_array().get(prefixes)) return true;
      for (auto item : prefixes) {
        std::string_view prefix;
        if (item.get_string().get(prefix)) break;
        out.exit_node_ip = prefix.substr(0, prefix.find('/'));
        break;
      }
    }
    return true;
  });
  if (!read || !have_state) return std::nullopt;
  return out;
}

asio::awaitable<std::error_code> query_tailscale_status(asio::any_io_executor executor,
                                                        const std::string& socket_path, time_point until,
                                                        tailscale_status& out) {
  co_return co_await ask_for(executor, socket_path, "GET", status_path, max_answer_bytes, until,
                             parse_tailscale_status, out);
}

std::optional<tailscale_full_status> parse_tailscale_full_status(std::string_view json) {
  // Two passes: the basics through the one parser of them, then the nodes.
  auto basics = parse_tailscale_status(json);
  if (!basics) return std::nullopt;
  tailscale_full_status out{.basics = std::move(*basics)};
  const bool read = for_each_field(json, [&out](std::string_view key, json_value value) {
    if (key == "Version") {
      out.version = string_of(value);
    } else if (key == "Self") {
      parse_node(value, out.self);
    } else if (key == "Peer") {
      simdjson::ondemand::object peers;
      if (value.get_object().get(peers)) return true;  // null without a netmap
      for (auto peer : peers) {
        tailscale_node node;
        if (parse_node(peer.value(), node)) out.peers.push_back(std::move(node));
      }
    }
    return true;
  });
  if (!read) return std::nullopt;
  return out;
}

asio::awaitable<std::error_code> query_tailscale_full_status(asio::any_io_executor executor,
                                                             const std::string& socket_path, time_point until,
                                                             tailscale_full_status& out) {
  co_return co_await ask_for(executor, socket_path, "GET", full_status_path, max_full_status_bytes, until,
                             parse_tailscale_full_status, out);
}

std::optional<tailscale_ping_result> parse_tailscale_ping(std::string_view json) {
  tailscale_ping_result out;
  bool have_ip = false;
  const bool read = for_each_field(json, [&](std::string_view key, json_value value) {
    if (key == "IP") {
      out.ip = string_of(value);
      have_ip = true;
    } else if (key == "NodeName") {
      out.node_name = string_of(value);
    } else if (key == "Err") {
      out.err = string_of(value);
    } else if (key == "LatencySeconds") {
      double latency = 0;
      if (!value.get_double().get(latency)) out.latency_seconds = latency;
    } else if (key == "Endpoint") {
      out.endpoint = string_of(value);
    } else if (key == "DERPRegionID") {
      std::int64_t region = 0;
      if (!value.get_int64().get(region)) out.derp_region_id = static_cast<int>(region);
    } else if (key == "DERPRegionCode") {
      out.derp_region_code = string_of(value);
    }
    return true;
  });
  if (!read || !have_ip) return std::nullopt;
  return out;
}

asio::awaitable<std::error_code> ping_through_tailscale(asio::any_io_executor executor,
                                                        const std::string& socket_path, std::string_view ip,
                                                        time_point until, tailscale_ping_result& out) {
  // An IP literal needs no escaping; a disco ping shows the path (direct or DERP) the data takes.
  std::string path = "/localapi/v0/ping?ip=";
  path.append(ip);
  path.append("&type=disco");
  co_return co_await ask_for(executor, socket_path, "POST", path, max_answer_bytes, until,
                             parse_tailscale_ping, out);
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
