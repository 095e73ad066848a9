#pragma once
// The server side of one HTTP/1.1 connection: reads requests with the engine's http_reader and writes
// responses, each wait bounded by a deadline.
// Shared by the Function URL listener and the Runtime/Extensions API server.

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tsproxy/engine/http_message.hpp"
#include "tsproxy/engine/http_parser.hpp"
#include "tsproxy/engine/http_reader.hpp"

namespace tsproxy::local {

using steady_time = std::chrono::steady_clock::time_point;
inline constexpr steady_time no_deadline = steady_time::max();

class server_connection {
 public:
  server_connection(asio::ip::tcp::socket socket, http_limits limits);
  server_connection(const server_connection&) = delete;  // the reader reads through this object's socket
  server_connection& operator=(const server_connection&) = delete;

  asio::ip::tcp::socket& socket() noexcept { return socket_; }

  // Reads the head of the next request (bytes already buffered count). connection_closed on a clean
  // EOF between requests.
  asio::awaitable<std::error_code> read_head(steady_time until);
  const request_head& head() const noexcept { return reader_.parser().request(); }
  const http_parser& parser() const noexcept { return reader_.parser(); }
  bool keep_alive() const noexcept { return reader_.parser().keep_alive(); }

  // The next piece of the (de-chunked) body: a view into the read buffer, valid until the next call.
  // `done` turns true once the message is complete (the last call may give an empty piece).
  asio::awaitable<std::error_code> read_body_piece(std::string_view& piece, bool& done, steady_time until);

  // The whole body into `out`; stops with http_body_too_large once it would exceed `limit`.
  asio::awaitable<std::error_code> read_body(std::string& out, std::size_t limit, steady_time until);

  // Reads and drops the rest of the body.
  asio::awaitable<std::error_code> discard_body(steady_time until);

  asio::awaitable<std::error_code> write(std::string_view bytes, steady_time until);
  asio::awaitable<std::error_code> write(std::vector<asio::const_buffer> buffers, steady_time until);

  // A complete response with Content-Length (`body` omitted for HEAD when `send_body` is false; then a
  // Content-Length already among `headers` is kept instead of the body's).
  asio::awaitable<std::error_code> respond(int status, const std::vector<header_view>& headers,
                                           std::string_view body, bool keep_alive, steady_time until,
                                           bool send_body = true);

  // respond() with Content-Type: application/json, then `extra`.
  asio::awaitable<std::error_code> respond_json(int status, std::string_view body, bool keep_alive,
                                                steady_time until, std::vector<header_view> extra = {});

  // Half-closes, drains what the peer still sends for a moment (so it reads our answer rather than a
  // reset), then closes.
  asio::awaitable<void> linger_close(std::chrono::milliseconds max_wait, std::size_t max_bytes);

  void close() noexcept;

 private:
  asio::ip::tcp::socket socket_;
  http_reader reader_;
};

}  // namespace tsproxy::local
