#include "server_connection.hpp"

#include <algorithm>
#include <array>
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <cstring>

#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_writer.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::local {

namespace {

asio::awaitable<std::error_code> read_some(asio::ip::tcp::socket& socket, asio::mutable_buffer into,
                                           std::size_t& got) {
  auto [ec, n] = co_await socket.async_read_some(into, use_tuple);
  got = n;
  co_return ec;
}

asio::awaitable<std::error_code> write_buffers(asio::ip::tcp::socket& socket,
                                               std::vector<asio::const_buffer> buffers) {
  auto [ec, n] = co_await asio::async_write(socket, buffers, use_tuple);
  co_return ec;
}

// Runs `op` under `until` (no timer at all when there is no deadline).
asio::awaitable<std::error_code> bounded(steady_time until, asio::awaitable<std::error_code> op) {
  if (until == no_deadline) co_return co_await std::move(op);
  const phase_bound bound{until, engine_error::request_deadline};
  co_return co_await within(bound, std::move(op));
}

phase_bound bound_by(steady_time until) noexcept {
  return until == no_deadline ? unbounded : phase_bound{until, engine_error::request_deadline};
}

}  // namespace

server_connection::server_connection(asio::ip::tcp::socket socket, http_limits limits)
    : socket_(std::move(socket)),
      reader_(http_parser::kind::request, limits,
              [this](asio::mutable_buffer into, std::size_t& got) { return read_some(socket_, into, got); }) {
}

asio::awaitable<std::error_code> server_connection::read_head(steady_time until) {
  co_return co_await reader_.read_head(bound_by(until));
}

asio::awaitable<std::error_code> server_connection::read_body_piece(std::string_view& piece, bool& done,
                                                                    steady_time until) {
  co_return co_await reader_.read_body_piece(piece, done, bound_by(until));
}

asio::awaitable<std::error_code> server_connection::read_body(std::string& out, std::size_t limit,
                                                              steady_time until) {
  co_return co_await reader_.read_body(out, limit, bound_by(until));
}

asio::awaitable<std::error_code> server_connection::discard_body(steady_time until) {
  co_return co_await reader_.discard_body(bound_by(until));
}

asio::awaitable<std::error_code> server_connection::write(std::string_view bytes, steady_time until) {
  // (Vectors are filled before co_await: GCC 12 miscompiles initializer lists inside co_await expressions.)
  std::vector<asio::const_buffer> buffers;
  buffers.push_back(asio::buffer(bytes));
  co_return co_await write(std::move(buffers), until);
}

asio::awaitable<std::error_code> server_connection::write(std::vector<asio::const_buffer> buffers,
                                                          steady_time until) {
  co_return co_await bounded(until, write_buffers(socket_, std::move(buffers)));
}

asio::awaitable<std::error_code> server_connection::respond(int status,
                                                            const std::vector<header_view>& headers,
                                                            std::string_view body, bool keep_alive,
                                                            steady_time until, bool send_body) {
  std::vector<header_view> all = headers;
  const std::string length = std::to_string(body.size());
  const bool has_length = std::any_of(headers.begin(), headers.end(),
                                      [](const header_view& h) { return iequals(h.name, "Content-Length"); });
  if (send_body || !has_length) all.push_back({"Content-Length", length});
  if (!keep_alive) all.push_back({"Connection", "close"});
  std::string head;
  append_response_head(head, status, {}, all);
  if (!send_body || body.empty()) co_return co_await write(head, until);
  std::vector<asio::const_buffer> buffers;
  buffers.push_back(asio::buffer(head));
  buffers.push_back(asio::buffer(body));
  co_return co_await write(std::move(buffers), until);
}

asio::awaitable<std::error_code> server_connection::respond_json(int status, std::string_view body,
                                                                 bool keep_alive, steady_time until,
                                                                 std::vector<header_view> extra) {
  static constexpr std::string_view content_type = "Content-Type";
  static constexpr std::string_view json = "application/json";
  extra.insert(extra.begin(), header_view{content_type, json});
  co_return co_await respond(status, extra, body, keep_alive, until);
}

asio::awaitable<void> server_connection::linger_close(std::chrono::milliseconds max_wait,
                                                      std::size_t max_bytes) {
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  const auto until = std::chrono::steady_clock::now() + max_wait;
  std::size_t drained = 0;
  std::array<char, 16 * 1024> sink;
  while (drained < max_bytes) {
    std::size_t got = 0;
    const auto ec = co_await bounded(until, read_some(socket_, asio::buffer(sink), got));
    drained += got;
    if (ec) break;
  }
  close();
}

void server_connection::close() noexcept {
  std::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace tsproxy::local
