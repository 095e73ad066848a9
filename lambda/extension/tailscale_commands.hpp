#pragma once
// The command lines the extension runs, as values (tested without running anything). tailscaled runs in
// userspace-networking mode with its SOCKS5 listener and LocalAPI socket where the runtime looks for
// them (docs/PROTOCOLS.md section 5.1); the tailscale CLI is what changes its state: `up` logs in,
// `set` picks an exit node known only by name, `ping` checks the exit node, `logout` removes the node.
// The auth key never appears on a command line (visible in /proc to every process of the sandbox):
// `up` reads it from a file (--authkey=file:PATH, tailscale 1.16 and later).

#include <string>
#include <string_view>
#include <vector>

#include "extension/extension_config.hpp"

namespace tsproxy::extension {

using command_line = std::vector<std::string>;

command_line tailscaled_command(const extension_config& config);
// What tailscaled's environment adds to the extension's own: TS_LOGS_DIR, its logs folder (NAME=value).
std::vector<std::string> tailscaled_environment(const extension_config& config);

// Whether TS_EXIT_NODE can go to `up`: a Tailscale IP or auto:any. A node name cannot, because the CLI
// resolves names from the peer list, which is empty until the node has logged in.
bool exit_node_known_before_login(std::string_view exit_node);

command_line up_command(const extension_config& config, std::string_view key_file);
// `tailscale set --exit-node=NAME` once the node is up (only for names, see above).
command_line set_exit_node_command(const extension_config& config);
// One ping of `target`, the exit node's Tailscale IP: a TSMP ping, which goes through WireGuard to the node
// and back, the path the traffic will take, and after which the CLI returns at the first pong. (A default
// disco ping with
// --c=1 sleeps a second after a pong relayed through DERP and then fails unless a direct path was found.)
// `target` is the address tailscaled took for the exit node, not TS_EXIT_NODE as written: `tailscale ping`
// resolves a name otherwise than `set` does (only the MagicDNS base name or the exact FQDN with its final
// dot, else the host's DNS: tailscale/tailscale@v1.102.3 cmd/tailscale/cli/ping.go:195-230, where `set`
// takes the FQDN without the dot and any case: ipn/prefs.go:916-930).
command_line ping_command(const extension_config& config, std::string_view target);
command_line logout_command(const extension_config& config);

}  // namespace tsproxy::extension
