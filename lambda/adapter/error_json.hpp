#pragma once
// The error object of the Lambda APIs: {"errorMessage": ..., "errorType": ...}, as posted to /error and
// /init/error and as Lambda itself answers failed invocations.

#include <string>
#include <string_view>

namespace tsproxy::lambda {

// Both fields may hold any bytes (non-UTF-8 is escaped); `with_stack_trace` adds "stackTrace":[],
// which the Runtime API's error posts carry.
std::string error_json(std::string_view error_type, std::string_view message, bool with_stack_trace = false);

}  // namespace tsproxy::lambda
