#pragma once
// How an engine failure is told to the caller: the status code (docs/PROTOCOLS.md section 1.3) and
// the values of the ts-error-name / ts-error-message headers.

#include <string>
#include <system_error>

namespace tsproxy::lambda {

struct proxy_failure {
  int status = 502;
  std::string name;
  std::string message;
};

// 504 for timeouts, 502 ResponseTooLarge for a buffered response over Lambda's limit,
// 502 for every other failure to reach the target or to understand its answer.
proxy_failure describe_failure(std::error_code ec, bool buffered_mode);

}  // namespace tsproxy::lambda
