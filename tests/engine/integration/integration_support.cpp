#include "integration_support.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <asio/detached.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/ssl.hpp>
#include <asio/this_coro.hpp>
#include <asio/write.hpp>
#include <thread>

#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::integration {

namespace {

using asio::ip::tcp;

std::uint16_t bound_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::system_error(errno, std::generic_category(), "getsockname");
  }
  return ntohs(address.sin_port);
}

test::unique_fd listen_loopback(int backlog) {
  test::unique_fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd.get(), backlog) != 0) {
    throw std::system_error(errno, std::generic_category(), "bind/listen");
  }
  return fd;
}

tcp::acceptor loopback_acceptor(asio::io_context& io) {
  return tcp::acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
}

// Spawns a server coroutine; a server coroutine that throws is a bug in the test itself.
void spawn_server(asio::io_context& io, asio::awaitable<void> work) {
  asio::co_spawn(io, std::move(work), [](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        ADD_FAILURE() << "in-process test server threw: " << ex.what();
      }
    }
  });
}

}  // namespace

void run_all(asio::io_context& io, std::vector<asio::awaitable<void>> work, milliseconds cap) {
  std::size_t remaining = work.size();
  std::exception_ptr first_error;
  for (auto& w : work) {
    asio::co_spawn(io, std::move(w), [&](std::exception_ptr e) {
      --remaining;
      if (e && !first_error) first_error = e;
    });
  }
  const auto until = std::chrono::steady_clock::now() + cap;
  io.restart();
  while (remaining > 0 && std::chrono::steady_clock::now() < until) {
    if (io.run_one_until(until) == 0 && io.stopped()) io.restart();
  }
  if (remaining > 0) {
    throw std::runtime_error(std::to_string(remaining) + " test coroutines still running after " +
                             std::to_string(cap.count()) + " ms (wall-clock cap)");
  }
  if (first_error) std::rethrow_exception(first_error);
}

void run_for(asio::io_context& io, milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  io.restart();
  while (std::chrono::steady_clock::now() < until) {
    if (io.run_one_until(until) == 0) {
      std::this_thread::sleep_until(until);  // nothing else to run: just wait
    }
  }
}

void run_until(asio::io_context& io, const std::function<bool()>& done, milliseconds cap) {
  const auto until = std::chrono::steady_clock::now() + cap;
  io.restart();
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until)
      throw std::runtime_error("state not reached after " + std::to_string(cap.count()) + " ms");
    if (io.run_one_until(until) == 0 && io.stopped()) io.restart();
  }
}

engine_config config_via(const std::string& socks_host, std::uint16_t socks_port) {
  engine_config config;
  config.socks5.host = socks_host;
  config.socks5.port = socks_port;
  return config;
}

upstream_target http_target(std::uint16_t port) {
  return {test::loopback_ipv4, port, false, ""};
}

upstream_target https_target(std::uint16_t port, std::string server_name) {
  return {test::loopback_ipv4, port, true, std::move(server_name)};
}

asio::awaitable<fetch_result> fetch(upstream_client& client, upstream_target target, http_request request,
                                    milliseconds budget) {
  fetch_result result;
  const auto start = steady_clock::now();
  result.error = co_await client.exchange(target, request, result.response, start + budget, &result.report);
  result.elapsed = std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  co_return result;
}

asio::awaitable<fetch_result> get(upstream_client& client, upstream_target target, std::string path,
                                  milliseconds budget) {
  http_request request;
  request.method = "GET";
  request.target = std::move(path);
  co_return co_await fetch(client, std::move(target), request, budget);
}

std::string describe(std::error_code ec) {
  if (!ec) return "success";
  return std::string(error_name(ec)) + " (" + ec.category().name() + ":" + std::to_string(ec.value()) + " " +
         ec.message() + ")";
}

