#pragma once
// Shared pieces of the engine integration tests: a driver that runs one coroutine on a test's own
// io_context with a hard wall-clock cap, request helpers around upstream_client, the peers every
// suite shares, and small in-process servers for failures no real peer produces on demand (a SOCKS5
// listener that is "not ready", an origin that drops a reused connection, TLS with bad certificates).
//
// The in-process servers run as coroutines on the test's io_context, so they only make progress
// while run_until_done() drives it. Their state is shared with their coroutines, so destroying a
// server object while a coroutine is still parked is safe.

#include <gtest/gtest.h>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "support/peers.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/upstream_client.hpp"

namespace tsproxy::integration {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// Runs `work` on `io` until it finishes and returns its result (rethrowing its exception). Throws
// std::runtime_error when `cap` of wall-clock time passes first, so a hung engine fails the test
// instead of hanging the suite. Other coroutines on `io` (servers, stragglers) run meanwhile.
template <typename T>
T run_until_done(asio::io_context& io, asio::awaitable<T> work, milliseconds cap = 30s) {
  std::optional<T> result;
  std::exception_ptr error;
  bool done = false;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
    done = true;
    error = e;
    if (!e) result.emplace(std::move(value));
  });
  const auto until = std::chrono::steady_clock::now() + cap;
  io.restart();
  while (!done && std::chrono::steady_clock::now() < until) {
    if (io.run_one_until(until) == 0 && !done) {
      if (io.stopped() && std::chrono::steady_clock::now() < until) io.restart();
    }
  }
  if (!done) {
    throw std::runtime_error("test coroutine still running after " + std::to_string(cap.count()) +
                             " ms (wall-clock cap)");
  }
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

// Base of every integration test: its own single-threaded io_context, destroyed after everything the
// test body created, so engine objects never outlive the context their sockets belong to.
class io_fixture {
 protected:
  template <typename T>
  T run(asio::awaitable<T> work, milliseconds cap = 30s) {
    return run_until_done(io_, std::move(work), cap);
  }
  asio::io_context io_{1};
};

// Runs every coroutine of `work` concurrently on `io` until all finish; throws like run_until_done.
void run_all(asio::io_context& io, std::vector<asio::awaitable<void>> work, milliseconds cap = 30s);

// Lets `io` run its other coroutines for `d` (an idle pause during which servers still answer).
void run_for(asio::io_context& io, milliseconds d);

// Runs `io` until `done()` holds (checked after every handler); throws if it still does not after `cap`.
void run_until(asio::io_context& io, const std::function<bool()>& done, milliseconds cap = 30s);

// Engine settings that reach the SOCKS5 listener at host:port; everything else at its default.
engine_config config_via(const std::string& socks_host, std::uint16_t socks_port);

upstream_target http_target(std::uint16_t port);
// TLS to 127.0.0.1:port, verifying the certificate for `server_name` (SNI too).
upstream_target https_target(std::uint16_t port, std::string server_name = "localhost");

// One exchange's outcome, with the whole response buffered.
struct fetch_result {
  std::error_code error;
  buffered_response response{std::size_t{64} << 20};
  exchange_report report;
  milliseconds elapsed{};  // wall-clock time of the exchange call
};

// Sends `request` (its views must outlive the call) with a deadline of now + `budget`.
asio::awaitable<fetch_result> fetch(upstream_client& client, upstream_target target, http_request request,
                                    milliseconds budget = 10s);
asio::awaitable<fetch_result> get(upstream_client& client, upstream_target target, std::string path,
                                  milliseconds budget = 10s);

// "<name> (<category>:<value> <message>)" for assertion messages.
std::string describe(std::error_code ec);

// Real peers shared by every test in the process: started on first use (from the gtest main thread)
// and stopped at exit. Tests that need a peer in a special state start their own.
struct shared_peers {
  test::nginx_server nginx;  // also serves /short-keepalive (1 s keep-alive)
  test::python_upstream python;
  test::microsocks_server microsocks;
  std::uint16_t dante_blocked_port;  // dante answers 0x02 (not allowed) for CONNECTs to this port
  test::dante_server dante;

  static shared_peers& get();

 private:
  shared_peers();
};

// Tests that must hold through either SOCKS5 listener: parameterised on the relay.
enum class socks_kind { microsocks, dante };

std::string socks_name(const ::testing::TestParamInfo<socks_kind>& info);

class through_either_socks : public ::testing::TestWithParam<socks_kind>, protected io_fixture {
 protected:
  engine_config config() const {
    return GetParam() == socks_kind::microsocks
               ? config_via(peers_.microsocks.host(), peers_.microsocks.port())
               : config_via(peers_.dante.host(), peers_.dante.port());
  }
  shared_peers& peers_ = shared_peers::get();
};

// The bytes python_upstream's /bytes and /chunked endpoints send: byte i = i % 256.
std::string byte_pattern(std::size_t n);

// A TCP listener on 127.0.0.1 that never accepts: the kernel completes handshakes into its backlog,
// and whatever a client sends is never read or answered.
class silent_listener {
 public:
  silent_listener();
  std::uint16_t port() const noexcept { return port_; }

 private:
  test::unique_fd fd_;
  std::uint16_t port_ = 0;
};

// A listener whose accept queue is already full, so Linux drops new SYNs and connect() to it hangs
// in SYN_SENT: the one way to make a loopback TCP connect time out.
class full_backlog_listener {
 public:
  full_backlog_listener();
  std::uint16_t port() const noexcept { return port_; }

 private:
  test::unique_fd fd_;
  std::vector<test::unique_fd> fillers_;
  std::uint16_t port_ = 0;
};

// A minimal SOCKS5 server (no authentication, IPv4 CONNECT only). The first `failures` CONNECTs get
// reply `failure_code` and a close (failures < 0: every CONNECT); later ones are dialled and relayed.
class fake_socks5_server {
 public:
  // What a CONNECT gets once the failures are spent: relayed, or read and never answered.
  enum class then { relay, hang };
  fake_socks5_server(asio::io_context& io, int failures, std::uint8_t failure_code = 0x01,
                     then after = then::relay);
  ~fake_socks5_server();
  std::uint16_t port() const;
  int connects_seen() const;  // CONNECT requests received, answered or refused
  int failures_sent() const;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

// An HTTP/1.1 origin that answers the first request on each connection with 200 "ok" (keep-alive)
// and closes any later request's connection without a response byte, the way a server that timed
// out the idle connection just as it was reused behaves.
class drop_second_request_origin {
 public:
  explicit drop_second_request_origin(asio::io_context& io);
  ~drop_second_request_origin();
  std::uint16_t port() const;
  int connections() const;
  int requests() const;  // requests read, answered or dropped

  struct state;

 private:
  std::shared_ptr<state> state_;
};

// An HTTPS origin presenting `cert`/`key`; answers every request with 200 "tls ok" (keep-alive).
class tls_origin {
 public:
  tls_origin(asio::io_context& io, const std::filesystem::path& cert, const std::filesystem::path& key);
  ~tls_origin();
  std::uint16_t port() const;
  int handshakes_completed() const;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace tsproxy::integration
