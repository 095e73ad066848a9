// tsproxy-local --auth aws_iam end to end: a caller signing with botocore's SigV4Auth (sigv4_request.py)
// → tsproxy-local checking the signature like a Function URL with AuthType AWS_IAM → bootstrap →
// microsocks → the Python upstream. Good signatures are proxied; every kind of bad one gets the
// Function URL's 403 and never reaches the upstream.

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>

#include "local_stack.hpp"

namespace tsproxy::test {
namespace {

struct signer_key {
  std::string access_key_id = "AKIDLOCALTEST0000001";
  std::string secret_access_key = "local/test+secret/key0000000000000000000";
  std::string session_token;
};

struct signed_call {
  std::string method = "GET";
  std::string target = "/";
  std::vector<std::string> headers;  // "Name: value", signed
  std::string body;
  signer_key key;
  std::string region = "us-east-1";
  int date_offset_s = 0;
  std::vector<std::string> after_signing;  // "Name: value" set after signing
  std::vector<std::string> drop_after_signing;
  bool flip_body_byte = false;
};

std::string python() {
  const char* configured = std::getenv("TSPROXY_TEST_PYTHON");
  return configured != nullptr ? configured : "python3";
}

http_reply call(const local_stack& stack, const signed_call& c) {
  static int counter = 0;
  const auto id = std::to_string(++counter);
  const auto body_in = stack.dir() / ("signed-body-in" + id);
  const auto body_out = stack.dir() / ("signed-body-out" + id);
  write_file(body_in, c.body);
  std::vector<std::string> argv{python(),        TSPROXY_E2E_DIR "/sigv4_request.py",
                                "--url",         stack.url() + c.target,
                                "--method",      c.method,
                                "--body-file",   body_in.string(),
                                "--access-key",  c.key.access_key_id,
                                "--secret-key",  c.key.secret_access_key,
                                "--region",      c.region,
                                "--date-offset", std::to_string(c.date_offset_s),
                                "--body-out",    body_out.string()};
  if (!c.key.session_token.empty()) argv.insert(argv.end(), {"--session-token", c.key.session_token});
  for (const auto& h : c.headers) argv.insert(argv.end(), {"--header", h});
  for (const auto& h : c.after_signing) argv.insert(argv.end(), {"--after-signing-header", h});
  for (const auto& h : c.drop_after_signing) argv.insert(argv.end(), {"--drop-after-signing", h});
  if (c.flip_body_byte) argv.emplace_back("--flip-body-byte");
  const auto result = run_command(argv, std::chrono::seconds(90));
  http_reply reply;
  if (result.exit_code != 0) {
    reply.status = -1;
    reply.body = result.err;
    return reply;
  }
  std::istringstream lines(result.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("status ", 0) == 0) reply.status = std::stoi(line.substr(7));
    if (line.rfind("header ", 0) == 0) {
      const auto colon = line.find(':');
      auto name = line.substr(7, colon - 7);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      reply.headers.emplace_back(name, line.substr(colon + 2));
    }
  }
  reply.body = read_file(body_out);
  return reply;
}

std::string all_byte_values() {
  std::string s;
  for (int r = 0; r < 4; ++r) {
    for (int i = 0; i < 256; ++i) s.push_back(static_cast<char>(i));
  }
  return s;
}

class FunctionUrlAuth : public ::testing::Test {
 protected:
  FunctionUrlAuth() : dir_("tsproxy-auth-e2e") {}

  // A stack accepting `key`, given in a credentials file.
  local_stack stack_for(const signer_key& key) {
    std::string file = "[default]\naws_access_key_id = " + key.access_key_id +
                       "\naws_secret_access_key = " + key.secret_access_key + "\n";
    if (!key.session_token.empty()) file += "aws_session_token = " + key.session_token + "\n";
    write_file(dir_ / "credentials", file);
    stack_options options;
    options.local_args = {"--auth",
                          "aws_iam",
                          "--auth-region",
                          "us-east-1",
                          "--auth-credentials",
                          (dir_ / "credentials").string()};
    return local_stack(socks_.host() + ":" + std::to_string(socks_.port()), options);
  }

  std::vector<std::string> route() const {
    return {"ts-target-ip: " + python_.host(), "ts-target-port: " + std::to_string(python_.port())};
  }

  // A signed GET of /echo at the upstream, as most cases start from.
  signed_call echo_call(const signer_key& key) const {
    signed_call c;
    c.target = "/echo";
    c.headers = route();
    c.key = key;
    return c;
  }

  // Sends `c`, expecting the Function URL's refusal for `reason` and no request at the upstream.
  void expect_forbidden(const local_stack& stack, const signed_call& c, std::string_view reason) {
    const auto before = python_.requests_served();
    expect_forbidden(stack, call(stack, c), before, reason);
  }

  void expect_forbidden(const local_stack& stack, const http_reply& reply, std::size_t served_before,
                        std::string_view reason) {
    EXPECT_EQ(reply.status, 403) << reply.body;
    EXPECT_EQ(reply.body, R"({"Message":"Forbidden"})");
    EXPECT_EQ(reply.header("x-amzn-errortype"), "AccessDeniedException");
    EXPECT_EQ(reply.header("content-type"), "application/json");
    EXPECT_FALSE(reply.header("x-amzn-requestid").empty());
    EXPECT_EQ(python_.requests_served(), served_before);
    const std::string marker = "\"reason\":\"" + std::string(reason) + "\"";
    EXPECT_TRUE(wait_until([&] { return stack.log().find(marker) != std::string::npos; })) << stack.log();
  }

