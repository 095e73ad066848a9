#pragma once
// The extension's configuration: one struct, parsed once at start-up from the environment. The TS_*
// variables keep the meaning they have for the Node.js Tailscale Lambda extension (TS_SECRET_API_KEY,
// TS_HOSTNAME, TS_ADVERTISE_TAGS, TS_EXIT_NODE*), so a function moves over unchanged; TSPROXY_TAILSCALE_*
// are tsproxy's own. TSPROXY_SOCKS5_ADDRESS and TSPROXY_TAILSCALE_SOCKET are the runtime's variables
// of the same name, so that one setting keeps tailscaled and the proxy on the same listener and socket.
// Names, defaults and bounds are the configuration contract's (config/config_contract.hpp). A bad value is
// an init error naming the variable. Tests build the struct directly.

#include <asio/ip/tcp.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/log_settings.hpp"
#include "config/config_contract.hpp"
#include "config/environment.hpp"

namespace tsproxy::extension {

struct extension_config {
  // Where the auth key comes from: the Secrets Manager secret (name or ARN) holding it, or, for runs
  // outside AWS, a file holding the same text. Exactly one of the two.
  std::string secret_id;      // TS_SECRET_API_KEY
  std::string auth_key_file;  // TSPROXY_TAILSCALE_AUTH_KEY_FILE

  // What `tailscale up` asks for.
  std::string hostname;                     // TS_HOSTNAME; empty: tailscaled's default
  std::vector<std::string> advertise_tags;  // TS_ADVERTISE_TAGS, comma-separated "tag:..."
  std::string exit_node;                    // TS_EXIT_NODE: Tailscale IP, node name or auto:any
  bool exit_node_required = false;          // TS_EXIT_NODE_REQUIRED: an unreachable exit node fails init
  std::chrono::milliseconds exit_node_ping_timeout{2000};  // TS_EXIT_NODE_PING_TIMEOUT, per ping
  unsigned exit_node_ping_retries = 10;                    // TS_EXIT_NODE_PING_RETRIES, pings in all
  bool exit_node_allow_lan_access = false;                 // TS_EXIT_NODE_ALLOW_LAN_ACCESS
  bool accept_routes = false;                              // TS_ACCEPT_ROUTES: use subnet routes

  // How tailscaled runs. The binaries default to the layer's bin/ folder next to extensions/ (/opt/bin).
  std::string tailscaled_path;                      // TSPROXY_TAILSCALED_PATH
  std::string tailscale_path;                       // TSPROXY_TAILSCALE_PATH
  std::string socket_path = "/tmp/tailscale.sock";  // TSPROXY_TAILSCALE_SOCKET (`none` is refused here)
  std::string socks5_address = "127.0.0.1:1055";    // TSPROXY_SOCKS5_ADDRESS, as --socks5-server gets it
  asio::ip::tcp::endpoint socks5_endpoint{asio::ip::make_address_v4("127.0.0.1"), 1055};  // the same, parsed
  // TSPROXY_TAILSCALE_HTTP_PROXY: tailscaled also serves an outbound HTTP proxy (absolute-URI requests and
  // CONNECT) on the SOCKS5 listener's port, for clients that speak no SOCKS5; it tells the two apart by
  // the first byte (tailscale/tailscale@v1.102.3 cmd/tailscaled/proxy.go:48-55, net/proxymux/mux.go:50-84).
  bool http_proxy = true;
  // In-memory state registers the node as ephemeral: the control server removes it once it is offline,
  // and at once on logout. An execution environment's /tmp dies with it, so no state could be reused.
  std::string state = "mem:";                // TSPROXY_TAILSCALE_STATE
  std::string state_dir = "/tmp/tailscale";  // TSPROXY_TAILSCALE_STATE_DIR: tailscaled's writable folder
  // TS_LOGS_DIR, tailscaled's own variable; empty: state_dir. tailscaled never puts its logs under
  // --statedir: without TS_LOGS_DIR naming an existing folder it tries $STATE_DIRECTORY, /var/lib/tailscale,
  // the user's cache folder, the working directory (tailscale/tailscale@v1.102.3 logpolicy/logpolicy.go:
  // 210-286), all read-only or missing in Lambda, where only /tmp is writable. The extension creates it.
  std::string logs_dir;

  // When init ends and how long Tailscale may take (Lambda bounds the whole init phase to 10 s).
  std::chrono::milliseconds ready_timeout{9000};  // TSPROXY_TAILSCALE_READY_TIMEOUT_MS, from the start
  bool wait_ready = true;          // TSPROXY_TAILSCALE_WAIT_READY: the first event/next waits until it is up
  bool logout_on_shutdown = true;  // TSPROXY_TAILSCALE_LOGOUT: remove the node on SHUTDOWN
  lambda::log_settings logging;    // AWS_LAMBDA_LOG_LEVEL/_FORMAT, DEBUG, TSPROXY_LOG_LEVEL
};

// The layer's bin/ folder for an extension at `executable_path` (.../extensions/NAME -> .../bin).
std::string default_binary_dir(std::string_view executable_path);

// Reads the configuration; on failure returns nullopt with `error` naming the variable.
std::optional<extension_config> load_extension_config(const env_lookup& env, std::string_view executable_path,
                                                      std::string& error);

// Whether `name` is a hostname tailscale accepts (dot-separated labels of letters, digits and inner
// dashes, each at most 63 bytes), and `tag` an ACL tag ("tag:" then a letter, letters, digits, dashes).
bool is_valid_hostname(std::string_view name) noexcept;
bool is_valid_tag(std::string_view tag) noexcept;

}  // namespace tsproxy::extension
