#pragma once
// What the Secrets Manager client tests share: one call run on its own io_context, the environment that
// signs for moto, and the checks every failure must pass.

#include <gtest/gtest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "aws/secrets_manager_client.hpp"
#include "support/peers.hpp"

namespace tsproxy::aws {

// Runs one call on its own io_context; a hung call fails the test instead of hanging it.
inline secret_fetch_result fetch(const aws_environment& env, std::string_view secret_id,
                                 std::chrono::milliseconds budget = std::chrono::seconds(20)) {
  asio::io_context io(1);
  std::optional<secret_fetch_result> result;
  asio::co_spawn(io, get_secret_value(env, secret_id, std::chrono::steady_clock::now() + budget),
                 [&](const std::exception_ptr& e, secret_fetch_result r) {
                   if (e) std::rethrow_exception(e);
                   result = std::move(r);
                 });
  io.run_for(budget + std::chrono::seconds(10));
  if (!result) ADD_FAILURE() << "get_secret_value did not finish";
  return result.value_or(secret_fetch_result{{}, "TestDidNotFinish", {}});
}

// Signs with `key` for moto's region. Retries pause at most milliseconds, so that a test reaching a
// retryable failure (a name that does not resolve, a refused connection) does not wait for seconds.
inline aws_environment environment(const test::moto_server& moto, const test::aws_key& key) {
  aws_environment env;
  env.creds = {key.access_key_id, key.secret_access_key, key.session_token};
  env.region = "us-east-1";
  env.endpoint_url = moto.endpoint();
  env.tls.ca_file = test::test_ca::instance().ca_cert().string();
  env.network.dns.resolv_conf = "/nonexistent";  // every endpoint here is a literal or localhost
  env.retry.base_delay = std::chrono::milliseconds(10);
  return env;
}

// An error result: the expected type, a message, and no trace of the secret.
inline void expect_failure(const secret_fetch_result& result, std::string_view type,
                           const std::string& secret) {
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.error_type, type) << result.message;
  EXPECT_FALSE(result.message.empty());
  EXPECT_TRUE(result.secret_string.empty());
  if (!secret.empty()) {
    EXPECT_EQ(result.message.find(secret), std::string::npos) << result.message;
  }
}

}  // namespace tsproxy::aws
