// The Secrets Manager client's retries (retry_policy.hpp), through a fault_proxy in front of moto with IAM
// enforced: the proxy fails chosen connections as a throttled or failing endpoint would, or resets them,
// and forwards the others to moto; it counts every request it reads, so each test knows how many
// attempts were made. Pauses are milliseconds here, or pinned by a fixed jitter where their length
// matters.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "secrets_manager_fetch.hpp"

namespace tsproxy::aws {
namespace {

using namespace std::chrono_literals;
using test::proxy_fault;

// Signs with `key` for moto, through `proxy`.
aws_environment through(const test::fault_proxy& proxy, const test::moto_server& moto,
                        const test::aws_key& key) {
  auto env = environment(moto, key);
  env.endpoint_url = proxy.endpoint();
  return env;
}

void expect_secret(const secret_fetch_result& result, const test::moto_server& moto) {
  ASSERT_TRUE(result.ok()) << result.error_type << ": " << result.message;
  EXPECT_EQ(result.secret_string, moto.secret_value());
}

bool mentions(const secret_fetch_result& result, std::string_view text) {
  return result.message.find(text) != std::string::npos;
}

TEST(SecretsManagerRetries, ThrottledTwiceThenTheSecret) {
  test::moto_server moto;
  test::fault_proxy proxy(
      moto.port(), {proxy_fault::throttling_exception, proxy_fault::too_many_requests, proxy_fault::forward});
  expect_secret(fetch(through(proxy, moto, moto.reader()), moto.secret_id()), moto);
  EXPECT_EQ(proxy.requests(), 3u);
}

TEST(SecretsManagerRetries, ServiceUnavailableThenTheSecret) {
  test::moto_server moto;
  test::fault_proxy proxy(moto.port(), {proxy_fault::service_unavailable, proxy_fault::forward});
  expect_secret(fetch(through(proxy, moto, moto.reader()), moto.secret_id()), moto);
  EXPECT_EQ(proxy.requests(), 2u);
}

TEST(SecretsManagerRetries, InternalErrorThenTheSecret) {
  test::moto_server moto;
  test::fault_proxy proxy(moto.port(), {proxy_fault::internal_error, proxy_fault::forward});
  expect_secret(fetch(through(proxy, moto, moto.reader()), moto.secret_id()), moto);
  EXPECT_EQ(proxy.requests(), 2u);
}

TEST(SecretsManagerRetries, AResetThenTheSecret) {
  test::moto_server moto;
  test::fault_proxy proxy(moto.port(), {proxy_fault::reset, proxy_fault::forward});
  expect_secret(fetch(through(proxy, moto, moto.reader()), moto.secret_id()), moto);
  EXPECT_EQ(proxy.requests(), 2u);
}

TEST(SecretsManagerRetries, AlwaysResetEndsAsTheLastReset) {
  test::moto_server moto;
  test::fault_proxy proxy(moto.port(), {proxy_fault::reset});
  const auto result = fetch(through(proxy, moto, moto.reader()), moto.secret_id());
  expect_failure(result, "EndpointUnreachable", moto.secret_value());
  EXPECT_TRUE(mentions(result, "ConnectionReset")) << result.message;
  EXPECT_EQ(proxy.requests(), 3u);
}

TEST(SecretsManagerRetries, AccessDeniedIsFinal) {
  test::moto_server moto;
  test::fault_proxy proxy(moto.port(), {proxy_fault::forward});
  const auto result = fetch(through(proxy, moto, moto.nobody()), moto.secret_id());
  expect_failure(result, "AccessDenied", moto.secret_value());
  EXPECT_EQ(proxy.requests(), 1u);
  EXPECT_FALSE(mentions(result, "attempt")) << result.message;
}

TEST(SecretsManagerRetries, ASignatureMismatchIsFinal) {
  test::moto_server moto;
  test::fault_proxy proxy(moto.port(), {proxy_fault::forward});
  auto key = moto.reader();
  key.secret_access_key[0] = key.secret_access_key[0] == 'A' ? 'B' : 'A';
  expect_failure(fetch(through(proxy, moto, key), moto.secret_id()), "SignatureDoesNotMatch",
                 moto.secret_value());
  EXPECT_EQ(proxy.requests(), 1u);
}

TEST(SecretsManagerRetries, ResourceNotFoundIsFinal) {
  test::moto_server moto;
  test::fault_proxy proxy(moto.port(), {proxy_fault::forward});
  expect_failure(fetch(through(proxy, moto, moto.reader()), "tsproxy/does-not-exist"),
                 "ResourceNotFoundException", moto.secret_value());
  EXPECT_EQ(proxy.requests(), 1u);
}

TEST(SecretsManagerRetries, AlwaysUnavailableGivesUpAfterTheConfiguredAttempts) {
  test::moto_server moto;
  test::fault_proxy proxy(moto.port(), {proxy_fault::service_unavailable});
  auto env = through(proxy, moto, moto.reader());
  env.retry.max_attempts = 4;
  const auto result = fetch(env, moto.secret_id());
  expect_failure(result, "HttpStatus503", moto.secret_value());
  EXPECT_EQ(result.http_status, 503);
  EXPECT_EQ(proxy.requests(), 4u);
  EXPECT_TRUE(mentions(result, "4 attempts; no more allowed")) << result.message;
}

TEST(SecretsManagerRetries, ByDefaultThreeAttemptsAsBotocore) {
  test::moto_server moto;
  test::fault_proxy proxy(moto.port(), {proxy_fault::throttling_exception});
  auto env = through(proxy, moto, moto.reader());
  ASSERT_EQ(env.retry.max_attempts, 3);
  const auto result = fetch(env, moto.secret_id());
  expect_failure(result, "ThrottlingException", moto.secret_value());
  EXPECT_TRUE(mentions(result, "Rate exceeded")) << result.message;
  EXPECT_EQ(proxy.requests(), 3u);
}

// With the jitter pinned at its top, the pauses are exactly base, 2 base, ...: the call cannot end sooner.
TEST(SecretsManagerRetries, PausesDoubleFromTheBaseDelay) {
  test::moto_server moto;
  test::fault_proxy proxy(moto.port(), {proxy_fault::service_unavailable});
  auto env = through(proxy, moto, moto.reader());
  env.retry.base_delay = 100ms;
  env.retry.random_fraction = [] { return 1.0; };
  const auto started = std::chrono::steady_clock::now();
  expect_failure(fetch(env, moto.secret_id()), "HttpStatus503", moto.secret_value());
  EXPECT_GE(std::chrono::steady_clock::now() - started, 100ms + 200ms);
  EXPECT_EQ(proxy.requests(), 3u);
}

// A pause that would end after the deadline is not taken: the call returns the answer in hand at once
// instead of sleeping into a Timeout.
TEST(SecretsManagerRetries, ADeadlineShorterThanTheBackoffEndsTheCallInTime) {
  test::moto_server moto;
  test::fault_proxy proxy(moto.port(), {proxy_fault::service_unavailable, proxy_fault::forward});
  auto env = through(proxy, moto, moto.reader());
  env.retry.base_delay = 10s;
  env.retry.random_fraction = [] { return 1.0; };
  const auto budget = 2s;
  const auto started = std::chrono::steady_clock::now();
  const auto result = fetch(env, moto.secret_id(), budget);
  EXPECT_LT(std::chrono::steady_clock::now() - started, budget + 500ms);
  expect_failure(result, "HttpStatus503", moto.secret_value());
  EXPECT_TRUE(mentions(result, "1 attempt; no time for another before the deadline")) << result.message;
  EXPECT_EQ(proxy.requests(), 1u);
}

// A refused connection is retried like any transport failure, then reported as it was.
TEST(SecretsManagerRetries, ARefusedConnectionIsRetriedThenReported) {
  aws_environment env;
  env.creds = {"AKIDEXAMPLE", "secret", ""};
  env.region = "us-east-1";
  env.endpoint_url = "http://127.0.0.1:" + std::to_string(test::free_tcp_port());
  env.retry.base_delay = 1ms;
  const auto result = fetch(env, "id");
  expect_failure(result, "EndpointUnreachable", "");
  EXPECT_TRUE(mentions(result, "ConnectionRefused")) << result.message;
  EXPECT_TRUE(mentions(result, "3 attempts")) << result.message;
}

}  // namespace
}  // namespace tsproxy::aws
