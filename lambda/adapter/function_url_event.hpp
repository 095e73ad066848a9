#pragma once
// Lambda Function URL events (payload format 2.0) and warmer pings, parsed with simdjson On-Demand into
// views: the request body and headers are never copied into per-request strings.
//
// Lifetime rule for everything in function_url_request: every string_view points into buffers owned by
// the event_parser that filled it (simdjson's string buffer, the padded copy of the event, the decoded
// base64 body). They stay valid until the next parse*() call on that parser, or its destruction.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include "tsproxy/engine/http_message.hpp"

namespace tsproxy::lambda {

// requestContext.authorizer.iam: the caller AWS verified, in a Function URL event with AuthType AWS_IAM
// (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads). Empty without it.
struct iam_caller {
  std::string_view account_id;        // accountId
  std::string_view user_arn;          // userArn: an IAM user, or an assumed role's session (sts assumed-role)
  std::string_view user_id;           // userId
  std::string_view caller_id;         // callerId
  std::string_view principal_org_id;  // principalOrgId; empty (null) outside an organization
  bool present() const noexcept { return !user_arn.empty(); }
};

// The fields of a Function URL event that tsproxy uses (docs/PROTOCOLS.md section 2.1; warmers: 1.4).
struct function_url_request {
  std::string_view method;                // requestContext.http.method, e.g. "GET"
  std::string_view raw_path;              // rawPath, still URL-encoded; "" when absent
  std::string_view raw_query;             // rawQueryString without '?', still URL-encoded; may be ""
  std::vector<header_view> headers;       // event order; names as given (Lambda lower-cases them)
  std::vector<std::string_view> cookies;  // the `cookies` array (Lambda moves the cookie header here)
  std::string_view body;                  // the exact request bytes: base64-decoded when isBase64Encoded
  std::string_view request_id;            // requestContext.requestId
  std::string_view source_ip;             // requestContext.http.sourceIp
  std::int64_t time_epoch_ms = 0;         // requestContext.timeEpoch
  iam_caller caller;                      // requestContext.authorizer.iam
  bool is_warmer = false;                 // {"warmer": true, ...}: answer {"success":true}, nothing else
  std::int64_t warmer_index = 0;          // warmerIndex of a warmer event, 0 when absent

  // Empties every field but keeps the vectors' capacity, so one instance per loop allocates only once.
  void clear() noexcept;
};

// Why an event was rejected. All mean the invocation should be answered with an error, not proxied.
enum class event_error {
  invalid_json = 1,     // not JSON, truncated, invalid UTF-8, or trailing content
  not_an_object,        // the event is valid JSON but not an object
  unsupported_version,  // "version" is present and not "2.0"
  missing_method,       // not a warmer and no requestContext.http.method
  wrong_type,           // a known field has the wrong JSON type (e.g. headers not an object of strings)
  bad_base64,           // isBase64Encoded is true and the body is not strict base64
};

const std::error_category& event_category() noexcept;
std::error_code make_error_code(event_error e) noexcept;

// A stable PascalCase name (e.g. "InvalidEventJson") for an event_error code, for ts-error-name and logs;
// "InvalidEvent" for codes of other categories.
std::string_view event_error_name(std::error_code ec) noexcept;

// Parses events, owning everything the parsed views point into. Make one per invocation loop (it is not
// thread-safe) and reuse it: its buffers grow to the largest event seen and are then reused without
// allocating. Key order in the event does not matter; unknown keys are skipped. Values of skipped keys
// are only checked structurally (On-Demand does not validate what it never reads).
class event_parser {
 public:
  // Bytes of readable memory simdjson needs after the end of the JSON text (SIMDJSON_PADDING).
  static constexpr std::size_t padding = 64;

  event_parser();
  ~event_parser();
  // A moved-from parser may only be destroyed or assigned to.
  event_parser(event_parser&&) noexcept;
  event_parser& operator=(event_parser&&) noexcept;
  event_parser(const event_parser&) = delete;
  event_parser& operator=(const event_parser&) = delete;

  // Copies `event` into the parser's padded buffer and parses it into `out` (cleared first).
  // Returns an event_error code on malformed events; `out` is then unspecified.
  std::error_code parse(std::string_view event, function_url_request& out);

  // Zero-copy variant for callers that read the event into a buffer with spare room: `event` must be
  // followed by at least `padding` readable bytes (capacity >= event.size() + padding; their contents do
  // not matter). The caller's buffer must then also stay unchanged while `out` is in use.
  std::error_code parse_padded(std::string_view event, std::size_t capacity, function_url_request& out);

  // Frees the internal buffers (and the JSON parser's) that grew past `keep` bytes for a large event,
  // so one large invocation does not pin its memory. Invalidates every view into the last result.
  void release_excess(std::size_t keep);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;  // hides simdjson.h (30k lines) from every includer of this header
};

}  // namespace tsproxy::lambda

template <>
struct std::is_error_code_enum<tsproxy::lambda::event_error> : std::true_type {};
