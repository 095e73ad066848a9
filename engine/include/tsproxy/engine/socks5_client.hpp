#pragma once
// The SOCKS5 handshake over a connected TCP socket: method negotiation, optional RFC 1929
// authentication, CONNECT. Reads exactly the reply bytes, so nothing of the tunnel is consumed.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <system_error>

#include "tsproxy/engine/engine_config.hpp"

namespace tsproxy {

// On success `bound`, when given, receives the reply's bound address (socks5::connect_reply_bound_address).
asio::awaitable<std::error_code> socks5_handshake(asio::ip::tcp::socket& socket,
                                                  const socks5_settings& settings, const std::string& host,
                                                  std::uint16_t port, asio::ip::address* bound = nullptr);

}  // namespace tsproxy
