// GetSecretValue as values: the signed request bytes, the meaning of answers, endpoint URLs and the
// environment the client reads.

#include "aws/secrets_manager_request.hpp"

#include <gtest/gtest.h>

#include <map>

#include "aws/secrets_manager_client.hpp"
#include "local/sigv4_verifier.hpp"
#include "tsproxy/version.hpp"

namespace tsproxy::aws {
namespace {

using local::sigv4_acceptance;
using local::sigv4_rejection;
using local::verify_request;

using namespace std::string_literals;

TEST(EndpointUrl, ParsesSchemesHostsPortsAndPaths) {
  auto e = parse_endpoint_url("https://secretsmanager.us-east-1.amazonaws.com");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->tls);
  EXPECT_EQ(e->host, "secretsmanager.us-east-1.amazonaws.com");
  EXPECT_EQ(e->port, 443);
  EXPECT_EQ(e->path, "/");
  EXPECT_EQ(e->host_header, "secretsmanager.us-east-1.amazonaws.com");
  e = parse_endpoint_url("http://127.0.0.1:4566/");
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->tls);
  EXPECT_EQ(e->port, 4566);
  EXPECT_EQ(e->host_header, "127.0.0.1:4566");
  e = parse_endpoint_url("https://[::1]:8443/prefix/");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->host_header, "[::1]:8443");
  EXPECT_EQ(e->path, "/prefix/");
  e = parse_endpoint_url("http://localhost:80");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->host_header, "localhost");
  for (std::string_view bad :
       {"", "secretsmanager.amazonaws.com", "ftp://h", "https://", "https://:443", "https://h:0",
        "https://h:65536", "https://h:x", "https://h:", "https://u@h", "https://h/?q", "https://h#f",
        "https://[::1", "https://[::1]x", "https://h h"}) {
    EXPECT_FALSE(parse_endpoint_url(bad)) << bad;
  }
  EXPECT_EQ(regional_endpoint("secretsmanager", "eu-west-1"),
            "https://secretsmanager.eu-west-1.amazonaws.com");
}

TEST(GetSecretValueRequest, IsASignedJsonPost) {
  const auto endpoint = *parse_endpoint_url("https://secretsmanager.eu-west-1.amazonaws.com");
  const credentials creds{"AKIDEXAMPLE", "secret", "token"};
  const auto request =
      get_secret_value_request(endpoint, creds, "eu-west-1", "tsproxy/\"key\"", "20240102T030405Z");
  EXPECT_EQ(request.body, R"({"SecretId":"tsproxy/\"key\""})");
  const auto expected_signature = sign_request({"POST",
                                                "/",
                                                "",
                                                {{"Host", "secretsmanager.eu-west-1.amazonaws.com"},
                                                 {"Content-Type", "application/x-amz-json-1.1"},
                                                 {"X-Amz-Target", "secretsmanager.GetSecretValue"}},
                                                request.body},
                                               creds, "eu-west-1", "secretsmanager", "20240102T030405Z");
  EXPECT_EQ(request.head,
            "POST / HTTP/1.1\r\n"
            "Host: secretsmanager.eu-west-1.amazonaws.com\r\n"
            "Content-Type: application/x-amz-json-1.1\r\n"
            "X-Amz-Target: secretsmanager.GetSecretValue\r\n"
            "X-Amz-Date: 20240102T030405Z\r\n"
            "X-Amz-Security-Token: token\r\n"
            "Authorization: AWS4-HMAC-SHA256 "
            "Credential=AKIDEXAMPLE/20240102/eu-west-1/secretsmanager/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=" +
                expected_signature.signature +
                "\r\n"
                "User-Agent: tsproxy/" +
                std::string(version) +
                "\r\n"
                "Content-Length: 30\r\n"
                "Connection: close\r\n\r\n");
}

TEST(GetSecretValueRequest, VerifiesAsAwsWould) {
  // The request parsed back and checked by the verifier with the same key: what AWS recomputes.
  const auto endpoint = *parse_endpoint_url("http://127.0.0.1:5000");
  const credentials creds{"AKIDEXAMPLE", "secret", ""};
  const auto when = std::chrono::system_clock::from_time_t(1700000000);
  const auto request = get_secret_value_request(endpoint, creds, "us-east-1", "id", format_amz_date(when));
  std::vector<header_field> headers;
  std::string_view head = request.head;
  head.remove_prefix(head.find("\r\n") + 2);
  while (!head.starts_with("\r\n")) {
    const auto colon = head.find(':');
    const auto end = head.find("\r\n");
    headers.push_back(
        {std::string(head.substr(0, colon)), std::string(head.substr(colon + 2, end - colon - 2))});
    head.remove_prefix(end + 2);
  }
  const sigv4_acceptance acceptance{creds, "us-east-1", "secretsmanager"};
  EXPECT_EQ(verify_request({"POST", "/", "", headers, request.body}, acceptance, when),
            sigv4_rejection::none);
}

TEST(GetSecretValueAnswer, SuccessCarriesTheSecretString) {
  const auto result = parse_get_secret_value_response(
      200, {},
      R"({"ARN":"arn:aws:secretsmanager:us-east-1:1:secret:k-AbC","CreatedDate":1.7E9,"Name":"k",)"
      R"("SecretString":"tskey-auth-\u00e9\"x","VersionId":"v","VersionStages":["AWSCURRENT"]})",
      "k");
  ASSERT_TRUE(result.ok()) << result.error_type << ": " << result.message;
  EXPECT_EQ(result.secret_string, "tskey-auth-\xc3\xa9\"x");
  EXPECT_TRUE(result.message.empty());
}

