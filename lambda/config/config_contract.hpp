#pragma once
// The configuration contract: every environment variable the runtime (bootstrap) and the Tailscale
// extension read, declared once with its type, default, bounds, unit, reader and meaning. The readers
// (config_reader) take bounds, defaults and error messages from here; tsproxy-config-contract renders the
// same table as the JSON the CDK construct validates with and as README.md's configuration tables.
//
// One rule for empty values, in both programs: a variable set to the empty string is unset, so its
// default applies.

#include <cstdint>
#include <span>
#include <string_view>

namespace tsproxy::config {

enum class value_kind {
  count,         // a whole number from min to max, in `unit`
  milliseconds,  // a whole number of milliseconds from min to max
  duration,      // a Go duration ("2s", "1500ms"; a bare number is ms) from min to max milliseconds
  flag,          // true/false, 1/0, yes/no, on/off
  text,          // free text, at most max bytes when max is not 0; `accepts` describes any further rule
  address,       // ip:port, [v6]:port or localhost:port
  choice,        // one of the words in `accepts`
};

// Which program reads a variable (a bit set).
enum reader_bits : unsigned { runtime = 1U, extension = 2U };

struct variable {
  std::string_view name;
  value_kind kind;
  unsigned read_by;
  // The value the readers apply when the variable is unset or empty, in the variable's own syntax;
  // empty: none (the reader derives one, described by default_note, or the setting is off).
  std::string_view default_value;
  std::uint64_t min = 0;
  std::uint64_t max = 0;
  std::string_view unit;               // count: what is counted
  std::string_view accepts;            // text, address, choice: what a valid value looks like
  std::string_view doc;                // one line for the README
  std::string_view default_note = {};  // README: the default when it is derived, not a constant
};

// One constant per variable, so that readers name the entry, not a string.
namespace vars {
extern const variable runtime_api;
extern const variable max_concurrency;
extern const variable threads;
extern const variable socks5_address;
extern const variable socks5_username;
extern const variable socks5_password;
extern const variable socks5_pipeline;
extern const variable socks5_not_ready_window;
extern const variable tailscale_socket;
extern const variable connect_timeout;
extern const variable socks5_timeout;
extern const variable tls_handshake_timeout;
extern const variable response_head_timeout;
extern const variable body_idle_timeout;
extern const variable request_timeout;
extern const variable deadline_margin;
extern const variable pool;
extern const variable pool_max_idle_per_target;
extern const variable pool_max_idle_total;
extern const variable pool_idle_timeout;
extern const variable pool_max_requests;
extern const variable pool_max_age;
extern const variable tls_verify;
extern const variable node_tls_reject_unauthorized;
extern const variable tls_ca_file;
extern const variable ssl_cert_file;
extern const variable ssl_cert_dir;
extern const variable max_header_bytes;
extern const variable max_header_count;
extern const variable invoke_mode;
extern const variable allowed_targets;
extern const variable prewarm;
extern const variable prewarm_connections;
extern const variable metrics_namespace;
extern const variable metrics_phases;
extern const variable caller_policy;
extern const variable trace_context;
extern const variable diagnose;
extern const variable lambda_log_level;
extern const variable lambda_log_format;
extern const variable log_level;
extern const variable debug;
extern const variable runtime_api_patience;
extern const variable shutdown_grace;
extern const variable warmer_hold;

extern const variable secret_api_key;
extern const variable auth_key_file;
extern const variable hostname;
extern const variable advertise_tags;
extern const variable exit_node;
extern const variable exit_node_required;
extern const variable exit_node_ping_timeout;
extern const variable exit_node_ping_retries;
extern const variable exit_node_allow_lan_access;
extern const variable accept_routes;
extern const variable tailscaled_path;
extern const variable tailscale_path;
extern const variable tailscale_state;
extern const variable tailscale_state_dir;
extern const variable logs_dir;
extern const variable ready_timeout;
extern const variable wait_ready;
extern const variable logout;
extern const variable http_proxy;
}  // namespace vars

// Every variable, in the order the README lists them.
std::span<const variable* const> contract();

// The entry named `name`, or nullptr.
const variable* find(std::string_view name);

}  // namespace tsproxy::config
