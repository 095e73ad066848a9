#pragma once
// The emulator's listening sockets (the Function URL and the Runtime/Extensions API): how they are
// opened and how their connections are accepted.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <string>
#include <system_error>

#include "common/accept_loop.hpp"

namespace tsproxy::local {

// Opens, binds and listens `acceptor` on `endpoint` (address reuse on, the system's backlog).
std::error_code open_acceptor(asio::ip::tcp::acceptor& acceptor, const asio::ip::tcp::endpoint& endpoint);

// Accepts on `acceptor` until it is closed (lambda::accept_connections), with Nagle's algorithm off on
// each connection so that responses leave as they are written; a shortage of descriptors is logged
// once per episode as an "accept_backoff" event naming `listener`.
asio::awaitable<void> accept_on(asio::ip::tcp::acceptor& acceptor, std::string listener,
                                lambda::connection_handler on_connection);

}  // namespace tsproxy::local
