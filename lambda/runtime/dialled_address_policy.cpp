#include "runtime/dialled_address_policy.hpp"

#include <asio/this_coro.hpp>

#include "adapter/routing.hpp"
#include "common/log.hpp"
#include "common/tailscale_local_api.hpp"

namespace tsproxy::lambda {

namespace {

class dial_refusal_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tsproxy.dial_refusal"; }
  std::string message(int value) const override {
    switch (static_cast<dial_refusal>(value)) {
      case dial_refusal::target_not_allowed:
        return "the target's name resolves to an address that is not in the proxy's allow-list";
      case dial_refusal::sandbox_target_not_allowed:
        return "the target leads into the Lambda sandbox (loopback, link-local or unspecified); name the "
               "address in TSPROXY_ALLOWED_TARGETS to allow it";
      case dial_refusal::tailscale_dns_unavailable:
        return "tailscaled's LocalAPI did not resolve the target's name, so its address cannot be checked";
    }
    return "dial refused";
  }
};

bool is_dns_answer(std::error_code ec) {
  return ec.category() == dns_category();
}

}  // namespace

const std::error_category& dial_refusal_category() noexcept {
  static const dial_refusal_category_impl category;
  return category;
}

std::error_code make_error_code(dial_refusal e) noexcept {
  return {static_cast<int>(e), dial_refusal_category()};
}

std::error_code dial_refusal_for(const routing_error& refusal) {
  return refusal.name == "SandboxTargetNotAllowed" ? dial_refusal::sandbox_target_not_allowed
                                                   : dial_refusal::target_not_allowed;
}

dialled_address_policy::dialled_address_policy(std::string tailscale_socket, const allow_list* allowed,
                                               dns_settings fallback_dns)
    : tailscale_socket_(std::move(tailscale_socket)),
      allowed_(allowed),
      fallback_dns_(std::move(fallback_dns)) {}

asio::awaitable<std::error_code> dialled_address_policy::resolve_through_tailscaled(
    const std::string& name, time_point deadline, std::vector<asio::ip::address>& out) const {
  auto executor = co_await asio::this_coro::executor;
  std::error_code first_failure;
  for (const auto type : {dns_record_type::a, dns_record_type::aaaa}) {
    dns_answer answer;
    const auto ec = co_await query_tailscale_dns(executor, tailscale_socket_, name, type, deadline, answer);
    if (ec && !is_dns_answer(ec)) co_return make_error_code(dial_refusal::tailscale_dns_unavailable);
    if (ec && !first_failure) first_failure = ec;
    out.insert(out.end(), answer.addresses.begin(), answer.addresses.end());
  }
  co_return out.empty() ? first_failure : std::error_code{};
}

asio::awaitable<std::error_code> dialled_address_policy::resolve(const std::string& name, time_point deadline,
                                                                 std::vector<asio::ip::address>& out) const {
  if (tailscale_socket_.empty()) co_return co_await resolve_host(name, fallback_dns_, deadline, out);
  co_return co_await resolve_through_tailscaled(name, deadline, out);
}

asio::awaitable<std::error_code> dialled_address_policy::choose_address(const upstream_target& target,
                                                                        time_point deadline,
                                                                        std::string& dial_host) const {
  std::vector<asio::ip::address> addresses;
  if (auto ec = co_await resolve(target.host, deadline, addresses)) {
    log(log_level::warn, "target name not resolved",
        {{"target", target.describe()}, {"error", ec.message()}});
    co_return ec;
  }
  // Every address, not only the one dialled: a name that also leads into the sandbox is refused whole.
  for (const auto& address : addresses) {
    const auto text = address.to_string();
    if (auto refusal = check_resolved_address(target, text, allowed_)) {
      log(log_level::warn, "target refused by its address",
          {{"target", target.describe()}, {"address", text}, {"error", refusal->name}});
      co_return dial_refusal_for(*refusal);
    }
  }
  dial_host = addresses.front().to_string();
  co_return std::error_code{};
}

std::error_code dialled_address_policy::check_bound(const std::string& dial_host,
                                                    const asio::ip::address& bound) const {
  const upstream_target dialled{dial_host};
  if (auto refusal = check_bound_address(dialled, dial_host, bound)) {
    log(log_level::warn, "connection refused by the listener's bound address",
        {{"address", dial_host}, {"bound", bound.to_string()}, {"error", refusal->name}});
    return dial_refusal_for(*refusal);
  }
  return {};
}

}  // namespace tsproxy::lambda
