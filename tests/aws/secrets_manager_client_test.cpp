// The Secrets Manager client against moto with IAM enforced (tests/peers/moto_secrets.py): moto itself
// checks each request's SigV4 signature and the caller's IAM policy. Every test owns its moto server.
// Every failure is checked for its error type and for not carrying the secret.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>

#include "secrets_manager_fetch.hpp"

namespace tsproxy::aws {
namespace {

using namespace std::chrono_literals;

TEST(SecretsManagerClient, ReturnsTheSecretString) {
  test::moto_server moto;
  const auto result = fetch(environment(moto, moto.reader()), moto.secret_id());
  ASSERT_TRUE(result.ok()) << result.error_type << ": " << result.message;
  EXPECT_EQ(result.secret_string, moto.secret_value());
  EXPECT_TRUE(result.message.empty());
}

TEST(SecretsManagerClient, AWrongSecretKeyIsASignatureMismatch) {
  test::moto_server moto;
  auto key = moto.reader();
  key.secret_access_key[0] = key.secret_access_key[0] == 'A' ? 'B' : 'A';
  // moto answers SignatureDoesNotMatch where AWS's JSON services say InvalidSignatureException.
  expect_failure(fetch(environment(moto, key), moto.secret_id()), "SignatureDoesNotMatch",
                 moto.secret_value());
}

TEST(SecretsManagerClient, AnUnknownAccessKeyIsRefused) {
  test::moto_server moto;
  // moto answers InvalidClientTokenId where AWS's JSON services say UnrecognizedClientException.
  expect_failure(fetch(environment(moto, {"AKIAUNKNOWNKEY000000", "whatever", ""}), moto.secret_id()),
                 "InvalidClientTokenId", moto.secret_value());
}

TEST(SecretsManagerClient, AUserWithoutThePolicyIsDenied) {
  test::moto_server moto;
  const auto result = fetch(environment(moto, moto.nobody()), moto.secret_id());
  // moto's code is AccessDenied; AWS's Secrets Manager says AccessDeniedException.
  expect_failure(result, "AccessDenied", moto.secret_value());
  EXPECT_NE(result.message.find("secretsmanager:GetSecretValue"), std::string::npos) << result.message;
}

TEST(SecretsManagerClient, AMissingSecretIsResourceNotFound) {
  test::moto_server moto;
  const auto result = fetch(environment(moto, moto.reader()), "tsproxy/does-not-exist");
  expect_failure(result, "ResourceNotFoundException", moto.secret_value());
  EXPECT_NE(result.message.find("tsproxy/does-not-exist"), std::string::npos) << result.message;
}

TEST(SecretsManagerClient, SessionCredentialsSignWithTheirToken) {
  test::moto_server moto;
  const auto session = moto.session();
  ASSERT_FALSE(session.session_token.empty());
  const auto result = fetch(environment(moto, session), moto.secret_id());
  ASSERT_TRUE(result.ok()) << result.error_type << ": " << result.message;
  EXPECT_EQ(result.secret_string, moto.secret_value());
}

TEST(SecretsManagerClient, AStaleOrMissingSessionTokenIsRefused) {
  // moto 5.2 looks a session token up but never checks its expiry, so an expired token cannot be
  // produced; a token that is no longer the session's (as after a refresh) and a missing token are what
  // it refuses, as AWS does an expired one (there ExpiredTokenException).
  test::moto_server moto;
  auto stale = moto.session();
  stale.session_token.back() = stale.session_token.back() == 'A' ? 'B' : 'A';
  expect_failure(fetch(environment(moto, stale), moto.secret_id()), "InvalidClientTokenId",
                 moto.secret_value());
  auto without = moto.session();
  without.session_token.clear();
  expect_failure(fetch(environment(moto, without), moto.secret_id()), "InvalidClientTokenId",
                 moto.secret_value());
}

TEST(SecretsManagerClient, OverHttpsWithTheCertificateVerified) {
  test::moto_server moto({.tls = true});
  auto env = environment(moto, moto.reader());
  const auto result = fetch(env, moto.secret_id());
  ASSERT_TRUE(result.ok()) << result.error_type << ": " << result.message;
  EXPECT_EQ(result.secret_string, moto.secret_value());
  // Without the test CA the certificate does not verify.
  env.tls.ca_file = "/nonexistent/ca.pem";
  expect_failure(fetch(env, moto.secret_id()), "TlsError", moto.secret_value());
}

TEST(SecretsManagerClient, TheEndpointNameGoesThroughTheStubResolver) {
  test::moto_server moto;
  test::dnsmasq_server names({"--host-record=secretsmanager.moto.test,127.0.0.1"});
  auto env = environment(moto, moto.reader());
  env.network.dns.servers = {{asio::ip::make_address(names.host()), names.port()}};
  env.endpoint_url = "http://secretsmanager.moto.test:" + std::to_string(moto.port());
  const auto result = fetch(env, moto.secret_id());
  ASSERT_TRUE(result.ok()) << result.error_type << ": " << result.message;
  EXPECT_EQ(result.secret_string, moto.secret_value());
  EXPECT_TRUE(test::wait_until([&] { return names.queries_for("secretsmanager.moto.test") >= 1; }));

  env.endpoint_url = "http://unknown.moto.test:" + std::to_string(moto.port());
  const auto unknown = fetch(env, moto.secret_id());
  expect_failure(unknown, "EndpointUnreachable", moto.secret_value());
  EXPECT_NE(unknown.message.find("DnsNameNotFound"), std::string::npos) << unknown.message;
}

TEST(SecretsManagerClient, LocalFailures) {
  aws_environment env;
  env.region = "us-east-1";
  env.endpoint_url = "http://127.0.0.1:9";
  env.retry.base_delay = 10ms;  // the refused connection below is retried
  expect_failure(fetch(env, "id"), "CredentialsMissing", "");
  env.creds = {"AKIDEXAMPLE", "secret", ""};
  env.endpoint_url = "not a url";
  expect_failure(fetch(env, "id"), "InvalidEndpoint", "");

  // Nothing listens on the port: refused.
  const auto closed_port = test::free_tcp_port();
  env.endpoint_url = "http://127.0.0.1:" + std::to_string(closed_port);
  const auto refused = fetch(env, "id");
  expect_failure(refused, "EndpointUnreachable", "");
  EXPECT_NE(refused.message.find("ConnectionRefused"), std::string::npos) << refused.message;

  // A listener that never accepts or answers: the deadline ends the call.
  test::unique_fd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener.get(), 8), 0);
  socklen_t length = sizeof address;
  ::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length);
  env.endpoint_url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  const auto started = std::chrono::steady_clock::now();
  expect_failure(fetch(env, "id", 500ms), "Timeout", "");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

}  // namespace
}  // namespace tsproxy::aws
