// The tailscale CLI stand-in (tests/peers/tailscale_cli_standin.py) against the tailscaled stand-in, run
// as the extension runs them: it must be as strict as the real CLI (tailscale/tailscale@v1.102.3), or the
// extension's tests would pass where Lambda fails. Each case names the CLI source it follows.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/tailscale_standins.hpp"
#include "support/wait.hpp"

namespace tsproxy::test {
namespace {

using namespace std::chrono_literals;

class TailscaleCliStandin : public ::testing::Test {
 protected:
  explicit TailscaleCliStandin(
      tailscale_standin_options options = {.peers = "exit1=100.64.0.2,web=100.64.0.3",
                                           .peer_hostnames = "exit1=ip-10-0-0-7",
                                           .not_exit_nodes = "web"})
      : standins_(std::move(options)) {
    tailscaled_ = child_process(
        {standins_.tailscaled().string(), "--tun=userspace-networking",
         "--socks5-server=" + standins_.socks5_address(), "--socket=" + standins_.socket_path().string(),
         "--state=mem:", "--statedir=" + (standins_.dir() / "state").string()},
        standins_.dir() / "tailscaled.log", standins_.env());
    EXPECT_TRUE(standins_.wait_for("localapi_listening")) << tailscaled_.log_tail();
  }

  command_result cli(std::vector<std::string> args) {
    args.insert(args.begin(),
                {standins_.tailscale().string(), "--socket=" + standins_.socket_path().string()});
    return run_command(args, 30s, standins_.env());
  }

  command_result up(std::vector<std::string> flags = {}) {
    flags.insert(flags.begin(), {"up", "--authkey=file:" + standins_.key_file().string()});
    return cli(flags);
  }

  tailscale_standins standins_;
  child_process tailscaled_;
};

// The last line of a command's stderr (its error, as cmd/tailscale/tailscale.go:22-25 prints it).
std::string error_of(const command_result& r) {
  std::string err = r.err;
  while (!err.empty() && err.back() == '\n') err.pop_back();
  return err.substr(err.rfind('\n') == std::string::npos ? 0 : err.rfind('\n') + 1);
}

TEST_F(TailscaleCliStandin, AnExitNodeNameIsUnknownBeforeLogin) {
  // ipn/prefs.go:912-915: no peers yet.
  const auto r = up({"--exit-node=exit1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(
      error_of(r),
      "cannot resolve exit node by hostname while Tailscale is starting up; please use its Tailscale IP "
      "address instead");
  EXPECT_EQ(standins_.count("start"), 0u);
}

TEST_F(TailscaleCliStandin, SetMatchesAPeersDnsNameInThreeFormsAnyCaseNeverItsOsHostName) {
  ASSERT_EQ(up().exit_code, 0);
  // ipn/prefs.go:916-939.
  for (const std::string name :
       {"exit1", "EXIT1", "exit1.tailnet.ts.net", "Exit1.Tailnet.ts.net.", "100.64.0.2"}) {
    const auto r = cli({"set", "--exit-node=" + name});
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
    const auto prefs = standins_.events("prefs");
    ASSERT_FALSE(prefs.empty());
    EXPECT_NE(prefs.back().find(R"("ExitNodeIP": "100.64.0.2")"), std::string::npos) << name << prefs.back();
  }
  const std::vector<std::pair<std::string, std::string>> refused{
      {"ip-10-0-0-7", R"(invalid value "ip-10-0-0-7" for --exit-node; must be IP or peer hostname)"},
      {"exit1.tailnet", R"(invalid value "exit1.tailnet" for --exit-node; must be IP or peer hostname)"},
      {"web", R"(node "web" is not advertising an exit node)"},
      {"100.64.0.9", "no node found in netmap with IP 100.64.0.9"},
      {"100.64.0.3", "node 100.64.0.3 is not advertising an exit node"},
      {"100.64.0.1",
       "cannot use 100.64.0.1 as an exit node as it is a local IP address to this machine; did you mean "
       "--advertise-exit-node?"}};
  for (const auto& [name, message] : refused) {
    const auto r = cli({"set", "--exit-node=" + name});
    EXPECT_EQ(r.exit_code, 1) << name;
    EXPECT_EQ(error_of(r), message) << name;
  }
}

class TailscaleCliStandinTwins : public TailscaleCliStandin {
 protected:
  TailscaleCliStandinTwins() : TailscaleCliStandin({.peers = "exit1=100.64.0.2,EXIT1=100.64.0.4"}) {}
};

TEST_F(TailscaleCliStandinTwins, TwoPeersOfOneNameAreAmbiguous) {
  ASSERT_EQ(up().exit_code, 0);
  const auto r = cli({"set", "--exit-node=exit1"});  // ipn/prefs.go:948-949
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(error_of(r), R"(ambiguous exit node name "exit1")");
}

TEST_F(TailscaleCliStandin, PingTakesTheBaseNameOrTheExactFqdnElseTheHostsDns) {
  // cmd/tailscale/cli/ping.go:96-105: not before Running or Starting.
  auto r = cli({"ping", "--tsmp", "--c=1", "100.64.0.2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "Logged out.\n");
  ASSERT_EQ(up().exit_code, 0);
  // ping.go:195-230.
  for (const std::string name : {"100.64.0.2", "exit1", "EXIT1", "exit1.tailnet.ts.net."}) {
    r = cli({"ping", "--tsmp", "--c=1", "--timeout=5s", name});
    EXPECT_EQ(r.exit_code, 0) << name << ": " << r.err;
  }
  for (const std::string name : {"exit1.tailnet.ts.net", "EXIT1.tailnet.ts.net.", "ip-10-0-0-7"}) {
    r = cli({"ping", "--tsmp", "--c=1", "--timeout=5s", name});
    EXPECT_EQ(r.exit_code, 1) << name;
    EXPECT_EQ(error_of(r), "error looking up IP of \"" + name + "\": lookup " + name + ": no such host");
  }
  EXPECT_EQ(standins_.count("ping"), 4u) << "a name the CLI cannot resolve is never pinged";
}

TEST_F(TailscaleCliStandin, AnOAuthClientSecretsAttributesAreCheckedAsTheCliDoes) {
  // feature/oauthkey/oauthkey.go:36-47 (tags first), 78-115.
  const std::vector<std::pair<std::string, std::string>> refused{
      {"tskey-client-k-x", "oauth authkeys require --advertise-tags"},
      {"tskey-client-k-x?ephemeral=yes", R"(invalid attribute boolean attribute ephemeral value "yes")"},
      {"tskey-client-k-x?preauthorized=1&bar", R"(unknown attribute "bar")"},
      {"tskey-client-k-x?ephemeral=%zz", R"(invalid URL escape "%zz")"},
      {"tskey-client-k-x?ephemeral=true;preauthorized=true", "invalid semicolon separator in query"}};
  for (const auto& [secret, message] : refused) {
    write_file(standins_.key_file(), secret + "\n");
    const auto r = secret == "tskey-client-k-x" ? up() : up({"--advertise-tags=tag:lambda"});
    EXPECT_EQ(r.exit_code, 1) << secret;
    EXPECT_EQ(error_of(r), message) << secret;
  }
  EXPECT_EQ(standins_.count("start"), 0u);
  write_file(standins_.key_file(), "tskey-client-k-x?ephemeral=F&preauthorized=TRUE&baseURL=https://h\n");
  const auto r = up({"--advertise-tags=tag:lambda"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(standins_.events("start").at(0).find(R"("auth_key": "tskey-client-k-x")"), std::string::npos);
}

}  // namespace
}  // namespace tsproxy::test
