#include "config/engine_environment.hpp"

#include <filesystem>

#include "config/config_reader.hpp"
#include "config/numeric_endpoint.hpp"

namespace tsproxy {

std::string ca_source_from_environment(const env_lookup& env) {
  std::string error;  // text variables without bounds cannot fail
  config::config_reader r(env, error);
  std::error_code ec;
  if (const char* file = r.lookup(config::vars::ssl_cert_file);
      file != nullptr && std::filesystem::is_regular_file(file, ec))
    return file;
  if (const char* dir = r.lookup(config::vars::ssl_cert_dir);
      dir != nullptr && std::filesystem::is_directory(dir, ec))
    return dir;
  return {};
}

std::optional<engine_config> load_engine_config(const env_lookup& env, std::string& error) {
  namespace vars = config::vars;
  engine_config c;
  config::config_reader r(env, error);
  if (const char* text = r.value_or_default(vars::socks5_address)) {
    asio::ip::tcp::endpoint listener;
    if (lambda::parse_numeric_endpoint(text, listener)) {
      c.socks5.host = listener.address().to_string();
      c.socks5.port = listener.port();
    } else {
      r.fail(vars::socks5_address, text);
    }
  }
  r.text(vars::socks5_username, c.socks5.username);
  r.text(vars::socks5_password, c.socks5.password);
  r.flag(vars::socks5_pipeline, c.socks5.pipeline);
  r.milliseconds(vars::socks5_not_ready_window, c.socks5.not_ready_window);

  r.milliseconds(vars::connect_timeout, c.timeouts.connect);
  r.milliseconds(vars::socks5_timeout, c.timeouts.socks5);
  r.milliseconds(vars::tls_handshake_timeout, c.timeouts.tls_handshake);
  r.milliseconds(vars::response_head_timeout, c.timeouts.response_head);
  r.milliseconds(vars::body_idle_timeout, c.timeouts.body_idle);
  r.milliseconds(vars::request_timeout, c.timeouts.request);

  r.flag(vars::pool, c.pool.enabled);
  r.count(vars::pool_max_idle_per_target, c.pool.max_idle_per_target);
  r.count(vars::pool_max_idle_total, c.pool.max_idle_total);
  r.milliseconds(vars::pool_idle_timeout, c.pool.idle_timeout);
  r.count(vars::pool_max_requests, c.pool.max_requests_per_connection);
  r.milliseconds(vars::pool_max_age, c.pool.max_age);

  r.flag(vars::tls_verify, c.tls.verify);
  // Parity with the Node proxy: NODE_TLS_REJECT_UNAUTHORIZED=0 turns verification off.
  if (const char* node = r.lookup(vars::node_tls_reject_unauthorized);
      node != nullptr && std::string_view(node) == "0") {
    c.tls.verify = false;
  }
  r.text(vars::tls_ca_file, c.tls.ca_file);
  if (c.tls.ca_file.empty()) c.tls.ca_file = ca_source_from_environment(env);

  r.count(vars::max_header_bytes, c.http.max_head_bytes);
  r.count(vars::max_header_count, c.http.max_header_count);
  if (!r.ok()) return std::nullopt;
  return c;
}

}  // namespace tsproxy
