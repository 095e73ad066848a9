#pragma once
// Connects a TCP socket to one endpoint, its outcome an error code (refused, unreachable, cancelled)
// rather than an exception. It sets no timer: callers bound it with within() by their own deadline.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <system_error>

namespace tsproxy {

// `endpoint` is taken by value: the coroutine outlives a temporary bound to a reference.
asio::awaitable<std::error_code> connect_tcp(asio::ip::tcp::socket& socket, asio::ip::tcp::endpoint endpoint);

}  // namespace tsproxy
