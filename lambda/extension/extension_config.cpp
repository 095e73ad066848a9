#include "extension/extension_config.hpp"

#include <algorithm>

#include "common/numeric_endpoint.hpp"
#include "extension/go_duration.hpp"

namespace tsproxy::extension {

namespace {

constexpr std::size_t max_label_bytes = 63;

bool is_alnum(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_alpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_valid_label(std::string_view label) noexcept {
  return !label.empty() && label.size() <= max_label_bytes && is_alnum(label.front()) &&
         is_alnum(label.back()) &&
         std::all_of(label.begin(), label.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

std::string_view trimmed(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool is_valid_hostname(std::string_view name) noexcept {
  if (name.ends_with('.')) name.remove_suffix(1);
  if (name.empty() || name.size() > max_hostname_bytes) return false;
  while (!name.empty()) {
    const auto dot = name.find('.');
    if (!is_valid_label(name.substr(0, dot))) return false;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
    if (name.empty()) return false;
  }
  return true;
}

bool is_valid_tag(std::string_view tag) noexcept {
  if (!tag.starts_with("tag:")) return false;
  tag.remove_prefix(4);
  return !tag.empty() && is_alpha(tag.front()) &&
         std::all_of(tag.begin(), tag.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

std::string default_binary_dir(std::string_view executable_path) {
  // /opt/extensions/tsproxy-tailscale -> /opt/extensions -> /opt -> /opt/bin
  const auto slash = executable_path.rfind('/');
  if (slash == std::string_view::npos) return "../bin";
  const auto dir = executable_path.substr(0, slash);
  const auto parent = dir.rfind('/');
  if (parent == std::string_view::npos) return "bin";
  return std::string(dir.substr(0, parent)) + "/bin";
}

std::optional<extension_config> load_extension_config(const env_lookup& env, std::string_view executable_path,
                                                      std::string& error) {
  extension_config c;
  config_reader r(env, error);
  r.string_value(env_names::secret_id, c.secret_id);
  r.string_value(env_names::auth_key_file, c.auth_key_file);
  if (c.secret_id.empty() == c.auth_key_file.empty()) {
    error = c.secret_id.empty()
                ? std::string(env_names::secret_id) +
                      " must name the Secrets Manager secret that holds the " + "Tailscale auth key (or " +
                      env_names::auth_key_file + " a file holding it)"
                : std::string(env_names::secret_id) + " and " + env_names::auth_key_file +
                      " are both set: choose one source for the auth key";
    return std::nullopt;
  }

  if (const char* v = r.lookup(env_names::hostname)) {
    c.hostname = trimmed(v);
    if (!is_valid_hostname(c.hostname))
      r.fail(env_names::hostname, v, "a hostname (letters, digits and dashes, dot-separated labels)");
  }
  if (const char* v = r.lookup(env_names::advertise_tags)) {
    std::string_view rest = v;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const auto tag = trimmed(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (tag.empty()) continue;
      if (!is_valid_tag(tag)) {
        r.fail(env_names::advertise_tags, v, "comma-separated ACL tags like tag:lambda");
        break;
      }
      c.advertise_tags.emplace_back(tag);
    }
  }
  if (const char* v = r.lookup(env_names::exit_node)) {
    c.exit_node = trimmed(v);
    if (c.exit_node.empty() || std::any_of(c.exit_node.begin(), c.exit_node.end(),
                                           [](char ch) { return ch <= ' ' || ch == 0x7f || ch == '='; }))
      r.fail(env_names::exit_node, v, "a Tailscale IP, a node name or auto:any");
  }
  r.bool_value(env_names::exit_node_required, c.exit_node_required);
  if (const char* v = r.lookup(env_names::exit_node_ping_timeout)) {
    const auto timeout = parse_go_duration(v);
    if (!timeout || timeout->count() < 1 || *timeout > max_ping_timeout)
      r.fail(env_names::exit_node_ping_timeout, v, "a duration from 1ms to 60s, like 2000ms or 2s");
    else
      c.exit_node_ping_timeout = *timeout;
  }
  r.count_value(env_names::exit_node_ping_retries, c.exit_node_ping_retries, 1, max_ping_retries);
  r.bool_value(env_names::exit_node_allow_lan_access, c.exit_node_allow_lan_access);
  r.bool_value(env_names::accept_routes, c.accept_routes);
  if (c.exit_node_allow_lan_access && c.exit_node.empty())
    r.fail(env_names::exit_node_allow_lan_access, "true",
           std::string("it only with ") + env_names::exit_node);

  const std::string bin = default_binary_dir(executable_path);
  c.tailscaled_path = bin + "/tailscaled";
  c.tailscale_path = bin + "/tailscale";
  r.string_value(env_names::tailscaled_path, c.tailscaled_path);
  r.string_value(env_names::tailscale_path, c.tailscale_path);
  r.string_value(env_names::socket_path, c.socket_path);
  if (const char* v = r.lookup(tsproxy::env_names::socks5_address)) {
    if (!lambda::parse_numeric_endpoint(v, c.socks5_endpoint))
      r.fail(tsproxy::env_names::socks5_address, v, "ip:port, [v6]:port or localhost:port");
    else
      c.socks5_address = v;
  }
  r.string_value(env_names::state, c.state);
  r.string_value(env_names::state_dir, c.state_dir);
  r.string_value(env_names::logs_dir, c.logs_dir);
  if (c.logs_dir.empty()) c.logs_dir = c.state_dir;
  r.milliseconds_value(env_names::ready_timeout, c.ready_timeout);
  r.bool_value(env_names::wait_ready, c.wait_ready);
  r.bool_value(env_names::logout, c.logout_on_shutdown);
  r.bool_value(env_names::http_proxy, c.http_proxy);
  lambda::read_log_settings(r, c.logging);
  if (!r.ok()) return std::nullopt;
  return c;
}

}  // namespace tsproxy::extension
