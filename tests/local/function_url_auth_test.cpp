// tsproxy-local's AWS_IAM check as values: the credentials file, where the key comes from, and the
// verdict on requests as the listener reads them.

#include "function_url_auth.hpp"

#include <gtest/gtest.h>

#include <map>

#include "local_options.hpp"
#include "support/temp_dir.hpp"

namespace tsproxy::local {
namespace {

TEST(CredentialsFile, ReadsTheDefaultOrTheNamedProfile) {
  const std::string text =
      "# comment\n"
      "[other]\n"
      "aws_access_key_id = AKIDOTHER\n"
      "aws_secret_access_key = other-secret\n"
      "\n"
      "[default]\r\n"
      "aws_access_key_id=AKIDDEFAULT\r\n"
      "aws_secret_access_key =  default/secret+key \r\n"
      "aws_session_token = tok\n"
      "region = eu-west-1\n";
  std::string error;
  auto key = parse_credentials_file(text, "default", error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(key->access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(key->secret_access_key, "default/secret+key");
  EXPECT_EQ(key->session_token, "tok");
  key = parse_credentials_file(text, "other", error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(key->access_key_id, "AKIDOTHER");
  EXPECT_TRUE(key->session_token.empty());
  EXPECT_FALSE(parse_credentials_file(text, "missing", error));
  EXPECT_EQ(error, "no [missing] section");
}

TEST(CredentialsFile, AFileWithoutSectionsIsOneKey) {
  std::string error;
  const auto key = parse_credentials_file("aws_access_key_id=A\naws_secret_access_key=S\n", "default", error);
  ASSERT_TRUE(key) << error;
  EXPECT_EQ(key->access_key_id, "A");
  EXPECT_FALSE(parse_credentials_file("aws_access_key_id=A\n", "default", error));
  EXPECT_FALSE(parse_credentials_file("", "default", error));
}

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
  auto acceptance = load_function_url_auth(options, "us-west-2", env, error);
  ASSERT_TRUE(acceptance) << error;
  EXPECT_EQ(acceptance->key.access_key_id, "AKIDENV");
  EXPECT_EQ(acceptance->region, "us-west-2");
  EXPECT_EQ(acceptance->service, "lambda");
  EXPECT_EQ(acceptance->max_clock_skew, std::chrono::minutes(15));

  test::temp_dir dir("tsproxy-auth");
  test::write_file(dir / "credentials",
                   "[default]\naws_access_key_id=AKIDFILE\naws_secret_access_key=file-secret\n");
  options.auth_credentials_file = (dir / "credentials").string();
  options.auth_region = "eu-north-1";
  acceptance = load_function_url_auth(options, "us-west-2", env, error);
  ASSERT_TRUE(acceptance) << error;
  EXPECT_EQ(acceptance->key.access_key_id, "AKIDFILE");
  EXPECT_EQ(acceptance->region, "eu-north-1");

  options.auth_credentials_file = (dir / "missing").string();
  EXPECT_FALSE(load_function_url_auth(options, "us-west-2", env, error));
  EXPECT_NE(error.find("cannot read"), std::string::npos) << error;
  options.auth_credentials_file.clear();
  vars.clear();
  EXPECT_FALSE(load_function_url_auth(options, "us-west-2", env, error));
  EXPECT_NE(error.find("AWS_ACCESS_KEY_ID"), std::string::npos) << error;
}

TEST(FunctionUrlAuth, ChecksTheRequestTargetSplitAtTheQuery) {
  const sigv4_acceptance acceptance{{"AKIDLOCAL", "local-secret", ""}, "us-east-1", "lambda"};
  const auto now = std::chrono::system_clock::from_time_t(1700000000);
  const std::string body = "payload";
  std::vector<header_view> to_sign{{"Host", "127.0.0.1:9000"}, {"ts-target-port", "8080"}};
  const auto signature = aws::sign_request({"POST", "/a/b", "y=2&x=1", to_sign, body}, acceptance.key,
                                           "us-east-1", "lambda", aws::format_amz_date(now));
  request_head head{"POST", "/a/b?y=2&x=1", 1, {{"Host", "127.0.0.1:9000"}, {"ts-target-port", "8080"}}};
  for (auto& h : aws::signature_headers(signature, acceptance.key)) head.headers.push_back(h);
  EXPECT_EQ(check_function_url_request(acceptance, head, body, now), sigv4_rejection::none);
  head.target = "/a/b?y=2&x=2";
  EXPECT_EQ(check_function_url_request(acceptance, head, body, now), sigv4_rejection::signature_mismatch);
  head.target = "/a/b?y=2&x=1";
  EXPECT_EQ(check_function_url_request(acceptance, head, "other", now), sigv4_rejection::signature_mismatch);
}

TEST(LocalOptions, AuthFlags) {
  std::string error;
  const char* argv[] = {"tsproxy-local",
                        "--auth",
                        "aws_iam",
                        "--auth-region",
                        "eu-west-1",
                        "--auth-credentials",
                        "/tmp/credentials",
                        "--auth-profile",
                        "ci",
                        "--",
                        "/bin/true"};
  auto options = parse_local_options(static_cast<int>(std::size(argv)), argv, error);
  ASSERT_TRUE(options) << error;
  EXPECT_EQ(options->auth, auth_mode::aws_iam);
  EXPECT_EQ(options->auth_region, "eu-west-1");
  EXPECT_EQ(options->auth_credentials_file, "/tmp/credentials");
  EXPECT_EQ(options->auth_profile, "ci");
  const char* defaults[] = {"tsproxy-local", "--", "/bin/true"};
  options = parse_local_options(3, defaults, error);
  ASSERT_TRUE(options) << error;
  EXPECT_EQ(options->auth, auth_mode::none);
  const char* bad[] = {"tsproxy-local", "--auth", "iam", "--", "/bin/true"};
  EXPECT_FALSE(parse_local_options(5, bad, error));
  const char* without_mode[] = {"tsproxy-local", "--auth-region", "eu-west-1", "--", "/bin/true"};
  EXPECT_FALSE(parse_local_options(5, without_mode, error));
  EXPECT_NE(error.find("--auth aws_iam"), std::string::npos) << error;
}

}  // namespace
}  // namespace tsproxy::local
