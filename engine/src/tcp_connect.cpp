#include "tsproxy/engine/tcp_connect.hpp"

#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy {

asio::awaitable<std::error_code> connect_tcp(asio::ip::tcp::socket& socket,
                                             asio::ip::tcp::endpoint endpoint) {
  auto [ec] = co_await socket.async_connect(endpoint, use_tuple);
  co_return ec;
}

}  // namespace tsproxy
