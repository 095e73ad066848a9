// The extension's configuration from its environment: the Node.js extension's TS_* variables keep their
// meaning, tsproxy's own have their defaults, and every bad value names its variable.

#include "extension/extension_config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace tsproxy::extension {
namespace {

using env_map = std::map<std::string, std::string>;

std::optional<extension_config> load(const env_map& vars, std::string& error,
                                     std::string_view executable = "/opt/extensions/tsproxy-tailscale") {
  const env_lookup env = [&vars](const char* name) -> const char* {
    const auto found = vars.find(name);
    return found == vars.end() ? nullptr : found->second.c_str();
  };
  return load_extension_config(env, executable, error);
}

TEST(ExtensionConfig, DefaultsSuitAnEphemeralLambdaNode) {
  std::string error;
  const auto c = load({{"TS_SECRET_API_KEY", "tailscale-api-key"}}, error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->secret_id, "tailscale-api-key");
  EXPECT_EQ(c->tailscaled_path, "/opt/bin/tailscaled");
  EXPECT_EQ(c->tailscale_path, "/opt/bin/tailscale");
  EXPECT_EQ(c->socket_path, "/tmp/tailscale.sock");
  EXPECT_EQ(c->socks5_address, "127.0.0.1:1055");
  EXPECT_EQ(c->socks5_endpoint.port(), 1055);
  EXPECT_EQ(c->state, "mem:");
  EXPECT_EQ(c->state_dir, "/tmp/tailscale");
  EXPECT_EQ(c->logs_dir, "/tmp/tailscale") << "tailscaled's logs under /tmp, the only writable folder";
  EXPECT_EQ(c->ready_timeout, std::chrono::milliseconds(9000));
  EXPECT_TRUE(c->wait_ready);
  EXPECT_TRUE(c->logout_on_shutdown);
  EXPECT_TRUE(c->http_proxy) << "both proxies on one port unless turned off";
  EXPECT_EQ(c->exit_node_ping_timeout, std::chrono::milliseconds(2000)) << "the Node.js extension's default";
  EXPECT_EQ(c->exit_node_ping_retries, 10u) << "the Node.js extension's default";
  EXPECT_FALSE(c->exit_node_required);
}

TEST(ExtensionConfig, TheLogsFolderFollowsTheStateFolderUnlessTsLogsDirNamesOne) {
  std::string error;
  auto c = load({{"TS_SECRET_API_KEY", "k"}, {"TSPROXY_TAILSCALE_STATE_DIR", "/tmp/ts-state"}}, error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->logs_dir, "/tmp/ts-state");
  c = load({{"TS_SECRET_API_KEY", "k"}, {"TS_LOGS_DIR", "/tmp/ts-logs"}}, error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->logs_dir, "/tmp/ts-logs");
}

TEST(ExtensionConfig, TheNodeExtensionsVariables) {
  std::string error;
  const auto c =
      load({{"TS_SECRET_API_KEY", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:ts-AbCdEf"},
            {"TS_HOSTNAME", "lambda-proxy"},
            {"TS_ADVERTISE_TAGS", "tag:lambda, tag:proxy-2,"},
            {"TS_EXIT_NODE", "100.64.0.7"},
            {"TS_EXIT_NODE_REQUIRED", "TRUE"},
            {"TS_EXIT_NODE_PING_TIMEOUT", "1.5s"},
            {"TS_EXIT_NODE_PING_RETRIES", "3"},
            {"TS_EXIT_NODE_ALLOW_LAN_ACCESS", "true"},
            {"TS_ACCEPT_ROUTES", "true"}},
           error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->hostname, "lambda-proxy");
  EXPECT_EQ(c->advertise_tags, (std::vector<std::string>{"tag:lambda", "tag:proxy-2"}));
  EXPECT_EQ(c->exit_node, "100.64.0.7");
  EXPECT_TRUE(c->exit_node_required);
  EXPECT_EQ(c->exit_node_ping_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(c->exit_node_ping_retries, 3u);
  EXPECT_TRUE(c->exit_node_allow_lan_access);
  EXPECT_TRUE(c->accept_routes);
}

TEST(ExtensionConfig, TsproxysOwnVariables) {
  std::string error;
  const auto c = load({{"TSPROXY_TAILSCALE_AUTH_KEY_FILE", "/run/key"},
                       {"TSPROXY_TAILSCALED_PATH", "/x/tailscaled"},
                       {"TSPROXY_TAILSCALE_PATH", "/x/tailscale"},
                       {"TSPROXY_TAILSCALE_SOCKET", "/tmp/other.sock"},
                       {"TSPROXY_SOCKS5_ADDRESS", "localhost:1080"},
                       {"TSPROXY_TAILSCALE_STATE", "/tmp/tailscale/tailscaled.state"},
                       {"TSPROXY_TAILSCALE_READY_TIMEOUT_MS", "5000"},
                       {"TSPROXY_TAILSCALE_WAIT_READY", "false"},
                       {"TSPROXY_TAILSCALE_LOGOUT", "false"},
                       {"TSPROXY_TAILSCALE_HTTP_PROXY", "false"},
                       {"TSPROXY_LOG_LEVEL", "debug"}},
                      error);
  ASSERT_TRUE(c) << error;
  EXPECT_EQ(c->auth_key_file, "/run/key");
  EXPECT_EQ(c->tailscaled_path, "/x/tailscaled");
  EXPECT_EQ(c->tailscale_path, "/x/tailscale");
  EXPECT_EQ(c->socket_path, "/tmp/other.sock");
  EXPECT_EQ(c->socks5_address, "localhost:1080") << "tailscaled is given the address as written";
  EXPECT_EQ(c->socks5_endpoint.address().to_string(), "127.0.0.1") << "and parsed without name resolution";
  EXPECT_EQ(c->state, "/tmp/tailscale/tailscaled.state");
  EXPECT_EQ(c->ready_timeout, std::chrono::milliseconds(5000));
  EXPECT_FALSE(c->wait_ready);
  EXPECT_FALSE(c->logout_on_shutdown);
  EXPECT_FALSE(c->http_proxy);
  EXPECT_EQ(c->logging.level, lambda::log_level::debug);
}

TEST(ExtensionConfig, EachBadValueNamesItsVariable) {
  const env_map base{{"TS_SECRET_API_KEY", "s"}};
  const std::vector<std::pair<std::string, std::string>> bad{
      {"TS_HOSTNAME", "-lambda"},
      {"TS_HOSTNAME", "a..b"},
      {"TS_HOSTNAME", "under_score"},
      {"TS_HOSTNAME", std::string(64, 'a')},
      {"TS_ADVERTISE_TAGS", "lambda"},
      {"TS_ADVERTISE_TAGS", "tag:1abc"},
      {"TS_ADVERTISE_TAGS", "tag:a_b"},
      {"TS_EXIT_NODE", "a b"},
      {"TS_EXIT_NODE_REQUIRED", "yes please"},
      {"TS_EXIT_NODE_PING_TIMEOUT", "2 seconds"},
      {"TS_EXIT_NODE_PING_TIMEOUT", "0ms"},
      {"TS_EXIT_NODE_PING_TIMEOUT", "61s"},
      {"TS_EXIT_NODE_PING_RETRIES", "0"},
      {"TS_EXIT_NODE_PING_RETRIES", "101"},
      {"TSPROXY_SOCKS5_ADDRESS", "tailscale:1055"},
      {"TSPROXY_TAILSCALE_READY_TIMEOUT_MS", "soon"},
      {"TSPROXY_TAILSCALE_WAIT_READY", "maybe"},
      {"TSPROXY_TAILSCALE_HTTP_PROXY", "sometimes"},
      {"AWS_LAMBDA_LOG_LEVEL", "VERBOSE"},
      {"AWS_LAMBDA_LOG_FORMAT", "XML"},
      {"TSPROXY_LOG_LEVEL", "loud"},
  };
  for (const auto& [name, value] : bad) {
    env_map vars = base;
    vars[name] = value;
    std::string error;
    EXPECT_FALSE(load(vars, error)) << name << "=" << value;
    EXPECT_NE(error.find(name), std::string::npos) << error;
  }
}

TEST(ExtensionConfig, ExactlyOneSourceForTheKey) {
  std::string error;
  EXPECT_FALSE(load({}, error));
  EXPECT_NE(error.find("TS_SECRET_API_KEY must name the Secrets Manager secret"), std::string::npos) << error;
  EXPECT_FALSE(load({{"TS_SECRET_API_KEY", "s"}, {"TSPROXY_TAILSCALE_AUTH_KEY_FILE", "/k"}}, error));
  EXPECT_NE(error.find("both set"), std::string::npos) << error;
}

TEST(ExtensionConfig, LanAccessNeedsAnExitNode) {
  std::string error;
  EXPECT_FALSE(load({{"TS_SECRET_API_KEY", "s"}, {"TS_EXIT_NODE_ALLOW_LAN_ACCESS", "true"}}, error));
  EXPECT_NE(error.find("TS_EXIT_NODE_ALLOW_LAN_ACCESS"), std::string::npos) << error;
}

TEST(ExtensionConfig, HostnamesAndTagsAsTailscaleChecksThem) {
  for (const char* ok : {"lambda", "lambda-proxy-1", "a", "a.b.c", "x1.example.", "A1"}) {
    EXPECT_TRUE(is_valid_hostname(ok)) << ok;
  }
  for (const char* bad : {"", ".", "a-", "-a", "a_b", "a b", "a..b", ".a"})
    EXPECT_FALSE(is_valid_hostname(bad)) << bad;
  EXPECT_FALSE(is_valid_hostname(std::string(300, 'a')));
  for (const char* ok : {"tag:lambda", "tag:a-1", "tag:A"}) EXPECT_TRUE(is_valid_tag(ok)) << ok;
  for (const char* bad : {"lambda", "tag:", "tag:1a", "tag:a.b", "TAG:a", "tag:a b"})
    EXPECT_FALSE(is_valid_tag(bad)) << bad;
}

TEST(ExtensionConfig, TheLayersBinFolderIsNextToExtensions) {
  EXPECT_EQ(default_binary_dir("/opt/extensions/tsproxy-tailscale"), "/opt/bin");
  EXPECT_EQ(default_binary_dir("/work/layer/extensions/tsproxy-tailscale"), "/work/layer/bin");
  EXPECT_EQ(default_binary_dir("/extensions/x"), "/bin");
  EXPECT_EQ(default_binary_dir("extensions/x"), "bin");
  EXPECT_EQ(default_binary_dir("x"), "../bin");
}

}  // namespace
}  // namespace tsproxy::extension
