// TSPROXY_CALLER_POLICY end to end: invocations whose requestContext.authorizer.iam names the caller, as a
// Function URL with AuthType AWS_IAM sends them (raw invocations through tsproxy-local's direct-invoke
// endpoint, so each names the caller the test wants). Caller A (a role's session) may reach one target,
// caller B (any principal of another account) another; others get 403 CallerNotAllowed. A refused request
// never reaches its target.

#include <gtest/gtest.h>

#include "fault_matrix.hpp"
#include "support/nginx_server.hpp"

namespace tsproxy::test {
namespace {

constexpr std::string_view caller_a =
    R"({"accountId":"111122223333","callerId":"AROAEXAMPLEA:lambda-a",)"
    R"("userArn":"arn:aws:sts::111122223333:assumed-role/billing/lambda-a",)"
    R"("userId":"AROAEXAMPLEA:lambda-a","principalOrgId":null,)"
    R"("cognitoIdentity":null,"accessKey":"ASIAEXAMPLEA"})";
constexpr std::string_view caller_b =
    R"({"accountId":"444455556666","callerId":"AIDAEXAMPLEB",)"
    R"("userArn":"arn:aws:iam::444455556666:user/metrics",)"
    R"("userId":"AIDAEXAMPLEB","principalOrgId":null,"accessKey":"AKIAEXAMPLEB"})";
constexpr std::string_view caller_c = R"({"accountId":"777788889999","callerId":"AIDAEXAMPLEC",)"
                                      R"("userArn":"arn:aws:iam::777788889999:user/someone",)"
                                      R"("userId":"AIDAEXAMPLEC","accessKey":"AKIAEXAMPLEC"})";

class CallerPolicyE2e : public FaultMatrix {
 protected:
  nginx_server nginx_;
  std::string python_target_ = "127.0.0.1:" + std::to_string(python_.port());
  std::string nginx_target_ = "127.0.0.1:" + std::to_string(nginx_.http_port());
  local_stack stack_{socks_address(), options()};

  stack_options options() const {
    stack_options o;
    o.env = {{"TSPROXY_ALLOWED_TARGETS", python_target_ + "," + nginx_target_},
             {"TSPROXY_CALLER_POLICY",
              R"([{"principal":"arn:aws:iam::111122223333:role/billing","allowedTargets":")" +
                  python_target_ + R"(","diagnose":true},{"principal":"444455556666","allowedTargets":")" +
                  nginx_target_ + R"("}])"}};
    return o;
  }

  // A GET of `path` on 127.0.0.1:`port` by `caller` (an authorizer.iam object; empty: none), with
  // `extra_headers` (JSON members, each with a leading comma).
  std::string invoke(std::uint16_t port, std::string_view path, std::string_view caller,
                     std::string_view extra_headers = "") const {
    std::string e = R"({"version":"2.0","rawPath":")" + std::string(path) +
                    R"(","rawQueryString":"","headers":{"ts-target-ip":"127.0.0.1","ts-target-port":")" +
                    std::to_string(port) + R"(")" + std::string(extra_headers) +
                    R"(},"requestContext":{"http":{"method":"GET"})";
    if (!caller.empty()) e += R"(,"authorizer":{"iam":)" + std::string(caller) + "}";
    return stack_.invoke_raw(e + R"(},"isBase64Encoded":false})");
  }
  static bool answered(const std::string& result) {
    return result.find(R"("statusCode":200,)") != std::string::npos;
  }
};

TEST_F(CallerPolicyE2e, EachCallerReachesItsOwnTargetAndGets403ForTheOther) {
  EXPECT_TRUE(answered(invoke(python_.port(), "/echo", caller_a))) << "caller A reaches its target";
  EXPECT_TRUE(answered(invoke(nginx_.http_port(), "/small", caller_b))) << "caller B reaches its own";
  const auto served = python_.requests_served();
  EXPECT_TRUE(is_proxy_error_result(invoke(python_.port(), "/echo", caller_b), 403, "TargetNotAllowed"));
  EXPECT_EQ(python_.requests_served(), served) << "a refused request reached the target";
  EXPECT_TRUE(is_proxy_error_result(invoke(nginx_.http_port(), "/small", caller_a), 403, "TargetNotAllowed"));
  EXPECT_EQ(nginx_.access_log_entries().size(), 1u) << "a refused request reached nginx";
}

TEST_F(CallerPolicyE2e, ACallerNoEntryNamesAndAnUnauthenticatedOneGetCallerNotAllowed) {
  const auto served = python_.requests_served();
  EXPECT_TRUE(is_proxy_error_result(invoke(python_.port(), "/echo", caller_c), 403, "CallerNotAllowed"));
  EXPECT_TRUE(is_proxy_error_result(invoke(python_.port(), "/echo", ""), 403, "CallerNotAllowed"));
  EXPECT_EQ(python_.requests_served(), served);
  EXPECT_TRUE(answered(invoke(python_.port(), "/echo", caller_a))) << "and the runtime serves on";
}

TEST_F(CallerPolicyE2e, OnlyACallerWhoseEntrySaysDiagnoseGetsADiagnosis) {
  constexpr std::string_view diagnose = R"(,"ts-diagnose":"true")";
  const auto served = python_.requests_served();
  const auto diagnosis = invoke(python_.port(), "/echo", caller_a, diagnose);
  EXPECT_TRUE(answered(diagnosis)) << diagnosis;
  EXPECT_NE(diagnosis.find(R"("ts-diagnose":"true")"), std::string::npos) << diagnosis;
  EXPECT_TRUE(is_proxy_error_result(invoke(nginx_.http_port(), "/small", caller_b, diagnose), 403,
                                    "DiagnoseNotAllowed"));
  EXPECT_TRUE(
      is_proxy_error_result(invoke(python_.port(), "/echo", caller_b, diagnose), 403, "TargetNotAllowed"))
      << "the policy's targets bound a diagnosis too";
  EXPECT_EQ(python_.requests_served(), served) << "a diagnosis forwarded the request";
  EXPECT_TRUE(nginx_.access_log_entries().empty());
}

}  // namespace
}  // namespace tsproxy::test
