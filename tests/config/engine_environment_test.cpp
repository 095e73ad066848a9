// load_engine_config: the engine's TSPROXY_* variables through the configuration contract, read through a
// map-backed lookup (the process environment is never touched).
#include "config/engine_environment.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace tsproxy {
namespace {

using namespace std::chrono_literals;
using env_map = std::map<std::string, std::string>;

env_lookup lookup_in(const env_map& env) {
  return [&env](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
}

std::optional<engine_config> load(const env_map& env, std::string& error) {
  return load_engine_config(lookup_in(env), error);
}

TEST(EngineConfig, Defaults) {
  std::string error;
  const auto c = load({}, error);
  ASSERT_TRUE(c.has_value()) << error;
  EXPECT_EQ(error, "");
  EXPECT_EQ(c->socks5.host, "127.0.0.1");
  EXPECT_EQ(c->socks5.port, 1055);
  EXPECT_EQ(c->socks5.username, "");
  EXPECT_EQ(c->socks5.password, "");
  EXPECT_FALSE(c->socks5.pipeline);
  EXPECT_EQ(c->timeouts.connect, 1000ms);
  EXPECT_EQ(c->timeouts.socks5, 10000ms);
  EXPECT_EQ(c->timeouts.tls_handshake, 10000ms);
  EXPECT_EQ(c->timeouts.response_head, 60000ms);
  EXPECT_EQ(c->timeouts.body_idle, 60000ms);
  EXPECT_EQ(c->timeouts.request, 30000ms);
  EXPECT_TRUE(c->pool.enabled);
  EXPECT_EQ(c->pool.max_idle_per_target, 8u);
  EXPECT_EQ(c->pool.max_idle_total, 64u);
  EXPECT_EQ(c->pool.idle_timeout, 4000ms);
  EXPECT_EQ(c->pool.max_requests_per_connection, 10000u);
  EXPECT_EQ(c->pool.max_age, 600000ms);
  EXPECT_TRUE(c->tls.verify);
  EXPECT_EQ(c->tls.ca_file, "");
  EXPECT_EQ(c->http.max_head_bytes, 64u * 1024);
  EXPECT_EQ(c->http.max_header_count, 128u);
  EXPECT_EQ(c->http.max_chunk_line_bytes, 4096u);
}

TEST(EngineConfig, UnrelatedAndEmptyVariablesAreIgnored) {
  const env_map env = {{"PATH", "/usr/bin"},
                       {"TSPROXY_CONNECT_TIMEOUT_MS", ""},
                       {"TSPROXY_SOCKS5_ADDRESS", ""},
                       {"TSPROXY_POOL", ""}};
  std::string error;
  const auto c = load(env, error);
  ASSERT_TRUE(c.has_value()) << error;
  EXPECT_EQ(c->timeouts.connect, 1000ms);
  EXPECT_EQ(c->socks5.host, "127.0.0.1");
  EXPECT_TRUE(c->pool.enabled);
}

struct variable_case {
  std::string name;
  std::vector<std::string> valid;                                       // each accepted on its own
  std::function<void(const engine_config&, const std::string&)> check;  // given the valid value
  std::vector<std::string> invalid;                                     // each refused on its own
};

std::vector<variable_case> all_variables() {
  const auto ms_variable = [](std::string name, auto field) {
    return variable_case{
        name,
        {"1", "2500", "86400000"},
        [field](const engine_config& c, const std::string& v) {
          EXPECT_EQ(field(c), milliseconds(std::stoull(v)));
        },
        {"0", "-1", "abc", "1.5", "86400001", " 100", "100 ", "1e3", "0x10", "99999999999999999999999"}};
  };
  std::vector<variable_case> cases;
  cases.push_back({"TSPROXY_SOCKS5_ADDRESS",
                   {"100.100.100.100:1080"},
                   [](const engine_config& c, const std::string&) {
                     EXPECT_EQ(c.socks5.host, "100.100.100.100");
                     EXPECT_EQ(c.socks5.port, 1080);
                   },
                   {"nope", "1.2.3.4", "1.2.3.4:0", "1.2.3.4:70000", "example.com:1055"}});
  cases.push_back({"TSPROXY_SOCKS5_USERNAME",
                   {"alice", std::string(255, 'u')},
                   [](const engine_config& c, const std::string& v) { EXPECT_EQ(c.socks5.username, v); },
                   {std::string(256, 'u')}});
  cases.push_back({"TSPROXY_SOCKS5_PASSWORD",
                   {"s3cret:with@chars", std::string(255, 'p')},
                   [](const engine_config& c, const std::string& v) { EXPECT_EQ(c.socks5.password, v); },
                   {std::string(256, 'p')}});
  cases.push_back({"TSPROXY_SOCKS5_PIPELINE",
                   {"true", "1", "yes", "on", "TRUE", "On"},
                   [](const engine_config& c, const std::string&) { EXPECT_TRUE(c.socks5.pipeline); },
                   {"maybe", "2", "enabled", " true"}});
  cases.push_back(
      ms_variable("TSPROXY_CONNECT_TIMEOUT_MS", [](const engine_config& c) { return c.timeouts.connect; }));
  cases.push_back(
      ms_variable("TSPROXY_SOCKS5_TIMEOUT_MS", [](const engine_config& c) { return c.timeouts.socks5; }));
  cases.push_back(ms_variable("TSPROXY_TLS_HANDSHAKE_TIMEOUT_MS",
                              [](const engine_config& c) { return c.timeouts.tls_handshake; }));
  cases.push_back(ms_variable("TSPROXY_RESPONSE_HEAD_TIMEOUT_MS",
                              [](const engine_config& c) { return c.timeouts.response_head; }));
  cases.push_back(ms_variable("TSPROXY_BODY_IDLE_TIMEOUT_MS",
                              [](const engine_config& c) { return c.timeouts.body_idle; }));
  cases.push_back(
      ms_variable("TSPROXY_REQUEST_TIMEOUT_MS", [](const engine_config& c) { return c.timeouts.request; }));
  cases.push_back(ms_variable("TSPROXY_POOL_IDLE_TIMEOUT_MS",
                              [](const engine_config& c) { return c.pool.idle_timeout; }));
  cases.push_back(
      ms_variable("TSPROXY_POOL_MAX_AGE_MS", [](const engine_config& c) { return c.pool.max_age; }));
  cases.push_back({"TSPROXY_POOL",
                   {"false", "0", "no", "off", "FALSE"},
                   [](const engine_config& c, const std::string&) { EXPECT_FALSE(c.pool.enabled); },
                   {"disabled", "nah", "-1"}});
  cases.push_back({"TSPROXY_POOL_MAX_IDLE_PER_TARGET",
                   {"0", "3", "10000"},
                   [](const engine_config& c, const std::string& v) {
                     EXPECT_EQ(c.pool.max_idle_per_target, std::stoull(v));
                   },
                   {"10001", "-1", "x", "1.0"}});
  cases.push_back(
      {"TSPROXY_POOL_MAX_IDLE_TOTAL",
       {"0", "100000"},
       [](const engine_config& c, const std::string& v) { EXPECT_EQ(c.pool.max_idle_total, std::stoull(v)); },
       {"100001", "many"}});
  cases.push_back({"TSPROXY_POOL_MAX_REQUESTS",
                   {"1", "4294967295"},
                   [](const engine_config& c, const std::string& v) {
                     EXPECT_EQ(c.pool.max_requests_per_connection, std::stoull(v));
                   },
                   {"0", "4294967296", "lots"}});
  cases.push_back({"TSPROXY_TLS_VERIFY",
                   {"false", "off"},
                   [](const engine_config& c, const std::string&) { EXPECT_FALSE(c.tls.verify); },
                   {"nope", "insecure"}});
  cases.push_back({"TSPROXY_TLS_CA_FILE",
                   {"/etc/ssl/certs/ca-certificates.crt"},
                   [](const engine_config& c, const std::string& v) { EXPECT_EQ(c.tls.ca_file, v); },
                   {}});
  cases.push_back(
      {"TSPROXY_MAX_HEADER_BYTES",
       {"1024", "1048576"},
       [](const engine_config& c, const std::string& v) { EXPECT_EQ(c.http.max_head_bytes, std::stoull(v)); },
       {"1023", "1048577", "64k"}});
  cases.push_back({"TSPROXY_MAX_HEADER_COUNT",
                   {"8", "10000"},
                   [](const engine_config& c, const std::string& v) {
                     EXPECT_EQ(c.http.max_header_count, std::stoull(v));
                   },
                   {"7", "10001", "0"}});
  return cases;
}

TEST(EngineConfig, EveryVariableAcceptsValidValues) {
  for (const auto& v : all_variables()) {
    for (const auto& value : v.valid) {
      SCOPED_TRACE(v.name + "=" + value.substr(0, 40));
      const env_map env = {{v.name, value}};
      std::string error;
      const auto c = load(env, error);
      ASSERT_TRUE(c.has_value()) << error;
      EXPECT_EQ(error, "");
      v.check(*c, value);
    }
  }
}

TEST(EngineConfig, EveryVariableRejectsInvalidValuesByName) {
  for (const auto& v : all_variables()) {
    for (const auto& value : v.invalid) {
      SCOPED_TRACE(v.name + "=" + value.substr(0, 40));
      const env_map env = {{v.name, value}};
      std::string error;
      const auto c = load(env, error);
      EXPECT_FALSE(c.has_value());
      EXPECT_NE(error.find(v.name), std::string::npos) << "the message must name the variable: " << error;
    }
  }
}

TEST(EngineConfig, RejectionMessageQuotesTheValueAndWhatIsExpected) {
  std::string error;
  EXPECT_FALSE(load({{"TSPROXY_CONNECT_TIMEOUT_MS", "soon"}}, error).has_value());
  EXPECT_NE(error.find("TSPROXY_CONNECT_TIMEOUT_MS='soon'"), std::string::npos) << error;
  EXPECT_NE(error.find("86400000"), std::string::npos) << "states the accepted range: " << error;
}

TEST(EngineConfig, ValidVariablesCombine) {
  const env_map env = {{"TSPROXY_SOCKS5_ADDRESS", "[::1]:1080"},
                       {"TSPROXY_SOCKS5_USERNAME", "u"},
                       {"TSPROXY_SOCKS5_PASSWORD", "p"},
                       {"TSPROXY_REQUEST_TIMEOUT_MS", "5000"},
                       {"TSPROXY_POOL_MAX_IDLE_TOTAL", "7"}};
  std::string error;
  const auto c = load(env, error);
  ASSERT_TRUE(c.has_value()) << error;
  EXPECT_EQ(c->socks5.host, "::1");
  EXPECT_EQ(c->socks5.port, 1080);
  EXPECT_EQ(c->socks5.username, "u");
  EXPECT_EQ(c->socks5.password, "p");
  EXPECT_EQ(c->timeouts.request, 5000ms);
  EXPECT_EQ(c->pool.max_idle_total, 7u);
  EXPECT_EQ(c->timeouts.connect, 1000ms) << "unset variables keep their defaults";
}

TEST(EngineConfig, OneBadVariableAmongGoodOnesFails) {
  const env_map env = {{"TSPROXY_REQUEST_TIMEOUT_MS", "5000"}, {"TSPROXY_POOL_MAX_AGE_MS", "forever"}};
  std::string error;
  EXPECT_FALSE(load(env, error).has_value());
  EXPECT_NE(error.find("TSPROXY_POOL_MAX_AGE_MS"), std::string::npos) << error;
}

TEST(EngineConfig, NodeTlsRejectUnauthorizedZeroDisablesVerification) {
  std::string error;
  auto c = load({{"NODE_TLS_REJECT_UNAUTHORIZED", "0"}}, error);
  ASSERT_TRUE(c.has_value()) << error;
  EXPECT_FALSE(c->tls.verify);

  c = load({{"NODE_TLS_REJECT_UNAUTHORIZED", "0"}, {"TSPROXY_TLS_VERIFY", "true"}}, error);
  ASSERT_TRUE(c.has_value()) << error;
  EXPECT_FALSE(c->tls.verify) << "Node's switch turns verification off whatever TSPROXY_TLS_VERIFY says";

  for (const char* other : {"1", "", "false", "no"}) {
    c = load({{"NODE_TLS_REJECT_UNAUTHORIZED", other}}, error);
    ASSERT_TRUE(c.has_value()) << error;
    EXPECT_TRUE(c->tls.verify) << "only \"0\" disables verification, not '" << other << "'";
  }
}

TEST(EngineConfig, Socks5AddressForms) {
  struct accepted {
    std::string_view text;
    std::string_view host;
    std::uint16_t port;
  };
  for (const auto& a :
       {accepted{"127.0.0.1:1055", "127.0.0.1", 1055}, accepted{"[::1]:1080", "::1", 1080},
        accepted{"localhost:1055", "127.0.0.1", 1055},  // localhost is 127.0.0.1 (numeric_endpoint.hpp)
        accepted{"[fd7a:115c:a1e0::1]:65535", "fd7a:115c:a1e0::1", 65535},
        accepted{"10.1.2.3:1", "10.1.2.3", 1}}) {
    SCOPED_TRACE(a.text);
    std::string error;
    const auto c = load({{"TSPROXY_SOCKS5_ADDRESS", std::string(a.text)}}, error);
    ASSERT_TRUE(c.has_value()) << error;
    EXPECT_EQ(c->socks5.host, a.host);
    EXPECT_EQ(c->socks5.port, a.port);
  }
  for (const std::string_view text :
       {"example.com:1055", "1.2.3.4", "1.2.3.4:0", "1.2.3.4:70000", "1.2.3.4:", ":1055", "::1:1080", "[::1]",
        "[::1]:", "[]:1080", "1.2.3.4:10 55", "1.2.3.4:-1", "[example.com]:1055"}) {
    SCOPED_TRACE(text);
    std::string error;
    EXPECT_FALSE(load({{"TSPROXY_SOCKS5_ADDRESS", std::string(text)}}, error).has_value());
    EXPECT_NE(error.find("TSPROXY_SOCKS5_ADDRESS"), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace tsproxy
