// The runtime's configuration: Lambda's variables, the caller-contract knobs, and how a bad value
// becomes one sentence naming the variable (reported to /init/error).

#include "runtime/runtime_config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace tsproxy::lambda {
namespace {

struct fake_env {
  std::map<std::string, std::string> vars{{"AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001"}};
  env_lookup lookup() const {
    return [this](const char* name) -> const char* {
      auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    };
  }
};

struct loaded {
  std::optional<runtime_config> config;
  std::string error;
  std::optional<asio::ip::tcp::endpoint> api;
};

loaded load(const fake_env& env, unsigned cpus = 2) {
  loaded l;
  l.config = load_runtime_config(env.lookup(), l.error, l.api, cpus);
  return l;
}

TEST(RuntimeConfig, Defaults) {
  const auto l = load(fake_env{});
  ASSERT_TRUE(l.config) << l.error;
  EXPECT_EQ(l.config->runtime_api.port(), 9001);
  EXPECT_EQ(l.config->concurrency, 1u);
  EXPECT_EQ(l.config->mode, invoke_mode::buffered);
  EXPECT_FALSE(l.config->allowed_targets);
  EXPECT_TRUE(l.config->prewarm.empty());
  EXPECT_EQ(l.config->metrics_namespace, "tailscale-service");
  EXPECT_EQ(l.config->logging.level, log_level::info);
  EXPECT_EQ(l.config->logging.format, log_format::text);
  EXPECT_EQ(l.config->engine.pool.max_idle_per_target, 8u);
  EXPECT_EQ(l.config->engine.pool.max_idle_total, 64u);
}

TEST(RuntimeConfig, LambdasLoggingControlsSetLevelAndFormatAndTsproxyLogLevelOverrides) {
  const std::vector<std::tuple<std::string, log_level>> levels{
      {"TRACE", log_level::debug}, {"debug", log_level::debug}, {"INFO", log_level::info},
      {"WARN", log_level::warn},   {"ERROR", log_level::error}, {"FATAL", log_level::error}};
  for (const auto& [name, level] : levels) {
    fake_env env;
    env.vars["AWS_LAMBDA_LOG_LEVEL"] = name;
    env.vars["AWS_LAMBDA_LOG_FORMAT"] = "JSON";
    const auto l = load(env);
    ASSERT_TRUE(l.config) << l.error;
    EXPECT_EQ(l.config->logging.level, level) << name;
    EXPECT_EQ(l.config->logging.format, log_format::json);
  }
  fake_env env;
  env.vars["AWS_LAMBDA_LOG_LEVEL"] = "ERROR";
  env.vars["AWS_LAMBDA_LOG_FORMAT"] = "Text";
  env.vars["TSPROXY_LOG_LEVEL"] = "debug";
  const auto l = load(env);
  ASSERT_TRUE(l.config) << l.error;
  EXPECT_EQ(l.config->logging.level, log_level::debug);
  EXPECT_EQ(l.config->logging.format, log_format::text);
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"AWS_LAMBDA_LOG_LEVEL", "VERBOSE"}, {"AWS_LAMBDA_LOG_FORMAT", "XML"}}) {
    fake_env bad;
    bad.vars[name] = value;
    const auto refused = load(bad);
    EXPECT_FALSE(refused.config) << name;
    EXPECT_NE(refused.error.find(name), std::string::npos) << refused.error;
  }
}

TEST(RuntimeConfig, MissingRuntimeApiIsAnErrorWithNowhereToReportIt) {
  fake_env env;
  env.vars.erase("AWS_LAMBDA_RUNTIME_API");
  const auto l = load(env);
  EXPECT_FALSE(l.config);
  EXPECT_FALSE(l.api);
  EXPECT_NE(l.error.find("AWS_LAMBDA_RUNTIME_API"), std::string::npos);
}

