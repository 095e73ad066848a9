#include "invocation.hpp"

namespace tsproxy::local {

http_result make_error_result(int status, std::string_view error_type, std::string_view json_body) {
  http_result result;
  result.status = status;
  result.headers.push_back({"Content-Type", "application/json"});
  if (!error_type.empty() && is_sendable_header("x-amzn-ErrorType", error_type)) {
    result.headers.push_back({"x-amzn-ErrorType", std::string(error_type)});
  }
  result.body.assign(json_body);
  return result;
}

void invocation::answer(http_result result, std::string_view error) {
  if (answered_or_streaming()) return;
  response = std::move(result);
  error_type.assign(error);
  state = phase::answered;
  signal.notify_all();
}

void invocation::fail(http_result result, std::string_view error) {
  if (state == phase::streaming) {
    if (end == stream_end::open) {
      end = stream_end::failed;
      error_type.assign(error);
      stream_error.assign(error);
      signal.notify_all();
    }
    return;
  }
  answer(std::move(result), error);
}

}  // namespace tsproxy::local
