// tsproxy-local's AWS_IAM check as values: where the keys come from, the verdict on requests as the
// listener reads them, and the signer's principal in the event the function gets.

#include "function_url_auth.hpp"

#include <gtest/gtest.h>

#include <map>

#include "adapter/function_url_event.hpp"
#include "event_builder.hpp"
#include "local_options.hpp"
#include "support/temp_dir.hpp"

namespace tsproxy::local {
namespace {

TEST(FunctionUrlAuth, KeyFromTheFileElseTheEnvironment) {
  std::map<std::string, std::string> vars{{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                          {"AWS_SECRET_ACCESS_KEY", "env-secret"}};
  const env_lookup env = [&](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
  local_options options;
  options.auth = auth_mode::aws_iam;
  std::string error;
  auto iam = load_function_url_auth(options, "us-west-2", env, error);
  ASSERT_TRUE(iam) << error;
  ASSERT_EQ(iam->signers.size(), 1U);
  const auto& from_env = iam->signers[0];
  EXPECT_EQ(from_env.acceptance.key.access_key_id, "AKIDENV");
  EXPECT_EQ(from_env.acceptance.region, "us-west-2");
  EXPECT_EQ(from_env.acceptance.service, "lambda");
  EXPECT_EQ(from_env.acceptance.max_clock_skew, std::chrono::minutes(15));
  // The environment names no principal: the function learns the access key alone.
  EXPECT_EQ(from_env.principal.access_key, "AKIDENV");
  EXPECT_TRUE(from_env.principal.user_arn.empty() && from_env.principal.account_id.empty());

  test::temp_dir dir("tsproxy-auth");
  test::write_file(dir / "credentials",
                   "[default]\naws_access_key_id=AKIDFILE\naws_secret_access_key=file-secret\n");
  options.auth_credentials_file = (dir / "credentials").string();
  options.auth_region = "eu-north-1";
  iam = load_function_url_auth(options, "us-west-2", env, error);
  ASSERT_TRUE(iam) << error;
  ASSERT_EQ(iam->signers.size(), 1U);
  EXPECT_EQ(iam->signers[0].acceptance.key.access_key_id, "AKIDFILE");
  EXPECT_EQ(iam->signers[0].acceptance.region, "eu-north-1");

  options.auth_credentials_file = (dir / "missing").string();
  EXPECT_FALSE(load_function_url_auth(options, "us-west-2", env, error));
  EXPECT_NE(error.find("cannot read"), std::string::npos) << error;
  options.auth_credentials_file.clear();
  vars.clear();
  EXPECT_FALSE(load_function_url_auth(options, "us-west-2", env, error));
  EXPECT_NE(error.find("AWS_ACCESS_KEY_ID"), std::string::npos) << error;
}

const std::string two_callers_file =
    "[caller-a]\n"
    "aws_access_key_id = AKIDCALLERA\n"
    "aws_secret_access_key = secret-a\n"
    "principal_arn = arn:aws:sts::111122223333:assumed-role/RoleA/session-a\n"
    "user_id = AROAROLEAID000000001\n"
    "[caller-b]\n"
    "aws_access_key_id = AKIDCALLERB\n"
    "aws_secret_access_key = secret-b\n"
    "principal_arn = arn:aws:iam::444455556666:user/bob\n"
    "principal_org_id = o-exampleorg\n"
    "[plain]\n"
    "aws_access_key_id = AKIDPLAIN\n"
    "aws_secret_access_key = secret-plain\n";

class TwoCallers : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(dir_ / "credentials", two_callers_file);
    options_.auth = auth_mode::aws_iam;
    options_.auth_credentials_file = (dir_ / "credentials").string();
    options_.auth_profiles = {"caller-a", "caller-b", "plain"};
    std::string error;
    auto iam = load_function_url_auth(options_, "us-east-1", no_env, error);
    ASSERT_TRUE(iam) << error;
    iam_ = std::move(*iam);
  }

  // A request to /a/b?y=2&x=1 signed with `key` at `now_`.
  request_head signed_with(const aws::credentials& key, std::string_view body) const {
    const std::vector<header_view> to_sign{{"Host", "127.0.0.1:9000"}, {"ts-target-port", "8080"}};
    const auto signature = aws::sign_request({"POST", "/a/b", "y=2&x=1", to_sign, body}, key, "us-east-1",
                                             "lambda", aws::format_amz_date(now_));
    request_head head{"POST", "/a/b?y=2&x=1", 1, {{"Host", "127.0.0.1:9000"}, {"ts-target-port", "8080"}}};
    for (auto& h : aws::signature_headers(signature, key)) head.headers.push_back(h);
    return head;
  }

  static const char* no_env(const char*) { return nullptr; }

  test::temp_dir dir_{"tsproxy-auth"};
  local_options options_;
  function_url_iam iam_;
  std::chrono::system_clock::time_point now_ = std::chrono::system_clock::from_time_t(1700000000);
};

TEST_F(TwoCallers, ChecksTheRequestTargetSplitAtTheQuery) {
  const aws::credentials a{"AKIDCALLERA", "secret-a", ""};
  auto head = signed_with(a, "payload");
  EXPECT_EQ(check_function_url_request(iam_, head, "payload", now_).rejection, sigv4_rejection::none);
  head.target = "/a/b?y=2&x=2";
  EXPECT_EQ(check_function_url_request(iam_, head, "payload", now_).rejection,
            sigv4_rejection::signature_mismatch);
  head.target = "/a/b?y=2&x=1";
  const auto tampered = check_function_url_request(iam_, head, "other", now_);
  EXPECT_EQ(tampered.rejection, sigv4_rejection::signature_mismatch);
  EXPECT_EQ(tampered.caller, nullptr);
}

TEST_F(TwoCallers, EachKeyGetsItsOwnPrincipal) {
  ASSERT_EQ(iam_.signers.size(), 3U);
  const auto a =
      check_function_url_request(iam_, signed_with({"AKIDCALLERA", "secret-a", ""}, "x"), "x", now_);
  const auto b =
      check_function_url_request(iam_, signed_with({"AKIDCALLERB", "secret-b", ""}, "x"), "x", now_);
  ASSERT_EQ(a.rejection, sigv4_rejection::none);
  ASSERT_EQ(b.rejection, sigv4_rejection::none);
  ASSERT_NE(a.caller, nullptr);
  ASSERT_NE(b.caller, nullptr);
  EXPECT_EQ(a.caller->user_arn, "arn:aws:sts::111122223333:assumed-role/RoleA/session-a");
  EXPECT_EQ(a.caller->access_key, "AKIDCALLERA");
  EXPECT_EQ(b.caller->user_arn, "arn:aws:iam::444455556666:user/bob");
  EXPECT_EQ(b.caller->access_key, "AKIDCALLERB");
  EXPECT_EQ(b.caller->principal_org_id, "o-exampleorg");

  // B's key with A's secret (or the reverse) is nobody's signature; an unknown key is refused as such.
  EXPECT_EQ(check_function_url_request(iam_, signed_with({"AKIDCALLERB", "secret-a", ""}, "x"), "x", now_)
                .rejection,
            sigv4_rejection::signature_mismatch);
  EXPECT_EQ(check_function_url_request(iam_, signed_with({"AKIDCALLERA", "secret-b", ""}, "x"), "x", now_)
                .rejection,
            sigv4_rejection::signature_mismatch);
  EXPECT_EQ(
      check_function_url_request(iam_, signed_with({"AKIDNOBODY", "secret-a", ""}, "x"), "x", now_).rejection,
      sigv4_rejection::unknown_access_key);
}

// The event as the function reads it (tsproxy's own parser) and as AWS writes it (nulls included).
TEST_F(TwoCallers, TheEventNamesTheSigner) {
  const auto b =
      check_function_url_request(iam_, signed_with({"AKIDCALLERB", "secret-b", ""}, "x"), "x", now_);
  ASSERT_NE(b.caller, nullptr);
  const auto head = signed_with({"AKIDCALLERB", "secret-b", ""}, "x");
  std::string event;
  build_function_url_event(
      head, "x", {"req-1", "urlid", "us-east-1", "127.0.0.1", "Root=1-x", 9000, 0, b.caller}, event);
  lambda::event_parser parser;
  lambda::function_url_request request;
  ASSERT_FALSE(parser.parse(event, request)) << event;
  EXPECT_EQ(request.caller.user_arn, "arn:aws:iam::444455556666:user/bob");
  EXPECT_EQ(request.caller.account_id, "444455556666");
  EXPECT_EQ(request.caller.user_id, placeholder_unique_id("AIDA", "arn:aws:iam::444455556666:user/bob"));
  EXPECT_EQ(request.caller.caller_id, request.caller.user_id);
  EXPECT_EQ(request.caller.principal_org_id, "o-exampleorg");
  EXPECT_NE(
      event.find(R"("authorizer":{"iam":{"accessKey":"AKIDCALLERB","accountId":"444455556666","callerId":")"),
      std::string::npos)
      << event;
  EXPECT_NE(event.find(R"("cognitoIdentity":null,"principalOrgId":"o-exampleorg","userArn":)"),
            std::string::npos)
      << event;

  // A key without a principal: what is known, and null for the rest.
  const auto plain =
      check_function_url_request(iam_, signed_with({"AKIDPLAIN", "secret-plain", ""}, "x"), "x", now_);
  ASSERT_NE(plain.caller, nullptr);
  event.clear();
  build_function_url_event(
      head, "x", {"req-2", "urlid", "us-east-1", "127.0.0.1", "Root=1-x", 9000, 0, plain.caller}, event);
  EXPECT_NE(
      event.find(R"("iam":{"accessKey":"AKIDPLAIN","accountId":null,"callerId":null,"cognitoIdentity":null,)"
                 R"("principalOrgId":null,"userArn":null,"userId":null})"),
      std::string::npos)
      << event;
  ASSERT_FALSE(parser.parse(event, request));
  EXPECT_FALSE(request.caller.present());

  // AuthType NONE: no authorizer at all.
  event.clear();
  build_function_url_event(head, "x", {"req-3", "urlid", "us-east-1", "127.0.0.1", "Root=1-x", 9000, 0},
                           event);
  EXPECT_EQ(event.find("authorizer"), std::string::npos) << event;
}

TEST_F(TwoCallers, ABadSectionIsNamedWithItsFile) {
  test::write_file(dir_ / "credentials", two_callers_file +
                                             "[broken]\naws_access_key_id=K\naws_secret_access_key=S\n"
                                             "principal_arn=arn:aws:iam::111122223333:role/RoleA\n");
  options_.auth_profiles = {"caller-a", "broken"};
  std::string error;
  EXPECT_FALSE(load_function_url_auth(options_, "us-east-1", no_env, error));
  EXPECT_EQ(error.find("--auth-credentials " + options_.auth_credentials_file + ": [broken]: principal_arn"),
            0U)
      << error;
  options_.auth_profiles = {"caller-a", "absent"};
  EXPECT_FALSE(load_function_url_auth(options_, "us-east-1", no_env, error));
  EXPECT_EQ(error, "--auth-credentials " + options_.auth_credentials_file + ": no [absent] section");
}

TEST(LocalOptions, AuthFlags) {
  std::string error;
  const char* argv[] = {
      "tsproxy-local",    "--auth",         "aws_iam", "--auth-region",  "eu-west-1", "--auth-credentials",
      "/tmp/credentials", "--auth-profile", "ci",      "--auth-profile", "team-b",    "--",
      "/bin/true"};
  auto options = parse_local_options(static_cast<int>(std::size(argv)), argv, error);
  ASSERT_TRUE(options) << error;
  EXPECT_EQ(options->auth, auth_mode::aws_iam);
  EXPECT_EQ(options->auth_region, "eu-west-1");
  EXPECT_EQ(options->auth_credentials_file, "/tmp/credentials");
  EXPECT_EQ(options->auth_profiles, (std::vector<std::string>{"ci", "team-b"}));
  const char* defaults[] = {"tsproxy-local", "--", "/bin/true"};
  options = parse_local_options(3, defaults, error);
  ASSERT_TRUE(options) << error;
  EXPECT_EQ(options->auth, auth_mode::none);
  const char* bad[] = {"tsproxy-local", "--auth", "iam", "--", "/bin/true"};
  EXPECT_FALSE(parse_local_options(5, bad, error));
  const char* without_mode[] = {"tsproxy-local", "--auth-region", "eu-west-1", "--", "/bin/true"};
  EXPECT_FALSE(parse_local_options(5, without_mode, error));
  EXPECT_NE(error.find("--auth aws_iam"), std::string::npos) << error;
  const char* profile_without_file[] = {"tsproxy-local", "--auth", "aws_iam", "--auth-profile", "a", "--",
                                        "/bin/true"};
  EXPECT_FALSE(parse_local_options(7, profile_without_file, error));
  EXPECT_EQ(error, "--auth-profile needs --auth-credentials");
}

}  // namespace
}  // namespace tsproxy::local
