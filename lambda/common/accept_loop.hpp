#pragma once
// The accept loop every listener runs. When the process or the system runs out of descriptors or
// memory, accept fails at once for as long as the shortage lasts: the loop then waits before the next
// attempt (doubling up to a cap, back to the start after a success) instead of spinning a core, and
// reports the shortage once per episode. It ends when the acceptor is closed.

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <system_error>

namespace tsproxy::lambda {

// The waits after accept failures that mean a shortage (see is_accept_shortage).
struct accept_backoff {
  std::chrono::milliseconds first{10};
  std::chrono::milliseconds cap{1000};
};

// EMFILE, ENFILE, ENOBUFS, ENOMEM: failures that repeat until something else frees resources.
bool is_accept_shortage(std::error_code ec) noexcept;

// Called with each accepted connection.
using connection_handler = std::function<void(asio::ip::tcp::socket)>;
// Called once when a shortage begins, with the first failure; none means a warning in the log.
using shortage_report = std::function<void(std::error_code)>;

// Accepts on `acceptor` until it is closed. Failures other than a shortage (a connection reset
// before it was accepted) are retried at once.
asio::awaitable<void> accept_connections(asio::ip::tcp::acceptor& acceptor, connection_handler on_connection,
                                         shortage_report on_shortage = {}, accept_backoff backoff = {});

}  // namespace tsproxy::lambda
