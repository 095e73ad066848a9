#pragma once
// Every knob of the engine in one struct, parsed once from TSPROXY_* environment variables.
// Tests build the struct directly.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tsproxy/engine/http_parser.hpp"

namespace tsproxy {

using std::chrono::milliseconds;

struct socks5_settings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 1055;
  std::string username;  // RFC 1929 authentication when non-empty
  std::string password;
  bool pipeline = false;  // greeting and CONNECT in one write (needs a server that reads ahead)
  // tailscaled answers 0x01 "general failure" both while it is starting and, once up, for every target
  // it cannot dial. Without a readiness probe (tailscaled's LocalAPI), 0x01 counts as "not ready yet"
  // only until the listener's first successful CONNECT, and only this long after start-up.
  milliseconds not_ready_window{10000};
};

struct timeout_settings {
  milliseconds connect{1000};  // TCP connect to the SOCKS5 listener
  milliseconds socks5{10000};  // SOCKS5 handshake, including the listener's dial to the target
  milliseconds tls_handshake{10000};
  milliseconds response_head{60000};  // from the request's first byte to the end of the response head
  milliseconds body_idle{60000};      // longest pause between two pieces of a response body
  milliseconds request{30000};        // whole exchange, when the caller gives no deadline of its own
};

struct pool_settings {
  bool enabled = true;
  std::size_t max_idle_per_target = 8;
  std::size_t max_idle_total = 64;
  // Below the 5 s keep-alive timeout of Node.js and Apache servers, so an idle connection is
  // retired before the server is likely to close it.
  milliseconds idle_timeout{4000};
  std::uint32_t max_requests_per_connection = 10000;
  milliseconds max_age{600000};
};

struct tls_settings {
  bool verify = true;
  std::string ca_file;  // explicit CA bundle; else SSL_CERT_FILE / SSL_CERT_DIR / system paths
};

struct engine_config {
  socks5_settings socks5;
  timeout_settings timeouts;
  pool_settings pool;
  tls_settings tls;
  http_limits http;
};

// The variables load_engine_config reads (documented in the README's configuration table).
namespace env_names {
inline constexpr const char* socks5_address = "TSPROXY_SOCKS5_ADDRESS";
inline constexpr const char* socks5_username = "TSPROXY_SOCKS5_USERNAME";
inline constexpr const char* socks5_password = "TSPROXY_SOCKS5_PASSWORD";
inline constexpr const char* socks5_pipeline = "TSPROXY_SOCKS5_PIPELINE";
inline constexpr const char* socks5_not_ready_window = "TSPROXY_SOCKS5_NOT_READY_WINDOW_MS";
inline constexpr const char* connect_timeout = "TSPROXY_CONNECT_TIMEOUT_MS";
inline constexpr const char* socks5_timeout = "TSPROXY_SOCKS5_TIMEOUT_MS";
inline constexpr const char* tls_timeout = "TSPROXY_TLS_HANDSHAKE_TIMEOUT_MS";
inline constexpr const char* head_timeout = "TSPROXY_RESPONSE_HEAD_TIMEOUT_MS";
inline constexpr const char* body_idle_timeout = "TSPROXY_BODY_IDLE_TIMEOUT_MS";
inline constexpr const char* request_timeout = "TSPROXY_REQUEST_TIMEOUT_MS";
inline constexpr const char* pool_enabled = "TSPROXY_POOL";
inline constexpr const char* pool_per_target = "TSPROXY_POOL_MAX_IDLE_PER_TARGET";
inline constexpr const char* pool_total = "TSPROXY_POOL_MAX_IDLE_TOTAL";
inline constexpr const char* pool_idle_timeout = "TSPROXY_POOL_IDLE_TIMEOUT_MS";
inline constexpr const char* pool_max_requests = "TSPROXY_POOL_MAX_REQUESTS";
inline constexpr const char* pool_max_age = "TSPROXY_POOL_MAX_AGE_MS";
inline constexpr const char* tls_verify = "TSPROXY_TLS_VERIFY";
inline constexpr const char* tls_ca_file = "TSPROXY_TLS_CA_FILE";
inline constexpr const char* node_tls_reject = "NODE_TLS_REJECT_UNAUTHORIZED";
inline constexpr const char* max_head_bytes = "TSPROXY_MAX_HEADER_BYTES";
inline constexpr const char* max_header_count = "TSPROXY_MAX_HEADER_COUNT";
}  // namespace env_names

// Reads one environment variable; returns nullptr when unset. Tests pass their own.
using env_lookup = std::function<const char*(const char*)>;
const char* process_env(const char* name);

// Parses TSPROXY_* variables over the defaults. On a bad value returns nullopt and sets `error`
// to a sentence naming the variable and what it accepts.
std::optional<engine_config> load_engine_config(const env_lookup& env, std::string& error);

// Shared parsers for other configuration layers (the Lambda runtime's own variables).
bool parse_bool(std::string_view text, bool& out);
bool parse_uint(std::string_view text, std::uint64_t min, std::uint64_t max, std::uint64_t& out);
bool parse_host_port(std::string_view text, std::string& host, std::uint16_t& port);

// Applies TSPROXY_* style variables to a configuration: each setter leaves `out` alone when the variable
// is unset or empty, and records the first invalid value in `error` as a sentence naming the variable.
class config_reader {
 public:
  config_reader(const env_lookup& env, std::string& error);

  void milliseconds_value(const char* name, milliseconds& out, std::uint64_t min = 1);
  template <typename Integer>
  void count_value(const char* name, Integer& out, std::uint64_t min, std::uint64_t max) {
    std::uint64_t value = 0;
    if (const char* text = lookup(name)) {
      if (parse_uint(text, min, max, value))
        out = static_cast<Integer>(value);
      else
        fail(name, text, "a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    }
  }
  void bool_value(const char* name, bool& out);
  void string_value(const char* name, std::string& out);
  void host_port_value(const char* name, std::string& host, std::uint16_t& port);

  // The variable's value, or nullptr when unset or empty.
  const char* lookup(const char* name) const;
  // Records that `name` holds `value` where `expected` was wanted (only the first failure is kept).
  void fail(const char* name, std::string_view value, const std::string& expected);
  bool ok() const { return error_.empty(); }

 private:
  const env_lookup& env_;
  std::string& error_;
};

}  // namespace tsproxy
