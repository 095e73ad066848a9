// The configuration contract is the readers' only source: for every bounded variable, the runtime's and
// the extension's readers accept its max and refuse max + 1 with the contract's words; every default lies
// within its bounds and is the one the configuration structs start from; the rendered JSON and README
// table carry the same bounds. An edit of one entry therefore moves all of them (ConfigContractIsFresh
// then fails until the committed copies are regenerated).
#include "config/config_contract.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "config/config_reader.hpp"
#include "config/config_render.hpp"
#include "extension/extension_config.hpp"
#include "runtime/runtime_config.hpp"

namespace tsproxy::config {
namespace {

using env_map = std::map<std::string, std::string>;

env_lookup lookup_in(const env_map& env) {
  return [&env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
}

// What each program needs before it reads anything else.
const env_map runtime_base = {{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"},
                              {"AWS_LAMBDA_MAX_CONCURRENCY", "256"}};
const env_map extension_base = {{"TS_SECRET_API_KEY", "k"}, {"TS_EXIT_NODE", "100.64.0.1"}};

// Loads `env` over the base of every program that reads `v`; returns the first error, or "" when all accept.
std::string load_as_readers(const variable& v, const env_map& env) {
  std::string error;
  if ((v.read_by & runtime) != 0 && v.name != "AWS_LAMBDA_RUNTIME_API") {
    env_map full = runtime_base;
    for (const auto& [name, value] : env) full[name] = value;
    std::optional<asio::ip::tcp::endpoint> api;
    if (!lambda::load_runtime_config(lookup_in(full), error, api, 1)) return error;
  }
  if ((v.read_by & extension) != 0 && v.name != "AWS_LAMBDA_RUNTIME_API") {
    env_map full = extension_base;
    for (const auto& [name, value] : env) full[name] = value;
    if (!extension::load_extension_config(lookup_in(full), "/opt/extensions/x", error)) return error;
  }
  return "";
}

bool is_number(const variable& v) {
  return v.kind == value_kind::count || v.kind == value_kind::milliseconds || v.kind == value_kind::duration;
}

TEST(ConfigContract, NamesAreUniqueAndEveryEntryIsDocumented) {
  std::map<std::string_view, int> seen;
  for (const variable* v : contract()) {
    SCOPED_TRACE(std::string(v->name));
    EXPECT_EQ(++seen[v->name], 1);
    EXPECT_EQ(find(v->name), v);
    EXPECT_FALSE(v->doc.empty());
    EXPECT_NE(v->read_by, 0U);
    if (is_number(*v)) {
      EXPECT_LE(v->min, v->max);
    }
  }
}

TEST(ConfigContract, EveryBoundIsTheReadersBound) {
  int checked = 0;
  for (const variable* v : contract()) {
    if (!is_number(*v) || v->name == "TSPROXY_THREADS") continue;  // threads: bounded by the concurrency too
    SCOPED_TRACE(std::string(v->name));
    const std::string max = std::to_string(v->max);
    const std::string above = std::to_string(v->max + 1);
    EXPECT_EQ(load_as_readers(*v, {{std::string(v->name), max}}), "") << "the contract's max is accepted";
    const std::string error = load_as_readers(*v, {{std::string(v->name), above}});
    EXPECT_EQ(error, std::string(v->name) + "='" + above + "' is invalid: expected " + expected_text(*v));
    if (v->min > 0) {
      const std::string below = std::to_string(v->min - 1);
      EXPECT_NE(load_as_readers(*v, {{std::string(v->name), below}}), "") << "below the contract's min";
    }
    ++checked;
  }
  EXPECT_GE(checked, 20);
}

TEST(ConfigContract, TheExitNodePingBoundsAreTheExtensions) {
  EXPECT_EQ(vars::exit_node_ping_timeout.max, 60'000U);
  EXPECT_EQ(vars::exit_node_ping_retries.max, 100U);
  std::string error;
  env_map env = extension_base;
  env["TS_EXIT_NODE_PING_TIMEOUT"] = "60001";
  EXPECT_FALSE(extension::load_extension_config(lookup_in(env), "/opt/extensions/x", error));
  EXPECT_NE(error.find("from 1 to 60000 milliseconds"), std::string::npos) << error;
  env["TS_EXIT_NODE_PING_TIMEOUT"] = "1m1ms";
  error.clear();
  EXPECT_FALSE(extension::load_extension_config(lookup_in(env), "/opt/extensions/x", error))
      << "60,000 ms + 1";
  env["TS_EXIT_NODE_PING_TIMEOUT"] = "60s";
  EXPECT_TRUE(extension::load_extension_config(lookup_in(env), "/opt/extensions/x", error)) << error;
}

TEST(ConfigContract, TheStructsStartFromTheContractsDefaults) {
  std::string error;
  std::optional<asio::ip::tcp::endpoint> api;
  const auto loaded =
      lambda::load_runtime_config(lookup_in({{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"}}), error, api, 1);
  ASSERT_TRUE(loaded) << error;
  const lambda::runtime_config built;  // what tests that build the struct directly get
  EXPECT_EQ(built.engine.socks5.host, loaded->engine.socks5.host);
  EXPECT_EQ(built.engine.socks5.port, loaded->engine.socks5.port);
  EXPECT_EQ(built.engine.socks5.pipeline, loaded->engine.socks5.pipeline);
  EXPECT_EQ(built.engine.socks5.not_ready_window, loaded->engine.socks5.not_ready_window);
  EXPECT_EQ(built.engine.timeouts.connect, loaded->engine.timeouts.connect);
  EXPECT_EQ(built.engine.timeouts.socks5, loaded->engine.timeouts.socks5);
  EXPECT_EQ(built.engine.timeouts.tls_handshake, loaded->engine.timeouts.tls_handshake);
  EXPECT_EQ(built.engine.timeouts.response_head, loaded->engine.timeouts.response_head);
  EXPECT_EQ(built.engine.timeouts.body_idle, loaded->engine.timeouts.body_idle);
  EXPECT_EQ(built.engine.timeouts.request, loaded->engine.timeouts.request);
  EXPECT_EQ(built.engine.pool.enabled, loaded->engine.pool.enabled);
  EXPECT_EQ(built.engine.pool.max_idle_per_target, loaded->engine.pool.max_idle_per_target);
  EXPECT_EQ(built.engine.pool.max_idle_total, loaded->engine.pool.max_idle_total);
  EXPECT_EQ(built.engine.pool.idle_timeout, loaded->engine.pool.idle_timeout);
  EXPECT_EQ(built.engine.pool.max_requests_per_connection, loaded->engine.pool.max_requests_per_connection);
  EXPECT_EQ(built.engine.pool.max_age, loaded->engine.pool.max_age);
  EXPECT_EQ(built.engine.tls.verify, loaded->engine.tls.verify);
  EXPECT_EQ(built.engine.http.max_head_bytes, loaded->engine.http.max_head_bytes);
  EXPECT_EQ(built.engine.http.max_header_count, loaded->engine.http.max_header_count);
  EXPECT_EQ(built.concurrency, loaded->concurrency);
  EXPECT_EQ(built.mode, loaded->mode);
  EXPECT_EQ(built.prewarm_connections, loaded->prewarm_connections);
  EXPECT_EQ(built.metrics_namespace, loaded->metrics_namespace);
  EXPECT_EQ(built.logging.level, loaded->logging.level);
  EXPECT_EQ(built.logging.format, loaded->logging.format);
  EXPECT_EQ(built.trace_context, loaded->trace_context);
  EXPECT_EQ(built.diagnose, loaded->diagnose);
  EXPECT_EQ(built.deadline_margin, loaded->deadline_margin);
  EXPECT_EQ(built.shutdown_grace, loaded->shutdown_grace);
  EXPECT_EQ(built.runtime_api_patience, loaded->runtime_api_patience);
  EXPECT_EQ(built.warmer_hold, loaded->warmer_hold);
  EXPECT_EQ(built.tailscale_socket, loaded->tailscale_socket);

  const auto ext =
      extension::load_extension_config(lookup_in({{"TS_SECRET_API_KEY", "k"}}), "/opt/extensions/x", error);
  ASSERT_TRUE(ext) << error;
  const extension::extension_config ext_built;
  EXPECT_EQ(ext_built.exit_node_required, ext->exit_node_required);
  EXPECT_EQ(ext_built.exit_node_ping_timeout, ext->exit_node_ping_timeout);
  EXPECT_EQ(ext_built.exit_node_ping_retries, ext->exit_node_ping_retries);
  EXPECT_EQ(ext_built.exit_node_allow_lan_access, ext->exit_node_allow_lan_access);
  EXPECT_EQ(ext_built.accept_routes, ext->accept_routes);
  EXPECT_EQ(ext_built.socket_path, ext->socket_path);
  EXPECT_EQ(ext_built.socks5_address, ext->socks5_address);
  EXPECT_EQ(ext_built.socks5_endpoint, ext->socks5_endpoint);
  EXPECT_EQ(ext_built.http_proxy, ext->http_proxy);
  EXPECT_EQ(ext_built.state, ext->state);
  EXPECT_EQ(ext_built.state_dir, ext->state_dir);
  EXPECT_EQ(ext_built.ready_timeout, ext->ready_timeout);
  EXPECT_EQ(ext_built.wait_ready, ext->wait_ready);
  EXPECT_EQ(ext_built.logout_on_shutdown, ext->logout_on_shutdown);
  EXPECT_EQ(ext_built.logging.level, ext->logging.level);
  EXPECT_EQ(ext_built.logging.format, ext->logging.format);
}

TEST(ConfigContract, AnEmptyValueIsUnsetInBothPrograms) {
  std::string error;
  std::optional<asio::ip::tcp::endpoint> api;
  const auto rt = lambda::load_runtime_config(
      lookup_in({{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"}, {"TSPROXY_TAILSCALE_SOCKET", ""}}), error, api,
      1);
  ASSERT_TRUE(rt) << error;
  EXPECT_EQ(rt->tailscale_socket, vars::tailscale_socket.default_value);
  const auto ext = extension::load_extension_config(
      lookup_in({{"TS_SECRET_API_KEY", "k"}, {"TSPROXY_TAILSCALE_SOCKET", ""}}), "/opt/extensions/x", error);
  ASSERT_TRUE(ext) << error;
  EXPECT_EQ(ext->socket_path, vars::tailscale_socket.default_value);
}

TEST(ConfigContract, NoneTurnsTheRuntimesLocalApiOffAndIsRefusedByTheExtension) {
  std::string error;
  std::optional<asio::ip::tcp::endpoint> api;
  const auto rt = lambda::load_runtime_config(
      lookup_in({{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"}, {"TSPROXY_TAILSCALE_SOCKET", "none"}}), error,
      api, 1);
  ASSERT_TRUE(rt) << error;
  EXPECT_EQ(rt->tailscale_socket, "");
  EXPECT_FALSE(extension::load_extension_config(
      lookup_in({{"TS_SECRET_API_KEY", "k"}, {"TSPROXY_TAILSCALE_SOCKET", "none"}}), "/opt/extensions/x",
      error));
  EXPECT_NE(error.find("TSPROXY_TAILSCALE_SOCKET='none'"), std::string::npos) << error;
}

TEST(ConfigContract, TheJsonAndTheReadmeTablesCarryTheSameBounds) {
  const std::string json = contract_json();
  const std::string runtime_table = readme_table(runtime);
  const std::string extension_table = readme_table(extension);
  for (const variable* v : contract()) {
    SCOPED_TRACE(std::string(v->name));
    const std::string key = "\"" + std::string(v->name) + "\": {";
    const auto at = json.find(key);
    ASSERT_NE(at, std::string::npos);
    const std::string entry = json.substr(at, json.find('\n', at) - at);
    if (is_number(*v)) {
      EXPECT_NE(entry.find("\"min\": " + std::to_string(v->min) + ", \"max\": " + std::to_string(v->max)),
                std::string::npos)
          << entry;
    }
    const std::string row = "| `" + std::string(v->name) + "` |";
    EXPECT_EQ(runtime_table.find(row) != std::string::npos, (v->read_by & runtime) != 0);
    EXPECT_EQ(extension_table.find(row) != std::string::npos, (v->read_by & extension) != 0);
  }
  const auto ping = extension_table.find("| `TS_EXIT_NODE_PING_RETRIES` |");
  EXPECT_NE(extension_table.find("1 to 100 pings", ping), std::string::npos);
}

TEST(ConfigContract, TheReadmeTablesReplaceWhatIsBetweenTheMarkers) {
  const std::string readme =
      "intro\n<!-- config:runtime begin: x -->\nold rows\n<!-- config:runtime end -->\nmiddle\n"
      "<!-- config:extension begin -->\n<!-- config:extension end -->\nend\n";
  std::string error;
  const auto out = with_readme_tables(readme, error);
  ASSERT_TRUE(out) << error;
  EXPECT_EQ(*out, "intro\n<!-- config:runtime begin: x -->\n" + readme_table(runtime) +
                      "<!-- config:runtime end -->\nmiddle\n<!-- config:extension begin -->\n" +
                      readme_table(extension) + "<!-- config:extension end -->\nend\n");
  EXPECT_EQ(with_readme_tables(*out, error), out) << "idempotent";
  EXPECT_FALSE(with_readme_tables("no markers\n", error));
  EXPECT_NE(error.find("config:runtime"), std::string::npos) << error;
}

}  // namespace
}  // namespace tsproxy::config