TEST(GetSecretValueAnswer, BinaryOrMissingSecretsAndNonJsonAreErrors) {
  auto result = parse_get_secret_value_response(200, {}, R"({"Name":"k","SecretBinary":"AAEC"})", "k");
  EXPECT_EQ(result.error_type, "SecretNotString");
  result = parse_get_secret_value_response(200, {}, R"({"Name":"k"})", "k");
  EXPECT_EQ(result.error_type, "BadResponse");
  result = parse_get_secret_value_response(200, {}, "<html>", "k");
  EXPECT_EQ(result.error_type, "BadResponse");
}

TEST(GetSecretValueAnswer, ErrorTypesFromJsonHeaderOrXml) {
  // AWS's JSON protocol.
  auto result = parse_get_secret_value_response(
      400, {},
      R"({"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."})",
      "tsproxy/missing");
  EXPECT_EQ(result.error_type, "ResourceNotFoundException");
  EXPECT_EQ(
      result.message,
      "GetSecretValue of tsproxy/missing answered 400: Secrets Manager can't find the specified secret.");
  result = parse_get_secret_value_response(
      400, {}, R"({"__type":"com.amazon.coral.service#UnrecognizedClientException","Message":"bad token"})",
      "k");
  EXPECT_EQ(result.error_type, "UnrecognizedClientException");
  EXPECT_EQ(result.message, "GetSecretValue of k answered 400: bad token");
  // Only a header.
  result = parse_get_secret_value_response(
      403, {{"X-Amzn-ErrorType", "AccessDeniedException:http://internal/"}}, "", "k");
  EXPECT_EQ(result.error_type, "AccessDeniedException");
  // XML, as AWS's authentication layer and moto answer.
  result = parse_get_secret_value_response(
      403, {},
      "<?xml version=\"1.0\"?>\n<ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>The "
      "request signature we calculated does not match</Message></Error></Errors></ErrorResponse>",
      "k");
  EXPECT_EQ(result.error_type, "SignatureDoesNotMatch");
  EXPECT_EQ(result.message,
            "GetSecretValue of k answered 403: The request signature we calculated does not match");
  // Nothing at all.
  result = parse_get_secret_value_response(502, {}, "", "k");
  EXPECT_EQ(result.error_type, "HttpStatus502");
}

TEST(GetSecretValueAnswer, MessagesAreBoundedAndOneLine) {
  const std::string long_message(2000, 'm');
  const auto result = parse_get_secret_value_response(
      400, {}, R"({"__type":"X","message":")" + long_message + R"(\nsecond line"})", "k");
  EXPECT_LT(result.message.size(), 600u);
  EXPECT_EQ(result.message.find('\n'), std::string::npos);
}

TEST(SecretsManagerEnvironment, ReadsLambdaVariables) {
  std::map<std::string, std::string> vars{{"AWS_ACCESS_KEY_ID", "ASIA1"},
                                          {"AWS_SECRET_ACCESS_KEY", "s"},
                                          {"AWS_SESSION_TOKEN", "t"},
                                          {"AWS_REGION", "eu-central-1"}};
  const env_lookup env = [&](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
  std::string error;
  auto result = secrets_manager_environment(env, error);
  ASSERT_TRUE(result) << error;
  EXPECT_EQ(result->creds.access_key_id, "ASIA1");
  EXPECT_EQ(result->creds.session_token, "t");
  EXPECT_EQ(result->region, "eu-central-1");
  EXPECT_EQ(result->endpoint_url, "https://secretsmanager.eu-central-1.amazonaws.com");
  EXPECT_TRUE(result->tls.verify);

  vars["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566";
  EXPECT_EQ(secrets_manager_environment(env, error)->endpoint_url, "http://127.0.0.1:4566");
  vars["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = "http://127.0.0.1:5000";
  EXPECT_EQ(secrets_manager_environment(env, error)->endpoint_url, "http://127.0.0.1:5000");
  vars["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = "127.0.0.1:5000";
  EXPECT_FALSE(secrets_manager_environment(env, error));
  EXPECT_NE(error.find("AWS_ENDPOINT_URL_SECRETS_MANAGER"), std::string::npos) << error;
  vars.erase("AWS_ENDPOINT_URL_SECRETS_MANAGER");

  vars.erase("AWS_REGION");
  vars["AWS_DEFAULT_REGION"] = "us-west-2";
  EXPECT_EQ(secrets_manager_environment(env, error)->region, "us-west-2");
  for (const char* required : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"}) {
    auto without = vars;
    vars.erase(required);
    EXPECT_FALSE(secrets_manager_environment(env, error)) << required;
    if (std::string(required) == "AWS_DEFAULT_REGION")
      EXPECT_EQ(error, "AWS_REGION is not set");
    else
      EXPECT_EQ(error, std::string(required) + " is not set");
    vars = without;
  }
  vars.erase("AWS_SESSION_TOKEN");
  EXPECT_TRUE(secrets_manager_environment(env, error)->creds.session_token.empty());
}

}  // namespace
}  // namespace tsproxy::aws
