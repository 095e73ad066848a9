#include "tsproxy/engine/direct_connector.hpp"

#include <asio/error.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/this_coro.hpp>

#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/tcp_connect.hpp"
#include "tsproxy/engine/tls_client_context.hpp"

namespace tsproxy {

asio::awaitable<std::error_code> open_direct(const upstream_target& target, const direct_settings& settings,
                                             tls_client_context& tls, time_point deadline,
                                             std::unique_ptr<transport>& out) {
  out.reset();
  std::vector<asio::ip::address> addresses;
  if (auto ec = co_await resolve_host(target.host, settings.dns, deadline, addresses)) co_return ec;

  auto executor = co_await asio::this_coro::executor;
  std::error_code last;
  for (const auto& address : addresses) {
    if (steady_clock::now() >= deadline) co_return make_error_code(engine_error::request_deadline);
    asio::ip::tcp::socket socket(executor);
    const phase_bound bound{std::min(deadline, steady_clock::now() + settings.connect_timeout),
                            engine_error::connect_timeout};
    last = co_await within(bound, connect_tcp(socket, {address, target.port}));
    if (last == engine_error::connect_timeout) last = asio::error::timed_out;  // that error names SOCKS5
    if (!last) {
      out = std::make_unique<transport>(std::move(socket));
      break;
    }
  }
  if (!out) co_return last;
  if (target.tls) {
    const auto tls_bound =
        bound_phase(deadline, settings.tls_handshake_timeout, engine_error::tls_handshake_timeout);
    if (auto ec = co_await within(tls_bound, out->start_tls(tls, target))) {
      out.reset();
      co_return ec;
    }
  }
  co_return std::error_code{};
}

}  // namespace tsproxy
