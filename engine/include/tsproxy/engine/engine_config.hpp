#pragma once
// Every knob of the engine in one struct. The engine reads no environment: the runtime builds this
// from its configuration contract (lambda/config), tests build it directly.

#include <chrono>
#include <cstdint>
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
  std::string ca_file;  // CA bundle file or folder; empty: the system's bundle (tls_client_context)
};

struct engine_config {
  socks5_settings socks5;
  timeout_settings timeouts;
  pool_settings pool;
  tls_settings tls;
  http_limits http;
};

// Parsers of configuration text, shared with the Lambda side's readers.
bool parse_bool(std::string_view text, bool& out);
bool parse_uint(std::string_view text, std::uint64_t min, std::uint64_t max, std::uint64_t& out);
bool parse_host_port(std::string_view text, std::string& host, std::uint16_t& port);

}  // namespace tsproxy
