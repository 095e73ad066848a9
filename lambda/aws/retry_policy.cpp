#include "aws/retry_policy.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>

#include "aws/secrets_manager_request.hpp"

namespace tsproxy::aws {

namespace {

// botocore 1.43.67 botocore/retries/standard.py:532-547 (ThrottledRetryableChecker), the union of what
// AWS services answer when throttling; botocore/data/_retry.json:3-34 and :82-89 name the same.
constexpr std::array<std::string_view, 14> throttling_errors{
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

// standard.py:486-490 (TransientRetryableChecker).
constexpr std::array<std::string_view, 3> transient_errors{"RequestTimeout", "RequestTimeoutException",
                                                           "PriorRequestNotComplete"};

// standard.py:491; 429 from _retry.json:35-41 ("too_many_requests"), whatever the error's name.
constexpr std::array<int, 5> transient_statuses{429, 500, 502, 503, 504};

// The client's own failures that botocore would see as ConnectionError or HTTPClientError
// (standard.py:492-495). The caller's deadline is checked before any retry, so a Timeout is retried
// only when a step's own timeout (connect, TLS handshake) ended the attempt with time left.
constexpr std::array<std::string_view, 2> transient_transport_errors{secret_errors::endpoint_unreachable,
                                                                     secret_errors::timeout};

template <class List, class Value>
bool contains(const List& list, const Value& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

bool is_throttling_error(std::string_view error_type) {
  return contains(throttling_errors, error_type);
}

bool is_retryable(int http_status, std::string_view error_type) {
  if (is_throttling_error(error_type) || contains(transient_errors, error_type)) return true;
  if (http_status != 0) return contains(transient_statuses, http_status);
  return contains(transient_transport_errors, error_type);
}

std::chrono::milliseconds backoff_delay(const retry_policy& policy, int retry, double fraction) {
  // In double, so a large retry number cannot overflow before the cap applies.
  const double ceiling = std::min(static_cast<double>(policy.base_delay.count()) * std::exp2(retry - 1),
                                  static_cast<double>(policy.max_delay.count()));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::clamp(fraction, 0.0, 1.0) * ceiling));
}

double draw_fraction(const retry_policy& policy) {
  if (policy.random_fraction) return policy.random_fraction();
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

}  // namespace tsproxy::aws