shared_peers::shared_peers()
    : nginx(test::nginx_options{// keepalive_timeout follows the location of a connection's last request.
                                "    location = /short-keepalive { keepalive_timeout 1s; default_type "
                                "text/plain; return 200 \"short\\n\"; }\n"}),
      dante_blocked_port(test::free_tcp_port()),
      dante(test::dante_options{{dante_blocked_port}}) {}

shared_peers& shared_peers::get() {
  static shared_peers peers;
  return peers;
}

std::string byte_pattern(std::size_t n) {
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i % 256);
  return out;
}

// --- silent_listener / full_backlog_listener ---

silent_listener::silent_listener() : fd_(listen_loopback(128)), port_(bound_port(fd_.get())) {}

full_backlog_listener::full_backlog_listener() : fd_(listen_loopback(0)), port_(bound_port(fd_.get())) {
  // With backlog 0 the accept queue holds one connection; a few non-blocking connects fill it (the
  // extra ones stay in SYN_SENT, which is harmless).
  for (int i = 0; i < 3; ++i) {
    test::unique_fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port_);
    (void)::connect(s.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
    fillers_.push_back(std::move(s));
  }
  // Wait until a filler's handshake completed (it is writable): it then occupies the accept queue.
  const bool queued = test::wait_until([&] {
    for (const auto& s : fillers_) {
      pollfd p{s.get(), POLLOUT, 0};
      if (::poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) != 0) return true;
    }
    return false;
  });
  if (!queued) throw std::runtime_error("full_backlog_listener: no connection reached the accept queue");
}

// --- fake_socks5_server ---

struct fake_socks5_server::state {
  explicit state(asio::io_context& io) : acceptor(loopback_acceptor(io)) {}
  tcp::acceptor acceptor;
  int failures = 0;
  std::uint8_t failure_code = 0x01;
  fake_socks5_server::then after = fake_socks5_server::then::relay;
  int connects = 0;
  int failures_sent = 0;
};

