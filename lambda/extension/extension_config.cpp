#include "extension/extension_config.hpp"

#include <algorithm>

#include "config/config_reader.hpp"
#include "config/numeric_endpoint.hpp"
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
  if (name.empty() || name.size() > config::vars::hostname.max) return false;
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
  namespace vars = config::vars;
  extension_config c;
  config::config_reader r(env, error);
  r.text(vars::secret_api_key, c.secret_id);
  r.text(vars::auth_key_file, c.auth_key_file);
  if (c.secret_id.empty() == c.auth_key_file.empty()) {
    const std::string secret(vars::secret_api_key.name);
    const std::string file(vars::auth_key_file.name);
    error = c.secret_id.empty()
                ? secret + " must name the Secrets Manager secret that holds the Tailscale auth key (or " +
                      file + " a file holding it)"
                : secret + " and " + file + " are both set: choose one source for the auth key";
    return std::nullopt;
  }

  if (const char* v = r.lookup(vars::hostname)) {
    c.hostname = trimmed(v);
    if (!is_valid_hostname(c.hostname)) r.fail(vars::hostname, v);
  }
  if (const char* v = r.lookup(vars::advertise_tags)) {
    std::string_view rest = v;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      const auto tag = trimmed(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
      if (tag.empty()) continue;
      if (!is_valid_tag(tag)) {
        r.fail(vars::advertise_tags, v);
        break;
      }
      c.advertise_tags.emplace_back(tag);
    }
  }
  if (const char* v = r.lookup(vars::exit_node)) {
    c.exit_node = trimmed(v);
    if (c.exit_node.empty() || std::any_of(c.exit_node.begin(), c.exit_node.end(),
                                           [](char ch) { return ch <= ' ' || ch == 0x7f || ch == '='; }))
      r.fail(vars::exit_node, v);
  }
  r.flag(vars::exit_node_required, c.exit_node_required);
  if (const char* v = r.value_or_default(vars::exit_node_ping_timeout)) {
    const auto timeout = parse_go_duration(v);
    const auto& bounds = vars::exit_node_ping_timeout;
    if (!timeout || timeout->count() < 0 || static_cast<std::uint64_t>(timeout->count()) < bounds.min ||
        static_cast<std::uint64_t>(timeout->count()) > bounds.max)
      r.fail(bounds, v);
    else
      c.exit_node_ping_timeout = *timeout;
  }
  r.count(vars::exit_node_ping_retries, c.exit_node_ping_retries);
  r.flag(vars::exit_node_allow_lan_access, c.exit_node_allow_lan_access);
  r.flag(vars::accept_routes, c.accept_routes);
  if (c.exit_node_allow_lan_access && c.exit_node.empty())
    r.fail(vars::exit_node_allow_lan_access, "true", "it only with " + std::string(vars::exit_node.name));

  const std::string bin = default_binary_dir(executable_path);
  c.tailscaled_path = bin + "/tailscaled";
  c.tailscale_path = bin + "/tailscale";
  r.text(vars::tailscaled_path, c.tailscaled_path);
  r.text(vars::tailscale_path, c.tailscale_path);
  r.text(vars::tailscale_socket, c.socket_path);
  if (c.socket_path == "none") r.fail(vars::tailscale_socket, c.socket_path, "a socket path for tailscaled");
  if (const char* v = r.value_or_default(vars::socks5_address)) {
    if (lambda::parse_numeric_endpoint(v, c.socks5_endpoint))
      c.socks5_address = v;
    else
      r.fail(vars::socks5_address, v);
  }
  r.text(vars::tailscale_state, c.state);
  r.text(vars::tailscale_state_dir, c.state_dir);
  r.text(vars::logs_dir, c.logs_dir);
  if (c.logs_dir.empty()) c.logs_dir = c.state_dir;
  r.milliseconds(vars::ready_timeout, c.ready_timeout);
  r.flag(vars::wait_ready, c.wait_ready);
  r.flag(vars::logout, c.logout_on_shutdown);
  r.flag(vars::http_proxy, c.http_proxy);
  lambda::read_log_settings(r, c.logging);
  if (!r.ok()) return std::nullopt;
  return c;
}

}  // namespace tsproxy::extension
