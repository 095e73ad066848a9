#pragma once
// Turns an HTTP request received on the Function URL listener into the payload format 2.0 event a
// real Lambda Function URL sends (docs/PROTOCOLS.md section 2.1). Pure: no I/O, no clock, no randomness.

#include <cstdint>
#include <string>
#include <string_view>

#include "iam_principal.hpp"
#include "tsproxy/engine/http_message.hpp"

namespace tsproxy::local {

struct event_context {
  std::string_view request_id;  // requestContext.requestId
  std::string_view url_id;      // apiId and domainPrefix
  std::string_view region;      // in domainName
  std::string_view source_ip;
  std::string_view trace_id;        // x-amzn-trace-id header added when the caller sent none
  std::uint16_t listener_port = 0;  // x-forwarded-port
  std::int64_t time_epoch_ms = 0;
  // requestContext.authorizer.iam: who signed the request (AuthType AWS_IAM); nullptr: no authorizer,
  // as with AuthType NONE.
  const iam_principal* caller = nullptr;
};

// Whether a request body of this Content-Type is passed as text (when it is also valid UTF-8).
bool is_textual_content_type(std::string_view content_type) noexcept;

// "12/Mar/2020:19:03:58 +0000" for requestContext.time.
std::string format_request_time(std::int64_t epoch_ms);

// Appends the event JSON to `out`.
void build_function_url_event(const request_head& head, std::string_view body, const event_context& context,
                              std::string& out);

}  // namespace tsproxy::local
