#pragma once
// tailscaled's LocalAPI status, read over its unix socket (docs/PROTOCOLS.md section 5.4):
// GET /localapi/v0/status?peers=false with the fixed Host local-tailscaled.sock. The runtime asks it to
// tell a SOCKS5 0x01 "not ready yet" from "target unreachable"; the extension polls it until the node
// is Running. Only reading: the extension changes tailscaled's state through the tailscale CLI.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tsproxy/engine/deadline.hpp"

namespace tsproxy::lambda {

// The fields of ipnstate.Status that tell whether and why the node is (not) up.
struct tailscale_status {
  // NoState, InUseOtherUser, NeedsLogin, NeedsMachineAuth, Stopped, Starting, Running (or a newer one).
  std::string backend_state;
  std::vector<std::string> health;  // tailscaled's current health warnings, readable sentences
};

inline constexpr std::size_t tailscale_status_padding = 64;  // simdjson::SIMDJSON_PADDING

// Parses a status document; nullopt when it is not one (no BackendState string). `json` must be
// followed by at least tailscale_status_padding readable bytes.
std::optional<tailscale_status> parse_tailscale_status(std::string_view json);

// Asks tailscaled at `socket_path` for its status by `until`. Fails when there is no socket, no answer
// in time, a status other than 200 (http_unexpected_status) or no status document (http_bad_header).
asio::awaitable<std::error_code> query_tailscale_status(asio::any_io_executor executor,
                                                        const std::string& socket_path, time_point until,
                                                        tailscale_status& out);

}  // namespace tsproxy::lambda
