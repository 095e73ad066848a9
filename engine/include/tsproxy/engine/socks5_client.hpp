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

asio::awaitable<std::error_code> socks5_handshake(asio::ip::tcp::socket& socket,
                                                  const socks5_settings& settings, const std::string& host,
                                                  std::uint16_t port);

}  // namespace tsproxy