TEST(RuntimeConfig, ABadValueNamesItsVariableAndStillGivesTheRuntimeApi) {
  for (const auto& [name, value] :
       std::map<std::string, std::string>{{"TSPROXY_INVOKE_MODE", "sometimes"},
                                          {"AWS_LAMBDA_MAX_CONCURRENCY", "0"},
                                          {"TSPROXY_ALLOWED_TARGETS", "fd7a::1:443"},
                                          {"TSPROXY_PREWARM", "no-port"},
                                          {"TSPROXY_PREWARM_CONNECTIONS", "65"},
                                          {"TSPROXY_LOG_LEVEL", "loud"},
                                          {"TSPROXY_DEADLINE_MARGIN_MS", "-1"},
                                          {"TSPROXY_WARMER_HOLD_MS", "-5"},
                                          {"TSPROXY_POOL_IDLE_TIMEOUT_MS", "soon"}}) {
    fake_env env;
    env.vars[name] = value;
    const auto l = load(env);
    EXPECT_FALSE(l.config) << name;
    EXPECT_TRUE(l.api) << name;
    EXPECT_EQ(l.error.rfind(name, 0), 0u) << l.error;
  }
}

TEST(RuntimeConfig, CallerContractKnobs) {
  fake_env env;
  env.vars["TSPROXY_INVOKE_MODE"] = "RESPONSE_STREAM";
  env.vars["TSPROXY_ALLOWED_TARGETS"] = "100.64.0.0/10:443";
  env.vars["TSPROXY_PREWARM"] = "https://db.tailnet.ts.net:8443, 100.64.0.7:80";
  env.vars["TSPROXY_DEADLINE_MARGIN_MS"] = "0";
  env.vars["TSPROXY_WARMER_HOLD_MS"] = "250";
  env.vars["DEBUG"] = "1";
  const auto l = load(env);
  ASSERT_TRUE(l.config) << l.error;
  EXPECT_EQ(l.config->mode, invoke_mode::response_stream);
  ASSERT_TRUE(l.config->allowed_targets);
  EXPECT_TRUE(l.config->allowed_targets->allows({"100.100.1.1", 443, true, {}}));
  ASSERT_EQ(l.config->prewarm.size(), 2u);
  EXPECT_TRUE(l.config->prewarm[0].tls);
  EXPECT_EQ(l.config->prewarm[0].server_name, "db.tailnet.ts.net");
  EXPECT_FALSE(l.config->prewarm[1].tls);
  EXPECT_TRUE(l.config->prewarm[1].server_name.empty());
  EXPECT_EQ(l.config->deadline_margin.count(), 0);
  EXPECT_EQ(l.config->warmer_hold.count(), 250);
  EXPECT_EQ(l.config->logging.level, log_level::debug);
}

// What routing makes of a request naming `host` and `port` in ts-target-* headers.
upstream_target routed(std::string_view host_header, std::string_view host, std::string_view port,
                       std::string_view https = {}) {
  function_url_request request;
  request.method = "GET";
  request.raw_path = "/";
  request.headers = {{host_header, host}, {"ts-target-port", port}};
  if (!https.empty()) request.headers.push_back({"ts-https", https});
  routed_request out;
  EXPECT_FALSE(route_request(request, nullptr, out).has_value());
  return out.target;
}

TEST(RuntimeConfig, APrewarmedTargetHasThePoolKeyOfTheRequestsThatNameIt) {
  fake_env env;
  env.vars["TSPROXY_PREWARM"] =
      "Grafana.Tailnet.TS.NET.:3000,https://db.tailnet.ts.net:5432,[::ffff:100.64.0.7]:80";
  const auto l = load(env);
  ASSERT_TRUE(l.config) << l.error;
  ASSERT_EQ(l.config->prewarm.size(), 3u);
  EXPECT_EQ(l.config->prewarm[0], routed("ts-target-host", "grafana.tailnet.ts.net", "3000"))
      << "names are matched lower-case, without the trailing dot; plain HTTP has no server name";
  EXPECT_EQ(l.config->prewarm[0].host, "grafana.tailnet.ts.net");
  EXPECT_TRUE(l.config->prewarm[0].server_name.empty());
  EXPECT_EQ(l.config->prewarm[1], routed("ts-target-host", "DB.tailnet.ts.net", "5432", "true"));
  EXPECT_EQ(l.config->prewarm[2], routed("ts-target-ip", "100.64.0.7", "80")) << "IPs in canonical form";
}