namespace {

asio::awaitable<void> relay(tcp::socket& from, tcp::socket& to) {
  std::array<char, 16384> buffer;
  for (;;) {
    auto [read_error, n] = co_await from.async_read_some(asio::buffer(buffer), use_tuple);
    if (read_error) break;
    auto [write_error, written] = co_await asio::async_write(to, asio::buffer(buffer.data(), n), use_tuple);
    if (write_error) break;
  }
  std::error_code ignored;
  to.shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> relay_pair(std::shared_ptr<tcp::socket> a, std::shared_ptr<tcp::socket> b) {
  // Two independent directions; each ends with a half-close of its destination.
  auto executor = co_await asio::this_coro::executor;
  asio::co_spawn(
      executor,
      [](std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to) -> asio::awaitable<void> {
        co_await relay(*from, *to);
      }(b, a),
      asio::detached);
  co_await relay(*a, *b);
}

asio::awaitable<void> serve_socks(std::shared_ptr<fake_socks5_server::state> s, tcp::socket client) {
  std::array<unsigned char, 262> buffer{};
  // Greeting: VER NMETHODS METHODS...
  if (auto [ec, n] = co_await asio::async_read(client, asio::buffer(buffer, 2), use_tuple); ec) co_return;
  if (auto [ec, n] = co_await asio::async_read(client, asio::buffer(buffer, buffer[1]), use_tuple); ec)
    co_return;
  const unsigned char no_auth[] = {5, 0};
  if (auto [ec, n] = co_await asio::async_write(client, asio::buffer(no_auth), use_tuple); ec) co_return;
  // CONNECT: VER CMD RSV ATYP=1 ADDR(4) PORT(2)
  if (auto [ec, n] = co_await asio::async_read(client, asio::buffer(buffer, 10), use_tuple); ec) co_return;
  ++s->connects;
  if (buffer[3] != 1 || (s->failures < 0 || s->failures_sent < s->failures)) {
    ++s->failures_sent;
    const unsigned char refused[] = {
        5, buffer[3] != 1 ? std::uint8_t{0x08} : s->failure_code, 0, 1, 0, 0, 0, 0, 0, 0};
    co_await asio::async_write(client, asio::buffer(refused), use_tuple);
    co_return;  // closes the connection, as real servers do after a failure reply
  }
  if (s->after == fake_socks5_server::then::hang) {
    co_await client.async_read_some(asio::buffer(buffer), use_tuple);  // until the client gives up
    co_return;
  }
  asio::ip::address_v4 address({buffer[4], buffer[5], buffer[6], buffer[7]});
  // A tailnet address (100.64.0.0/10) stands for a peer on this host: reached on loopback, as a peer's
  // port would be through the tailnet.
  if (is_tailnet_address(address.to_string())) address = asio::ip::address_v4::loopback();
  const std::uint16_t port = static_cast<std::uint16_t>(buffer[8] << 8 | buffer[9]);
  auto upstream = std::make_shared<tcp::socket>(client.get_executor());
  if (auto [ec] = co_await upstream->async_connect({address, port}, use_tuple); ec) {
    const unsigned char refused[] = {5, 5, 0, 1, 0, 0, 0, 0, 0, 0};
    co_await asio::async_write(client, asio::buffer(refused), use_tuple);
    co_return;
  }
  const unsigned char ok[] = {5, 0, 0, 1, 127, 0, 0, 1, buffer[8], buffer[9]};
  if (auto [ec, n] = co_await asio::async_write(client, asio::buffer(ok), use_tuple); ec) co_return;
  co_await relay_pair(std::make_shared<tcp::socket>(std::move(client)), upstream);
}

asio::awaitable<void> socks_accept_loop(std::shared_ptr<fake_socks5_server::state> s) {
  for (;;) {
    auto [ec, client] = co_await s->acceptor.async_accept(use_tuple);
    if (ec) co_return;  // closed by the owner
    asio::co_spawn(s->acceptor.get_executor(), serve_socks(s, std::move(client)), asio::detached);
  }
}

}  // namespace

fake_socks5_server::fake_socks5_server(asio::io_context& io, int failures, std::uint8_t failure_code,
                                       then after)
    : state_(std::make_shared<state>(io)) {
  state_->failures = failures;
  state_->failure_code = failure_code;
  state_->after = after;
  spawn_server(io, socks_accept_loop(state_));
}

fake_socks5_server::~fake_socks5_server() {
  std::error_code ignored;
  state_->acceptor.close(ignored);
}

std::uint16_t fake_socks5_server::port() const {
  return state_->acceptor.local_endpoint().port();
}
int fake_socks5_server::connects_seen() const {
  return state_->connects;
}
int fake_socks5_server::failures_sent() const {
  return state_->failures_sent;
}

// --- drop_second_request_origin ---

struct drop_second_request_origin::state {
  explicit state(asio::io_context& io) : acceptor(loopback_acceptor(io)) {}
  tcp::acceptor acceptor;
  int connections = 0;
  int requests = 0;
};

namespace {

// Reads one request head and its Content-Length body; false when the client went away.
asio::awaitable<bool> read_request(tcp::socket& socket, std::string& in) {
  auto [ec, head_size] =
      co_await asio::async_read_until(socket, asio::dynamic_buffer(in), "\r\n\r\n", use_tuple);
  if (ec) co_return false;
  std::string head = in.substr(0, head_size);
  in.erase(0, head_size);
  std::size_t length = 0;
  for (std::size_t at = 0; (at = head.find("\r\n", at)) != std::string::npos;) {
    at += 2;
    if (head.compare(at, 15, "Content-Length:") == 0 || head.compare(at, 15, "content-length:") == 0) {
      length = std::stoul(head.substr(at + 15));
    }
  }
  if (in.size() < length) {
    auto [body_error, n] = co_await asio::async_read(socket, asio::dynamic_buffer(in),
                                                     asio::transfer_exactly(length - in.size()), use_tuple);
    if (body_error) co_return false;
  }
  in.erase(0, length);
  co_return true;
}

asio::awaitable<void> serve_drop_second(std::shared_ptr<drop_second_request_origin::state> s,
                                        tcp::socket socket) {
  std::string in;
  for (int on_connection = 1;; ++on_connection) {
    if (!co_await read_request(socket, in)) co_return;
    ++s->requests;
    if (on_connection > 1) co_return;  // close without a response byte
    constexpr std::string_view ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    if (auto [ec, n] = co_await asio::async_write(socket, asio::buffer(ok), use_tuple); ec) co_return;
  }
}

asio::awaitable<void> drop_second_accept_loop(std::shared_ptr<drop_second_request_origin::state> s) {
  for (;;) {
    auto [ec, socket] = co_await s->acceptor.async_accept(use_tuple);
    if (ec) co_return;
    ++s->connections;
    asio::co_spawn(s->acceptor.get_executor(), serve_drop_second(s, std::move(socket)), asio::detached);
  }
}

}  // namespace

drop_second_request_origin::drop_second_request_origin(asio::io_context& io)
    : state_(std::make_shared<state>(io)) {
  spawn_server(io, drop_second_accept_loop(state_));
}

drop_second_request_origin::~drop_second_request_origin() {
  std::error_code ignored;
  state_->acceptor.close(ignored);
}

std::uint16_t drop_second_request_origin::port() const {
  return state_->acceptor.local_endpoint().port();
}
int drop_second_request_origin::connections() const {
  return state_->connections;
}
int drop_second_request_origin::requests() const {
  return state_->requests;
}

// --- tls_origin ---

struct tls_origin::state {
  state(asio::io_context& io, const std::filesystem::path& cert, const std::filesystem::path& key)
      : acceptor(loopback_acceptor(io)), context(asio::ssl::context::tls_server) {
    context.use_certificate_chain_file(cert.string());
    context.use_private_key_file(key.string(), asio::ssl::context::pem);
  }
  tcp::acceptor acceptor;
  asio::ssl::context context;
  int handshakes = 0;
};

namespace {

asio::awaitable<void> serve_tls(std::shared_ptr<tls_origin::state> s, tcp::socket socket) {
  asio::ssl::stream<tcp::socket> stream(std::move(socket), s->context);
  if (auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, use_tuple); ec) co_return;
  ++s->handshakes;
  std::string in;
  for (;;) {
    auto [ec, head_size] =
        co_await asio::async_read_until(stream, asio::dynamic_buffer(in), "\r\n\r\n", use_tuple);
    if (ec) co_return;
    in.erase(0, head_size);
    constexpr std::string_view ok = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\ntls ok";
    if (auto [write_error, n] = co_await asio::async_write(stream, asio::buffer(ok), use_tuple); write_error)
      co_return;
  }
}

asio::awaitable<void> tls_accept_loop(std::shared_ptr<tls_origin::state> s) {
  for (;;) {
    auto [ec, socket] = co_await s->acceptor.async_accept(use_tuple);
    if (ec) co_return;
    asio::co_spawn(s->acceptor.get_executor(), serve_tls(s, std::move(socket)), asio::detached);
  }
}

}  // namespace

tls_origin::tls_origin(asio::io_context& io, const std::filesystem::path& cert,
                       const std::filesystem::path& key)
    : state_(std::make_shared<state>(io, cert, key)) {
  spawn_server(io, tls_accept_loop(state_));
}

tls_origin::~tls_origin() {
  std::error_code ignored;
  state_->acceptor.close(ignored);
}

std::uint16_t tls_origin::port() const {
  return state_->acceptor.local_endpoint().port();
}
int tls_origin::handshakes_completed() const {
  return state_->handshakes;
}

std::string socks_name(const ::testing::TestParamInfo<socks_kind>& info) {
  return info.param == socks_kind::microsocks ? "microsocks" : "dante";
}

}  // namespace tsproxy::integration
