#pragma once
// Whether Tailscale is up, as the engine's upstream_connector asks (listener_state): tailscaled's
// LocalAPI status (common/tailscale_local_api) says "Running" once the node is connected. This is how
// the runtime tells a SOCKS5 0x01 "not ready yet" (retry) from "target unreachable" (answer at once);
// see upstream_connector.hpp and docs/PROTOCOLS.md section 5.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <string>
#include <string_view>

#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/upstream_connector.hpp"

namespace tsproxy::lambda {

// "Running" -> up; NoState, NeedsLogin, NeedsMachineAuth, Stopped, Starting (any other state) ->
// starting; a document that is not a status (no BackendState string) -> unknown. `json` must be
// followed by at least 64 readable bytes (simdjson's padding).
listener_state listener_state_from_status(std::string_view json);

// The backend state, or unknown when there is no socket, no answer by `until`, or no usable answer.
asio::awaitable<listener_state> tailscale_backend_state(asio::any_io_executor executor,
                                                        const std::string& socket_path, time_point until);

}  // namespace tsproxy::lambda