TEST(RuntimeConfig, IdleLimitsFollowTheConcurrencyUnlessSet) {
  fake_env env;
  env.vars["AWS_LAMBDA_MAX_CONCURRENCY"] = "64";
  auto l = load(env);
  ASSERT_TRUE(l.config) << l.error;
  EXPECT_EQ(l.config->concurrency, 64u);
  EXPECT_EQ(l.config->engine.pool.max_idle_per_target, 64u);
  EXPECT_EQ(l.config->engine.pool.max_idle_total, 128u);

  env.vars["TSPROXY_POOL_MAX_IDLE_PER_TARGET"] = "4";
  env.vars["TSPROXY_POOL_MAX_IDLE_TOTAL"] = "10";
  l = load(env);
  ASSERT_TRUE(l.config) << l.error;
  EXPECT_EQ(l.config->engine.pool.max_idle_per_target, 4u);
  EXPECT_EQ(l.config->engine.pool.max_idle_total, 10u);
}

TEST(RuntimeConfig, ThreadsDefaultToTheCpusButNeverExceedTheConcurrency) {
  fake_env env;
  auto l = load(env, 8);
  ASSERT_TRUE(l.config) << l.error;
  EXPECT_EQ(l.config->threads, 1u) << "standard Lambda (concurrency 1) keeps one thread";
  env.vars["AWS_LAMBDA_MAX_CONCURRENCY"] = "64";
  l = load(env, 8);
  ASSERT_TRUE(l.config) << l.error;
  EXPECT_EQ(l.config->threads, 8u);
  l = load(env, 1);
  ASSERT_TRUE(l.config) << l.error;
  EXPECT_EQ(l.config->threads, 1u);
  env.vars["AWS_LAMBDA_MAX_CONCURRENCY"] = "3";
  l = load(env, 8);
  ASSERT_TRUE(l.config) << l.error;
  EXPECT_EQ(l.config->threads, 3u);
}

TEST(RuntimeConfig, ThreadsCanBeSetWithinTheConcurrency) {
  fake_env env;
  env.vars["AWS_LAMBDA_MAX_CONCURRENCY"] = "8";
  env.vars["TSPROXY_THREADS"] = "4";
  auto l = load(env, 2);
  ASSERT_TRUE(l.config) << l.error;
  EXPECT_EQ(l.config->threads, 4u);
  for (const char* bad : {"0", "9", "x", "-1", "300"}) {
    env.vars["TSPROXY_THREADS"] = bad;
    l = load(env, 2);
    EXPECT_FALSE(l.config) << bad;
    EXPECT_NE(l.error.find("TSPROXY_THREADS"), std::string::npos) << l.error;
  }
}

TEST(RuntimeConfig, EachThreadGetsItsShareOfLoopsPoolAndPrewarm) {
  runtime_config process;
  process.concurrency = 8;
  process.threads = 3;
  process.engine.pool.max_idle_per_target = 8;
  process.engine.pool.max_idle_total = 16;
  process.prewarm_connections = 2;
  unsigned loops = 0;
  const unsigned expected_loops[] = {3, 3, 2};
  for (unsigned t = 0; t < 3; ++t) {
    const auto share = config_for_thread(process, t);
    EXPECT_EQ(share.concurrency, expected_loops[t]) << t;
    EXPECT_EQ(share.engine.pool.max_idle_per_target, 3u) << t;  // 8 / 3 rounded up
    EXPECT_EQ(share.engine.pool.max_idle_total, 6u) << t;
    EXPECT_EQ(share.prewarm_connections, 1u) << t;
    EXPECT_EQ(share.threads, 1u);
    loops += share.concurrency;
  }
  EXPECT_EQ(loops, 8u);
  process.threads = 1;
  const auto whole = config_for_thread(process, 0);
  EXPECT_EQ(whole.concurrency, 8u);
  EXPECT_EQ(whole.engine.pool.max_idle_per_target, 8u);
  EXPECT_EQ(whole.engine.pool.max_idle_total, 16u);
  EXPECT_EQ(whole.prewarm_connections, 2u);
}

}  // namespace
}  // namespace tsproxy::lambda
