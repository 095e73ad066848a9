#pragma once
// The Lambda Runtime API (2018-06-01) on 127.0.0.1:R, with the Extensions API and GET /local/stats
// on the same port. One coroutine per connection, HTTP/1.1 keep-alive; `next` long-polls the queue.
// Each execution environment has one; GET /local/stats answers for the whole emulator on every one.

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

#include "extensions_api.hpp"
#include "function_identity.hpp"
#include "server_connection.hpp"
#include "stream_relay.hpp"

namespace tsproxy::local {

class init_tracker;
class invocation_queue;

class runtime_api_server {
 public:
  struct settings {
    std::size_t max_result_bytes = 6 * 1024 * 1024;  // buffered /response payload limit
    std::size_t max_error_bytes = 1024 * 1024;       // /error and /init/error bodies
    stream_limits stream;
  };
  // Called once per /init/error with the error type header and the JSON body.
  using init_error_handler = std::function<void(std::string_view error_type, std::string_view body)>;
  // The JSON body of GET /local/stats.
  using stats_provider = std::function<std::string()>;

  runtime_api_server(asio::io_context& io, settings config, const function_identity& function,
                     invocation_queue& queue, init_tracker& init, extensions_api& extensions,
                     stats_provider stats, init_error_handler on_init_error);

  std::error_code listen(const asio::ip::tcp::endpoint& endpoint);
  std::uint16_t port() const;
  void start();
  void stop();
  // Coroutines of this server still running (the accept loop and the connections): the server and what
  // it refers to must outlive them.
  std::size_t live_coroutines() const noexcept { return live_; }

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);
  asio::awaitable<bool> route(server_connection& conn);
  asio::awaitable<bool> handle_next(server_connection& conn);
  asio::awaitable<bool> handle_result(server_connection& conn, std::string_view request_id, bool is_error);
  asio::awaitable<bool> handle_init_error(server_connection& conn);

  asio::io_context& io_;
  settings config_;
  const function_identity& function_;
  invocation_queue& queue_;
  init_tracker& init_;
  extensions_api& extensions_;
  stats_provider stats_;
  init_error_handler on_init_error_;
  asio::ip::tcp::acceptor acceptor_;
  bool runtime_seen_ = false;
  std::size_t live_ = 0;
};

}  // namespace tsproxy::local
