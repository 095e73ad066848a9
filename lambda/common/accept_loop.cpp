#include "common/accept_loop.hpp"

#include <algorithm>
#include <asio/error.hpp>
#include <asio/steady_timer.hpp>
#include <cerrno>

#include "common/log.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::lambda {

bool is_accept_shortage(std::error_code ec) noexcept {
  // Asio reports errno values in its own system category (which maps no condition for ENFILE).
  if (ec.category() != asio::error::get_system_category() && ec.category() != std::system_category())
    return false;
  const int e = ec.value();
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

asio::awaitable<void> accept_connections(asio::ip::tcp::acceptor& acceptor, connection_handler on_connection,
                                         shortage_report on_shortage, accept_backoff backoff) {
  asio::steady_timer pause(acceptor.get_executor());
  auto wait = std::chrono::milliseconds::zero();  // zero: not in a shortage
  while (acceptor.is_open()) {
    auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (!ec) {
      wait = std::chrono::milliseconds::zero();
      on_connection(std::move(socket));
      continue;
    }
    if (!is_accept_shortage(ec)) continue;
    if (wait == std::chrono::milliseconds::zero()) {
      if (on_shortage) {
        on_shortage(ec);
      } else {
        const auto error = ec.message();
        log(log_level::warn, "accept: out of descriptors or memory, backing off", {{"error", error}});
      }
      wait = backoff.first;
    } else {
      wait = std::min(wait * 2, backoff.cap);
    }
    pause.expires_after(wait);
    co_await pause.async_wait(use_tuple);
  }
}

}  // namespace tsproxy::lambda
