// The command lines, as values: what tailscaled and each tailscale CLI command are given.

#include "extension/tailscale_commands.hpp"

#include <gtest/gtest.h>

namespace tsproxy::extension {
namespace {

extension_config config() {
  extension_config c;
  c.tailscaled_path = "/opt/bin/tailscaled";
  c.tailscale_path = "/opt/bin/tailscale";
  return c;
}

TEST(TailscaleCommands, TailscaledInUserspaceWithBothProxiesOnOnePortItsSocketAndMemoryState) {
  EXPECT_EQ(tailscaled_command(config()),
            (command_line{"/opt/bin/tailscaled", "--tun=userspace-networking",
                          "--socks5-server=127.0.0.1:1055", "--outbound-http-proxy-listen=127.0.0.1:1055",
                          "--socket=/tmp/tailscale.sock", "--state=mem:", "--statedir=/tmp/tailscale"}));
  auto socks5_only = config();
  socks5_only.http_proxy = false;
  EXPECT_EQ(
      tailscaled_command(socks5_only),
      (command_line{"/opt/bin/tailscaled", "--tun=userspace-networking", "--socks5-server=127.0.0.1:1055",
                    "--socket=/tmp/tailscale.sock", "--state=mem:", "--statedir=/tmp/tailscale"}));
}

TEST(TailscaleCommands, TailscaledLogsToTheLogsFolderItIsGiven) {
  auto c = config();
  c.logs_dir = "/tmp/tailscale";
  EXPECT_EQ(tailscaled_environment(c), (std::vector<std::string>{"TS_LOGS_DIR=/tmp/tailscale"}));
  c.logs_dir.clear();
  EXPECT_TRUE(tailscaled_environment(c).empty());
}

TEST(TailscaleCommands, UpReadsTheKeyFromAFileAndCarriesTheSettings) {
  auto c = config();
  EXPECT_EQ(up_command(c, "/tmp/k/auth-key"),
            (command_line{"/opt/bin/tailscale", "--socket=/tmp/tailscale.sock", "up",
                          "--authkey=file:/tmp/k/auth-key"}));
  c.hostname = "lambda";
  c.advertise_tags = {"tag:a", "tag:b"};
  c.accept_routes = true;
  c.exit_node = "100.64.0.7";
  c.exit_node_allow_lan_access = true;
  EXPECT_EQ(up_command(c, "/k"),
            (command_line{"/opt/bin/tailscale", "--socket=/tmp/tailscale.sock", "up", "--authkey=file:/k",
                          "--hostname=lambda", "--advertise-tags=tag:a,tag:b", "--accept-routes",
                          "--exit-node=100.64.0.7", "--exit-node-allow-lan-access"}));
}

TEST(TailscaleCommands, AnExitNodeNameWaitsForSetOnceThePeersAreKnown) {
  EXPECT_TRUE(exit_node_known_before_login("100.64.0.7"));
  EXPECT_TRUE(exit_node_known_before_login("fd7a:115c:a1e0::7"));
  EXPECT_TRUE(exit_node_known_before_login("auto:any"));
  EXPECT_FALSE(exit_node_known_before_login("exit-1"));
  EXPECT_FALSE(exit_node_known_before_login("exit-1.tailnet.ts.net"));
  auto c = config();
  c.exit_node = "exit-1";
  c.exit_node_allow_lan_access = true;
  const auto up = up_command(c, "/k");
  EXPECT_EQ(std::count_if(up.begin(), up.end(), [](const auto& a) { return a.starts_with("--exit-node"); }),
            0);
  EXPECT_EQ(set_exit_node_command(c),
            (command_line{"/opt/bin/tailscale", "--socket=/tmp/tailscale.sock", "set", "--exit-node=exit-1",
                          "--exit-node-allow-lan-access"}));
}

TEST(TailscaleCommands, OnePingThroughWireGuardOfTheAddressTailscaledTookAndLogout) {
  auto c = config();
  c.exit_node = "exit-1.tailnet.ts.net";
  c.exit_node_ping_timeout = std::chrono::milliseconds(1500);
  EXPECT_EQ(ping_command(c, "100.64.0.7"),
            (command_line{"/opt/bin/tailscale", "--socket=/tmp/tailscale.sock", "ping", "--tsmp", "--c=1",
                          "--timeout=1500ms", "100.64.0.7"}));
  EXPECT_EQ(logout_command(c),
            (command_line{"/opt/bin/tailscale", "--socket=/tmp/tailscale.sock", "logout"}));
}

}  // namespace
}  // namespace tsproxy::extension
