// Function URL events as Lambda delivers them, through everything the runtime does with one before any
// byte leaves: the event parser (both of its entry points, which must agree) and routing, with and
// without an allow-list. What routing lets through must be writable as a request head without
// injection: a token method, a request target and header values free of CR, LF and NUL, token names,
// no ts-* or Function URL credential forwarded, and never a sandbox address unless the list names it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "adapter/allow_list.hpp"
#include "adapter/function_url_event.hpp"
#include "adapter/routing.hpp"
#include "adapter/target_address.hpp"
#include "fuzz_input.hpp"
#include "tsproxy/engine/http_syntax.hpp"

namespace {

using tsproxy::fuzz::require;
namespace lambda = tsproxy::lambda;

// Whether the event has a header `name` (any case) with exactly `value`.
bool event_has_header(const lambda::function_url_request& request, std::string_view name,
                      std::string_view value) {
  for (const auto& h : request.headers)
    if (tsproxy::iequals(h.name, name) && h.value == value) return true;
  return false;
}

void check_routed(const lambda::function_url_request& request, const lambda::routed_request& routed,
                  const lambda::allow_list* allowed) {
  require(!routed.request_target.empty() && routed.request_target.front() == '/' &&
              routed.request_target.find_first_of(std::string_view(" \r\n\0#", 5)) == std::string::npos,
          "a routed request target could break the request line");
  require(routed.target.port != 0, "a routed target has no port");
  for (const auto& h : routed.headers) {
    require(tsproxy::is_token(h.name), "a forwarded header name is not a token");
    require(tsproxy::fuzz::no_line_break_or_nul(h.value), "a forwarded header value holds CR, LF or NUL");
    require(!tsproxy::istarts_with(h.name, "ts-"), "a ts-* header was forwarded");
    require(!tsproxy::iequals(h.name, "x-amz-security-token"),
            "the Function URL's session token was forwarded");
    // The caller's own credentials for the target travel as ts-authorization; the Function URL's never.
    if (tsproxy::iequals(h.name, "authorization"))
      require(event_has_header(request, "ts-authorization", h.value),
              "a Function URL credential was forwarded");
  }
  if (allowed == nullptr || !allowed->names_sandbox_target(routed.target))
    require(!lambda::is_sandbox_host(routed.target.host), "a sandbox address was routed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static lambda::event_parser parser;  // reused, as an invocation loop reuses its own
  static lambda::event_parser padded_parser;
  static const auto allowed = [] {
    std::string error;
    return lambda::allow_list::parse("100.64.0.0/10:*,[fd7a:115c:a1e0::/48]:443,db.tailnet.ts.net:443",
                                     error);
  }();
  const auto event = tsproxy::fuzz::as_text(data, size);

  lambda::function_url_request request;
  const auto ec = parser.parse(event, request);

  std::string buffer(event);  // the runtime's own buffer, with simdjson's padding after the bytes
  buffer.reserve(event.size() + lambda::event_parser::padding);
  lambda::function_url_request padded_request;
  const auto padded_ec = padded_parser.parse_padded(buffer, buffer.capacity(), padded_request);
  require(ec == padded_ec, "parse and parse_padded disagree");
  if (ec) {
    require(!lambda::event_error_name(ec).empty(), "a refused event has no error name");
    return 0;
  }
  require(request.method == padded_request.method && request.body == padded_request.body &&
              request.headers.size() == padded_request.headers.size(),
          "parse and parse_padded read different requests");
  if (request.is_warmer) return 0;

  for (const lambda::allow_list* list : {static_cast<const lambda::allow_list*>(nullptr), &*allowed}) {
    lambda::routed_request routed;
    if (const auto refused = lambda::route_request(request, list, routed)) {
      require(refused->status == 400 || refused->status == 403,
              "routing refused with an undocumented status");
      require(!refused->name.empty(), "routing refused without an error name");
      continue;
    }
    check_routed(request, routed, list);
  }
  return 0;
}
