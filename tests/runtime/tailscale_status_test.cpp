// Reading tailscaled's status document: only "Running" means Tailscale is up.

#include "runtime/tailscale_status.hpp"

#include <gtest/gtest.h>

#include <string>

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

}  // namespace
}  // namespace tsproxy::lambda
