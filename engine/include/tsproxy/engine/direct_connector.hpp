#pragma once
// Opens a connection straight to a host, not through the SOCKS5 listener: for the calls tsproxy makes on
// its own behalf outside the tailnet (AWS APIs). The name is resolved by dns_resolver (never by the C
// library), each address is tried in turn, every step within the deadline, then TLS (SNI, peer and host
// name verified as tls_client_context is configured) when the target wants it.

#include <asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <system_error>

#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/dns_resolver.hpp"
#include "tsproxy/engine/transport.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy {

class tls_client_context;

struct direct_settings {
  dns_settings dns;
  std::chrono::milliseconds connect_timeout{3000};  // per address
  std::chrono::milliseconds tls_handshake_timeout{10000};
};

// `target.host` is a name or an IP literal; `target.server_name` the TLS name (empty for an IP literal,
// which is then what the certificate must name). Fails with a dns_error, asio::error::timed_out (no
// address accepted the connection in time), the last address's connect error, tls_handshake_timeout, a
// TLS error, or request_deadline.
asio::awaitable<std::error_code> open_direct(const upstream_target& target, const direct_settings& settings,
                                             tls_client_context& tls, time_point deadline,
                                             std::unique_ptr<transport>& out);

}  // namespace tsproxy