  temp_dir dir_;
  microsocks_server socks_;
  python_upstream python_;
};

TEST_F(FunctionUrlAuth, ASignedGetIsProxied) {
  const signer_key key;
  auto stack = stack_for(key);
  signed_call c;
  c.target = "/echo?z=last&a=first&a=again&empty=&flag";
  c.headers = route();
  c.key = key;
  const auto reply = call(stack, c);
  ASSERT_EQ(reply.status, 200) << reply.body << stack.log();
  EXPECT_EQ(reply.header("x-echo-method"), "GET");
  EXPECT_EQ(reply.header("x-echo-target"), "/echo?z=last&a=first&a=again&empty=&flag");
}

TEST_F(FunctionUrlAuth, ASignedPostWithABinaryBodyAndAQueryIsProxiedByteExact) {
  const signer_key key;
  auto stack = stack_for(key);
  signed_call c;
  c.method = "POST";
  c.target = "/echo?b=%20x%2F&a=%E2%9C%93";
  c.headers = route();
  c.headers.emplace_back("Content-Type: application/octet-stream");
  c.body = all_byte_values();
  c.key = key;
  const auto reply = call(stack, c);
  ASSERT_EQ(reply.status, 200) << reply.body << stack.log();
  EXPECT_EQ(reply.body, c.body);
  EXPECT_EQ(reply.header("x-echo-target"), "/echo?b=%20x%2F&a=%E2%9C%93");
}

TEST_F(FunctionUrlAuth, AWrongSecretKeyIsForbidden) {
  const signer_key key;
  auto stack = stack_for(key);
  auto c = echo_call(key);
  c.key.secret_access_key.back() = c.key.secret_access_key.back() == '0' ? '1' : '0';
  expect_forbidden(stack, c, "SignatureMismatch");
}

TEST_F(FunctionUrlAuth, AnotherAccessKeyIsForbidden) {
  const signer_key key;
  auto stack = stack_for(key);
  signed_call c;
  c.target = "/echo";
  c.headers = route();
  c.key.access_key_id = "AKIDSOMEONEELSE00001";
  expect_forbidden(stack, c, "UnknownAccessKey");
}

TEST_F(FunctionUrlAuth, ADateOutsideFifteenMinutesIsForbidden) {
  const signer_key key;
  auto stack = stack_for(key);
  auto c = echo_call(key);
  c.date_offset_s = -16 * 60;
  expect_forbidden(stack, c, "DateOutOfWindow");
  c.date_offset_s = 16 * 60;
  expect_forbidden(stack, c, "DateOutOfWindow");
  c.date_offset_s = -10 * 60;  // within the window: accepted
  EXPECT_EQ(call(stack, c).status, 200) << stack.log();
}

TEST_F(FunctionUrlAuth, ATamperedSignedHeaderIsForbidden) {
  const signer_key key;
  auto stack = stack_for(key);
  auto c = echo_call(key);
  // Another target port after signing: exactly what a signature must prevent.
  c.after_signing = {"ts-target-port: 1"};
  expect_forbidden(stack, c, "SignatureMismatch");
}

TEST_F(FunctionUrlAuth, ATamperedBodyIsForbidden) {
  const signer_key key;
  auto stack = stack_for(key);
  signed_call c;
  c.method = "POST";
  c.target = "/echo?q=1";
  c.headers = route();
  c.body = all_byte_values();
  c.key = key;
  c.flip_body_byte = true;
  expect_forbidden(stack, c, "SignatureMismatch");
}

TEST_F(FunctionUrlAuth, AMissingSignatureIsForbidden) {
  const signer_key key;
  auto stack = stack_for(key);
  auto c = echo_call(key);
  c.drop_after_signing = {"Authorization"};
  expect_forbidden(stack, c, "MissingAuthorization");
  // An unsigned curl request, as from a caller that forgot to sign.
  const auto before = python_.requests_served();
  const auto unsigned_reply = stack.request("/echo", local_stack::route_to(python_.host(), python_.port()));
  expect_forbidden(stack, unsigned_reply, before, "MissingAuthorization");
}

TEST_F(FunctionUrlAuth, SessionTokensMustMatchTheOneGiven) {
  signer_key key;
  key.session_token = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN//////////wEaCXVzLWVhc3QtMSJ=";
  auto stack = stack_for(key);
  auto c = echo_call(key);
  ASSERT_EQ(call(stack, c).status, 200) << stack.log();
  c.key.session_token = "IQoJb3JpZ2luX2VjEXAMPLEOTHERTOKEN";
  expect_forbidden(stack, c, "SessionTokenMismatch");
  c.key.session_token.clear();
  expect_forbidden(stack, c, "SessionTokenMismatch");
}

TEST_F(FunctionUrlAuth, TheKeyMayComeFromTheEnvironment) {
  const signer_key key;
  stack_options options;
  options.local_args = {"--auth", "aws_iam"};
  options.env = {{"AWS_ACCESS_KEY_ID", key.access_key_id},
                 {"AWS_SECRET_ACCESS_KEY", key.secret_access_key},
                 {"AWS_REGION", "eu-west-1"}};
  local_stack stack(socks_.host() + ":" + std::to_string(socks_.port()), options);
  auto c = echo_call(key);
  c.region = "eu-west-1";  // the function's region is the default
  ASSERT_EQ(call(stack, c).status, 200) << stack.log();
  c.region = "us-east-1";
  expect_forbidden(stack, c, "WrongCredentialScope");
}

}  // namespace
}  // namespace tsproxy::test
