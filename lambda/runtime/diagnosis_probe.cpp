#include "runtime/diagnosis_probe.hpp"

#include <asio/this_coro.hpp>
#include <chrono>

#include "adapter/routing.hpp"
#include "common/tailscale_local_api.hpp"
#include "runtime/dialled_address_policy.hpp"
#include "tsproxy/engine/errors.hpp"

namespace tsproxy::lambda {

namespace {

// tailscaled holds a ping until the pong or the caller's cancellation, so the ping has a bound of its own:
// a pong over DERP takes well under a second between continents.
constexpr std::chrono::milliseconds ping_bound{2000};
// The status and each DNS question answer from tailscaled's memory.
constexpr std::chrono::milliseconds local_api_bound{1000};

time_point sooner(time_point until, std::chrono::milliseconds bound) {
  return std::min(until, steady_clock::now() + bound);
}

double ms_since(time_point since) {
  return std::chrono::duration<double, std::milli>(steady_clock::now() - since).count();
}

asio::awaitable<void> resolve(const std::string& socket, const std::string& name, time_point until,
                              diagnosis_facts& facts) {
  const auto executor = co_await asio::this_coro::executor;
  facts.resolved_by_name = true;
  for (const auto type : {dns_record_type::a, dns_record_type::aaaa}) {
    dns_answer answer;
    const auto ec =
        co_await query_tailscale_dns(executor, socket, name, type, sooner(until, local_api_bound), answer);
    if (type == dns_record_type::a) facts.resolve_error = ec;
    for (const auto& address : answer.addresses) facts.addresses.push_back(address.to_string());
  }
  // A name with only AAAA records resolves all the same.
  if (facts.resolve_error && !facts.addresses.empty()) facts.resolve_error = {};
}

// A tunnel opened as for a plain target, then TLS on it, so that each phase is timed on its own.
asio::awaitable<void> try_connection(upstream_client& upstream, const upstream_target& target,
                                     time_point until, diagnosis_facts& facts) {
  facts.connection_tried = true;
  upstream_target tunnel = target;
  tunnel.tls = false;
  tunnel.server_name.clear();
  connection_ptr connection;
  const auto socks5_start = steady_clock::now();
  facts.socks5_error = co_await upstream.pool().acquire(tunnel, until, true, connection);
  facts.socks5_ms = ms_since(socks5_start);
  if (facts.socks5_error || !target.tls) {
    if (connection) upstream.pool().release(std::move(connection), false);
    co_return;
  }
  const auto tls_start = steady_clock::now();
  facts.tls_error = co_await within(
      bound_phase(until, upstream.config().timeouts.tls_handshake, engine_error::tls_handshake_timeout),
      connection->stream->start_tls(upstream.tls(), target));
  facts.tls_ms = ms_since(tls_start);
  facts.certificate = connection->stream->tls_peer_certificate();
  // Closed, not pooled: a diagnosis leaves the pool as it found it.
  upstream.pool().release(std::move(connection), false);
}

}  // namespace

asio::awaitable<diagnosis_facts> probe_target(const runtime_config& config, upstream_client& upstream,
                                              const upstream_target& target, time_point until) {
  const auto executor = co_await asio::this_coro::executor;
  diagnosis_facts facts;
  facts.target = target;
  facts.local_api = !config.tailscale_socket.empty();
  facts.idle_connections = upstream.pool().idle_for(target);
  facts.now_epoch_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const bool by_name = !is_ip_literal(target.host);
  facts.name = by_name ? target.host : target.server_name;

  if (facts.local_api) {
    tailscale_full_status status;
    facts.status_error = co_await query_tailscale_full_status(executor, config.tailscale_socket,
                                                              sooner(until, local_api_bound), status);
    if (!facts.status_error) facts.status = std::move(status);
  }
  if (!by_name) {
    facts.addresses.push_back(target.host);
  } else if (facts.local_api) {
    co_await resolve(config.tailscale_socket, target.host, until, facts);
    // A caller learns no more about where a name leads than a request of theirs would reach.
    const allow_list* allowed = config.allowed_targets ? &*config.allowed_targets : nullptr;
    for (const auto& address : facts.addresses) {
      if (auto refusal = check_resolved_address(target, address, allowed)) {
        // Told as a request is told (dialled_address_policy): which rule refused, never the addresses.
        facts.refusal_name = refusal->name;
        facts.refusal_message = dial_refusal_for(*refusal).message();
        facts.addresses.clear();
        break;
      }
    }
  }
  if (!facts.refusal_name.empty()) {
    facts.connection_skipped = "tsproxy refuses the target";
    co_return facts;
  }

  const tailscale_node* peer = find_peer(facts);
  if (facts.local_api) {
    for (const auto& address : facts.addresses) {
      if (!is_tailnet_address(address)) continue;
      facts.ping_ip = address;
      const auto bound = sooner(until, ping_bound);
      facts.ping_bound = std::chrono::duration_cast<std::chrono::milliseconds>(bound - steady_clock::now());
      tailscale_ping_result pong;
      facts.ping_error =
          co_await ping_through_tailscale(executor, config.tailscale_socket, address, bound, pong);
      if (!facts.ping_error) facts.pong = std::move(pong);
      break;
    }
  }

  if (facts.status && facts.status->basics.backend_state != "Running") {
    facts.connection_skipped = "Tailscale is not running, so no target can be reached";
  } else if (facts.resolve_error) {
    facts.connection_skipped = "the name does not resolve";
  } else if (peer != nullptr && !peer->online) {
    facts.connection_skipped = "the peer is offline";
  } else {
    co_await try_connection(upstream, target, until, facts);
  }
  co_return facts;
}

}  // namespace tsproxy::lambda
