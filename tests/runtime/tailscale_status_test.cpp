// Reading tailscaled's status document: only "Running" means Tailscale is up.

#include "runtime/tailscale_status.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/tailscale_local_api.hpp"

namespace tsproxy::lambda {
namespace {

listener_state state_of(std::string json) {
  json.reserve(json.size() + 64);  // the padding the reader leaves after a body
  return listener_state_from_status(json);
}

TEST(TailscaleStatus, OnlyRunningIsUp) {
  EXPECT_EQ(state_of("{\n\t\"Version\": \"1.80.0\",\n\t\"BackendState\": \"Running\",\n\t\"Self\": {}\n}\n"),
            listener_state::up);
  for (const char* state :
       {"NoState", "NeedsLogin", "NeedsMachineAuth", "Stopped", "Starting", "SomethingNew"}) {
    EXPECT_EQ(state_of(std::string(R"({"BackendState":")") + state + "\"}"), listener_state::starting)
        << state;
  }
}

TEST(TailscaleStatus, AnythingElseIsUnknown) {
  for (const char* doc :
       {"", "not json", "{}", R"({"BackendState":1})", R"(["Running"])", "{\"BackendState\":"}) {
    EXPECT_EQ(state_of(doc), listener_state::unknown) << doc;
  }
}

TEST(TailscaleStatus, TheStateAndHealthMessagesSayWhyTheNodeIsNotUp) {
  std::string json =
      "{\n\t\"Version\": \"1.94.2\",\n\t\"BackendState\": \"NeedsMachineAuth\",\n\t\"Health\": [\n\t\t\"not "
      "in "
      "map poll\",\n\t\t\"machine not authorized\"\n\t],\n\t\"Self\": {\"HostName\": \"x\"}\n}\n";
  json.reserve(json.size() + tailscale_status_padding);
  const auto status = parse_tailscale_status(json);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->backend_state, "NeedsMachineAuth");
  EXPECT_EQ(status->health, (std::vector<std::string>{"not in map poll", "machine not authorized"}));
  std::string healthy = R"({"Health":null,"BackendState":"Running"})";
  healthy.reserve(healthy.size() + tailscale_status_padding);
  const auto running = parse_tailscale_status(healthy);
  ASSERT_TRUE(running);
  EXPECT_EQ(running->backend_state, "Running");
  EXPECT_TRUE(running->health.empty());
}

TEST(TailscaleStatus, TheExitNodeInUseIsTheFirstAddressOfExitNodeStatus) {
  std::string json =
      "{\n\t\"BackendState\": \"Running\",\n\t\"ExitNodeStatus\": {\n\t\t\"ID\": "
      "\"nX1CNTRL\",\n\t\t\"Online\": "
      "true,\n\t\t\"TailscaleIPs\": "
      "[\n\t\t\t\"100.64.0.2/32\",\n\t\t\t\"fd7a:115c:a1e0::2/128\"\n\t\t]\n\t}\n}\n";
  json.reserve(json.size() + tailscale_status_padding);
  const auto status = parse_tailscale_status(json);
  ASSERT_TRUE(status);
  EXPECT_EQ(status->exit_node_ip, "100.64.0.2");
  for (std::string none :
       {std::string(R"({"BackendState":"Running"})"),
        std::string(R"({"BackendState":"Running","ExitNodeStatus":null})"),
        std::string(R"({"ExitNodeStatus":{"TailscaleIPs":[]},"BackendState":"Running"})")}) {
    none.reserve(none.size() + tailscale_status_padding);
    const auto without = parse_tailscale_status(none);
    ASSERT_TRUE(without) << none;
    EXPECT_EQ(without->exit_node_ip, "") << none;
  }
}

}  // namespace
}  // namespace tsproxy::lambda
