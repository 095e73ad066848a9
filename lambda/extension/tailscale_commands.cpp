#include "extension/tailscale_commands.hpp"

#include "extension/go_duration.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy::extension {

namespace {

command_line cli(const extension_config& config, std::string_view subcommand) {
  return {config.tailscale_path, "--socket=" + config.socket_path, std::string(subcommand)};
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back(',');
    out.append(item);
  }
  return out;
}

}  // namespace

command_line tailscaled_command(const extension_config& config) {
  command_line out{config.tailscaled_path, "--tun=userspace-networking",
                   "--socks5-server=" + config.socks5_address};
  // The same address: one listener for both (cmd/tailscaled/proxy.go:51-56).
  if (config.http_proxy) out.push_back("--outbound-http-proxy-listen=" + config.socks5_address);
  out.insert(out.end(),
             {"--socket=" + config.socket_path, "--state=" + config.state, "--statedir=" + config.state_dir});
  return out;
}

std::vector<std::string> tailscaled_environment(const extension_config& config) {
  if (config.logs_dir.empty()) return {};
  return {std::string(config::vars::logs_dir.name) + "=" + config.logs_dir};
}

bool exit_node_known_before_login(std::string_view exit_node) {
  return exit_node.starts_with("auto:") || is_ip_literal(std::string(exit_node));
}

command_line up_command(const extension_config& config, std::string_view key_file) {
  auto out = cli(config, "up");
  out.push_back("--authkey=file:" + std::string(key_file));
  if (!config.hostname.empty()) out.push_back("--hostname=" + config.hostname);
  if (!config.advertise_tags.empty()) out.push_back("--advertise-tags=" + joined(config.advertise_tags));
  if (config.accept_routes) out.push_back("--accept-routes");
  if (!config.exit_node.empty() && exit_node_known_before_login(config.exit_node)) {
    out.push_back("--exit-node=" + config.exit_node);
    if (config.exit_node_allow_lan_access) out.push_back("--exit-node-allow-lan-access");
  }
  return out;
}

command_line set_exit_node_command(const extension_config& config) {
  auto out = cli(config, "set");
  out.push_back("--exit-node=" + config.exit_node);
  if (config.exit_node_allow_lan_access) out.push_back("--exit-node-allow-lan-access");
  return out;
}

command_line ping_command(const extension_config& config, std::string_view target) {
  auto out = cli(config, "ping");
  out.insert(out.end(), {"--tsmp", "--c=1", "--timeout=" + format_go_duration(config.exit_node_ping_timeout),
                         std::string(target)});
  return out;
}

command_line logout_command(const extension_config& config) {
  return cli(config, "logout");
}

}  // namespace tsproxy::extension
