// retry_policy as values: which failures botocore's standard mode retries, and the pauses between tries.

#include "aws/retry_policy.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace tsproxy::aws {
namespace {

using namespace std::chrono_literals;

TEST(RetryPolicy, DefaultsAreBotocoresStandardMode) {
  const retry_policy policy;
  EXPECT_EQ(policy.max_attempts, 3);
  EXPECT_EQ(policy.base_delay, 1s);
  EXPECT_EQ(policy.max_delay, 20s);
}

TEST(RetryPolicy, ThrottlingIsRetriedWhateverTheStatus) {
  for (const auto* name :
       {"Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException"}) {
    EXPECT_TRUE(is_throttling_error(name)) << name;
    EXPECT_TRUE(is_retryable(400, name)) << name;
  }
  EXPECT_FALSE(is_throttling_error("AccessDeniedException"));
}

TEST(RetryPolicy, TransientNamesAndStatusesAreRetried) {
  for (const auto* name : {"RequestTimeout", "RequestTimeoutException"})
    EXPECT_TRUE(is_retryable(400, name)) << name;
  for (const int status : {429, 500, 502, 503, 504}) {
    EXPECT_TRUE(is_retryable(status, "HttpStatus" + std::to_string(status))) << status;
  }
  EXPECT_TRUE(is_retryable(500, "InternalServiceError"));
}

TEST(RetryPolicy, OtherAnswersAreFinal) {
  EXPECT_FALSE(is_retryable(400, "AccessDeniedException"));
  EXPECT_FALSE(is_retryable(403, "AccessDenied"));
  EXPECT_FALSE(is_retryable(400, "ResourceNotFoundException"));
  EXPECT_FALSE(is_retryable(400, "UnrecognizedClientException"));
  EXPECT_FALSE(is_retryable(403, "SignatureDoesNotMatch"));
  EXPECT_FALSE(is_retryable(403, "InvalidClientTokenId"));
  EXPECT_FALSE(is_retryable(400, "ExpiredTokenException"));
  EXPECT_FALSE(is_retryable(400, "DecryptionFailure"));
  EXPECT_FALSE(is_retryable(404, "HttpStatus404"));
  EXPECT_FALSE(is_retryable(501, "HttpStatus501"));
  EXPECT_FALSE(is_retryable(505, "HttpStatus505"));
  // A 200 the client cannot use is not made better by asking again.
  EXPECT_FALSE(is_retryable(200, "SecretNotString"));
  EXPECT_FALSE(is_retryable(200, "BadResponse"));
}

TEST(RetryPolicy, TransportFailuresOfOneAttemptAreRetried) {
  EXPECT_TRUE(is_retryable(0, "EndpointUnreachable"));
  EXPECT_TRUE(is_retryable(0, "Timeout"));
  // A certificate that does not verify, an answer that is not HTTP, a local mistake: final.
  EXPECT_FALSE(is_retryable(0, "TlsError"));
  EXPECT_FALSE(is_retryable(0, "BadResponse"));
  EXPECT_FALSE(is_retryable(0, "CredentialsMissing"));
  EXPECT_FALSE(is_retryable(0, "InvalidEndpoint"));
}

TEST(RetryPolicy, PausesDoubleUpToTheCap) {
  const retry_policy policy;
  EXPECT_EQ(backoff_delay(policy, 1, 1.0), 1s);
  EXPECT_EQ(backoff_delay(policy, 2, 1.0), 2s);
  EXPECT_EQ(backoff_delay(policy, 3, 1.0), 4s);
  EXPECT_EQ(backoff_delay(policy, 5, 1.0), 16s);
  EXPECT_EQ(backoff_delay(policy, 6, 1.0), 20s);
  EXPECT_EQ(backoff_delay(policy, 10000, 1.0), 20s);
}

TEST(RetryPolicy, JitterScalesThePauseFromZero) {
  retry_policy policy;
  policy.base_delay = 100ms;
  EXPECT_EQ(backoff_delay(policy, 1, 0.0), 0ms);
  EXPECT_EQ(backoff_delay(policy, 1, 0.5), 50ms);
  EXPECT_EQ(backoff_delay(policy, 2, 0.25), 50ms);
  EXPECT_EQ(backoff_delay(policy, 1, 7.0), 100ms);  // clamped
  EXPECT_EQ(backoff_delay(policy, 1, -1.0), 0ms);
}

TEST(RetryPolicy, TheJitterSourceCanBeInjected) {
  retry_policy policy;
  EXPECT_FALSE(policy.random_fraction);
  for (int i = 0; i < 1000; ++i) {
    const double drawn = draw_fraction(policy);
    ASSERT_GE(drawn, 0.0);
    ASSERT_LT(drawn, 1.0);
  }
  policy.random_fraction = [] { return 0.75; };
  EXPECT_EQ(draw_fraction(policy), 0.75);
}

}  // namespace
}  // namespace tsproxy::aws
