#include "listener.hpp"

#include "common/log.hpp"

namespace tsproxy::local {

std::error_code open_acceptor(asio::ip::tcp::acceptor& acceptor, const asio::ip::tcp::endpoint& endpoint) {
  std::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

asio::awaitable<void> accept_on(asio::ip::tcp::acceptor& acceptor, std::string listener,
                                lambda::connection_handler on_connection) {
  co_await lambda::accept_connections(
      acceptor,
      [&on_connection](asio::ip::tcp::socket socket) {
        std::error_code ignored;
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);
        on_connection(std::move(socket));
      },
      [&listener](std::error_code ec) {
        lambda::log(lambda::log_level::warn, "accept_backoff",
                    {{"listener", listener}, {"error", ec.message()}});
      });
}

}  // namespace tsproxy::local
