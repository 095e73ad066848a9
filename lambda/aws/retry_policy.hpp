#pragma once
// When to ask an AWS endpoint again after a failed attempt, and how long to wait first, as botocore's
// "standard" retry mode does (botocore 1.43.67, botocore/retries/standard.py). Pure: the client
// (secrets_manager_client.hpp) does the waiting, and never past its caller's deadline.
//
// Retried: throttling (the error names in standard.py:532-547 and botocore/data/_retry.json:3-41,
// which also counts any 429), the transient names and statuses 500, 502, 503, 504
// (standard.py:486-491), and transport failures of one attempt, which botocore catches as
// ConnectionError or HTTPClientError (standard.py:492-495): nothing accepted the connection, it was
// reset or closed before the answer, a name did not resolve, a connect or handshake timed out. Final:
// every other answer (AccessDenied, ResourceNotFound, signature and credential errors, other 4xx), a
// certificate that does not verify, an answer that is not HTTP.

#include <chrono>
#include <functional>
#include <string_view>

namespace tsproxy::aws {

struct retry_policy {
  int max_attempts = 3;  // the first one included (less than 1 counts as 1); standard.py:44
  // The jitter's ceiling before the first retry, doubling for each one after (standard.py:366, the
  // base 2, times 1 s in standard.py:426-429), never above max_delay (standard.py:367 _MAX_BACKOFF).
  std::chrono::milliseconds base_delay{1000};
  std::chrono::milliseconds max_delay{20000};
  // A number in [0, 1) drawn for each pause (full jitter, as botocore's random.random); empty: a
  // per-thread generator. Tests pin it so that a pause's length is known.
  std::function<double()> random_fraction;
};

// Whether an attempt that failed with `error_type` (and, when an answer came, its HTTP status; 0 when
// none did) may succeed if made again.
bool is_retryable(int http_status, std::string_view error_type);

// True for botocore's throttling error names (standard.py:532-547, _retry.json:3-41).
bool is_throttling_error(std::string_view error_type);

// The pause before retry number `retry` (1 for the second attempt):
// fraction * min(base_delay * 2^(retry - 1), max_delay), as botocore's ExponentialBackoff; `fraction`
// is clamped to [0, 1].
std::chrono::milliseconds backoff_delay(const retry_policy& policy, int retry, double fraction);

// policy.random_fraction(), or else a draw from the per-thread generator.
double draw_fraction(const retry_policy& policy);

}  // namespace tsproxy::aws
