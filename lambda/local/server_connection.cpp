#include "server_connection.hpp"

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

}  // namespace

server_connection::server_connection(asio::ip::tcp::socket socket, http_limits limits,
                                     std::size_t buffer_bytes)
    : socket_(std::move(socket)), parser_(http_parser::kind::request, limits), buffer_(buffer_bytes) {}

asio::awaitable<std::error_code> server_connection::fill(steady_time until) {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (end_ == buffer_.size()) co_return engine_error::http_header_too_large;
  std::size_t got = 0;
  const auto ec = co_await bounded(
      until, read_some(socket_, asio::buffer(buffer_.data() + end_, buffer_.size() - end_), got));
  end_ += got;
  if (ec == asio::error::eof) {
    const auto eof_ec = parser_.finish_eof();  // connection_closed between requests, else truncated
    co_return eof_ec ? eof_ec : make_error_code(engine_error::http_truncated);
  }
  co_return ec;
}

asio::awaitable<std::error_code> server_connection::read_head(steady_time until) {
  parser_.reset();
  for (;;) {
    std::error_code ec;
    const auto step = parser_.parse(std::string_view(buffer_.data() + begin_, end_ - begin_), ec);
    begin_ += step.consumed;
    if (ec) co_return ec;
    if (step.what == http_parser::event::head) co_return std::error_code{};
    if (const auto read_ec = co_await fill(until)) co_return read_ec;
  }
}

asio::awaitable<std::error_code> server_connection::read_body_piece(std::string_view& piece, bool& done,
                                                                    steady_time until) {
  piece = {};
  done = false;
  for (;;) {
    std::error_code ec;
    const auto step = parser_.parse(std::string_view(buffer_.data() + begin_, end_ - begin_), ec);
    begin_ += step.consumed;
    if (ec) co_return ec;
    if (step.what == http_parser::event::body) {
      piece = step.body;
      co_return std::error_code{};
    }
    if (step.what == http_parser::event::done) {
      done = true;
      co_return std::error_code{};
    }
    if (const auto read_ec = co_await fill(until)) co_return read_ec;
  }
}

asio::awaitable<std::error_code> server_connection::read_body(std::string& out, std::size_t limit,
                                                              steady_time until) {
  out.clear();
  if (parser_.body_framing() == http_parser::framing::content_length) {
    if (parser_.content_length() > limit) co_return engine_error::http_body_too_large;
    out.reserve(static_cast<std::size_t>(parser_.content_length()));
  }
  for (;;) {
    std::string_view piece;
    bool done = false;
    if (const auto ec = co_await read_body_piece(piece, done, until)) co_return ec;
    if (done) co_return std::error_code{};
    if (out.size() + piece.size() > limit) co_return engine_error::http_body_too_large;
    out.append(piece);
  }
}

asio::awaitable<std::error_code> server_connection::discard_body(steady_time until) {
  for (;;) {
    std::string_view piece;
    bool done = false;
    if (const auto ec = co_await read_body_piece(piece, done, until)) co_return ec;
    if (done) co_return std::error_code{};
  }
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
  all.push_back({"Content-Length", length});
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
  while (drained < max_bytes) {
    std::size_t got = 0;
    const auto ec = co_await bounded(until, read_some(socket_, asio::buffer(buffer_), got));
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

std::error_code open_acceptor(asio::ip::tcp::acceptor& acceptor, const asio::ip::tcp::endpoint& endpoint) {
  std::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  return ec;
}

}  // namespace tsproxy::local
