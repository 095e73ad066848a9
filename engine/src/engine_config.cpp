#include "tsproxy/engine/engine_config.hpp"

#include <charconv>
#include <cstdlib>
#include <limits>

#include "tsproxy/engine/http_message.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy {

const char* process_env(const char* name) {
  return std::getenv(name);
}

bool parse_bool(std::string_view text, bool& out) {
  if (iequals(text, "1") || iequals(text, "true") || iequals(text, "yes") || iequals(text, "on")) {
    out = true;
    return true;
  }
  if (iequals(text, "0") || iequals(text, "false") || iequals(text, "no") || iequals(text, "off")) {
    out = false;
    return true;
  }
  return false;
}

bool parse_uint(std::string_view text, std::uint64_t min, std::uint64_t max, std::uint64_t& out) {
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty() || value < min || value > max) {
    return false;
  }
  out = value;
  return true;
}

bool parse_host_port(std::string_view text, std::string& host, std::uint16_t& port) {
  std::string_view h;
  std::string_view p;
  if (text.starts_with('[')) {  // [v6]:port
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return false;
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return false;
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  std::uint64_t value = 0;
  if (h.empty() || !parse_uint(p, 1, 65535, value)) return false;
  host.assign(h);
  port = static_cast<std::uint16_t>(value);
  return true;
}

config_reader::config_reader(const env_lookup& env, std::string& error) : env_(env), error_(error) {}

const char* config_reader::lookup(const char* name) const {
  const char* v = env_(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}

void config_reader::fail(const char* name, std::string_view value, const std::string& expected) {
  if (!error_.empty()) return;
  error_ = std::string(name) + "='" + std::string(value.substr(0, 64)) + "' is invalid: expected " + expected;
}

void config_reader::milliseconds_value(const char* name, milliseconds& out, std::uint64_t min) {
  std::uint64_t value = 0;
  if (const char* text = lookup(name)) {
    if (parse_uint(text, min, 86'400'000, value))
      out = milliseconds(value);
    else
      fail(name, text, "a whole number of milliseconds from " + std::to_string(min) + " to 86400000");
  }
}

void config_reader::bool_value(const char* name, bool& out) {
  if (const char* text = lookup(name)) {
    if (!parse_bool(text, out)) fail(name, text, "true or false");
  }
}

void config_reader::string_value(const char* name, std::string& out) {
  if (const char* text = lookup(name)) out = text;
}

void config_reader::host_port_value(const char* name, std::string& host, std::uint16_t& port) {
  if (const char* text = lookup(name)) {
    if (!parse_host_port(text, host, port))
      fail(name, text, "host:port, for example 127.0.0.1:1055 or [::1]:1055");
  }
}

std::optional<engine_config> load_engine_config(const env_lookup& env, std::string& error) {
  engine_config c;
  config_reader r(env, error);
  r.host_port_value(env_names::socks5_address, c.socks5.host, c.socks5.port);
  r.string_value(env_names::socks5_username, c.socks5.username);
  r.string_value(env_names::socks5_password, c.socks5.password);
  r.bool_value(env_names::socks5_pipeline, c.socks5.pipeline);
  r.milliseconds_value(env_names::socks5_not_ready_window, c.socks5.not_ready_window, 0);
  if (c.socks5.host != "localhost" && !is_ip_literal(c.socks5.host)) {
    error = std::string(env_names::socks5_address) + " must name an IP address or localhost, not '" +
            c.socks5.host + "'";
    return std::nullopt;
  }
  if (c.socks5.username.size() > 255 || c.socks5.password.size() > 255) {
    error = "TSPROXY_SOCKS5_USERNAME and TSPROXY_SOCKS5_PASSWORD must be at most 255 bytes each";
    return std::nullopt;
  }

  r.milliseconds_value(env_names::connect_timeout, c.timeouts.connect);
  r.milliseconds_value(env_names::socks5_timeout, c.timeouts.socks5);
  r.milliseconds_value(env_names::tls_timeout, c.timeouts.tls_handshake);
  r.milliseconds_value(env_names::head_timeout, c.timeouts.response_head);
  r.milliseconds_value(env_names::body_idle_timeout, c.timeouts.body_idle);
  r.milliseconds_value(env_names::request_timeout, c.timeouts.request);

  r.bool_value(env_names::pool_enabled, c.pool.enabled);
  r.count_value(env_names::pool_per_target, c.pool.max_idle_per_target, 0, 10000);
  r.count_value(env_names::pool_total, c.pool.max_idle_total, 0, 100000);
  r.milliseconds_value(env_names::pool_idle_timeout, c.pool.idle_timeout);
  r.count_value(env_names::pool_max_requests, c.pool.max_requests_per_connection, 1,
                std::numeric_limits<std::uint32_t>::max());
  r.milliseconds_value(env_names::pool_max_age, c.pool.max_age);

  r.bool_value(env_names::tls_verify, c.tls.verify);
  // Parity with the Node proxy: NODE_TLS_REJECT_UNAUTHORIZED=0 turns verification off.
  if (const char* node = r.lookup(env_names::node_tls_reject);
      node != nullptr && std::string_view(node) == "0") {
    c.tls.verify = false;
  }
  r.string_value(env_names::tls_ca_file, c.tls.ca_file);

  r.count_value(env_names::max_head_bytes, c.http.max_head_bytes, 1024, 1024 * 1024);
  r.count_value(env_names::max_header_count, c.http.max_header_count, 8, 10000);
  if (!r.ok()) return std::nullopt;
  return c;
}

}  // namespace tsproxy
