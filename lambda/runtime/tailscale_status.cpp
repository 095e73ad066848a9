#include "runtime/tailscale_status.hpp"

#include "common/tailscale_local_api.hpp"

namespace tsproxy::lambda {

namespace {

listener_state state_of(const tailscale_status& status) {
  return status.backend_state == "Running" ? listener_state::up : listener_state::starting;
}

}  // namespace

listener_state listener_state_from_status(std::string_view json) {
  const auto status = parse_tailscale_status(json);
  return status ? state_of(*status) : listener_state::unknown;
}

asio::awaitable<listener_state> tailscale_backend_state(asio::any_io_executor executor,
                                                        const std::string& socket_path, time_point until) {
  tailscale_status status;
  if (co_await query_tailscale_status(std::move(executor), socket_path, until, status))
    co_return listener_state::unknown;
  co_return state_of(status);
}

}  // namespace tsproxy::lambda
