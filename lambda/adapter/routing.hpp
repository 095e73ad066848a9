#pragma once
// Routing: turns a Function URL request into the upstream target and the exact header list to forward,
// per the caller contract in docs/PROTOCOLS.md sections 1.1 and 1.2, and checks the target against an
// optional allow-list (allow_list.hpp).
//
// Routing headers (names matched case-insensitively):
//   ts-target-ip    IPv4 or IPv6 literal (brackets allowed). IPv4-mapped IPv6 (::ffff:a.b.c.d) is turned
//                   into plain IPv4 so an IPv4 allow-list entry cannot be sidestepped. Stored canonical.
//   ts-target-host  DNS name (letters, digits, hyphens, dots; labels 1..63 bytes, no leading/trailing
//                   hyphen; <= 253 bytes; one trailing dot allowed and removed), stored lower-cased and sent
//                   to SOCKS5 as a domain address. An IP literal here is treated like ts-target-ip.
//                   With both headers, the connection goes to ts-target-ip and the name is kept for SNI and
//                   Host (so a caller can skip DNS yet verify TLS by name).
//   ts-target-port  required, decimal digits only, 1..65535.
//   ts-https        "true"/"false" (any case); absent: TLS exactly when the port is 443.
//   ts-diagnose     "true"/"false" (any case): answer with a diagnosis of the target instead of forwarding
//                   (docs/PROTOCOLS.md section 1.6); whether the caller may ask is the runtime's decision.
// TLS server name (SNI and certificate verification), set only when TLS is on so that plain-HTTP pool keys
// do not depend on it: ts-target-host when given; else the host part of ts-host when it is a DNS name —
// the same choice Node's https agent made from the Host header, which keeps callers of the Node proxy
// working; else empty (no SNI; IP-literal verification is the engine's business).
//
// Forwarded headers, in this order:
//   1. host: ts-host when given, else the target (the ts-target-host name, or the IP with IPv6 in
//      brackets) plus ":port" unless the port is the scheme default (80 http, 443 https).
//   2. every event header except: all ts-*; authorization, x-amz-date, x-amz-security-token,
//      x-amz-content-sha256, host (they belong to the signed Function URL call); hop-by-hop connection,
//      keep-alive, transfer-encoding, te, trailer, upgrade, proxy-*; content-length (the engine frames the
//      body); cookie (merged below); and any header named by a token of the connection header.
//   3. authorization, x-amz-date, x-amz-content-sha256 restored from their ts- forms. They are explicit
//      caller instructions, so connection tokens do not remove them.
//   4. cookie: the event's cookie header (if any) and then its `cookies` array, joined with "; ".
// Every event header is checked first: a name that is not an RFC 9110 token is rejected (400
// InvalidHeaderName), a value or cookie containing CR, LF or NUL is rejected (400 HeaderInjection).

#include <asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/allow_list.hpp"
#include "adapter/function_url_event.hpp"
#include "tsproxy/engine/http_message.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy::lambda {

// A request the proxy refuses to forward. Status 400 for bad routing or headers, 403 for a target the
// allow-list does not admit.
struct routing_error {
  int status = 400;
  std::string name;     // PascalCase, for the ts-error-name header (e.g. "MissingTargetPort")
  std::string message;  // human-readable, may quote caller input (sanitize before putting it in a header)
};

// The result of routing one request. Views in `headers` point into the function_url_request (so into its
// event_parser's buffers), into string literals, and into `host_value` / `cookie_value` below; the struct
// is therefore neither copyable nor movable. Keep one per request (or per loop; route_request resets it)
// and keep it alive, together with the event, until the upstream exchange is over. Moving `headers` or
// `request_target` out of it (e.g. into a tsproxy::http_request) is fine.
struct routed_request {
  upstream_target target;
  std::string request_target;        // origin-form "/path?query" for the request line (see route_request)
  std::vector<header_view> headers;  // the forwarded headers, as described at the top of this file
  // ts-metric-* header values (views into the event); metric_service empty = emit no metric.
  std::string_view metric_service;
  std::string_view metric_dimension_name;
  std::string_view metric_dimension_value;
  bool diagnose = false;  // ts-diagnose: true

  std::string host_value;         // storage behind the host header when tsproxy builds it
  std::string cookie_value;       // storage behind the merged cookie header
  std::string trace_id_value;     // storage behind x-amzn-trace-id when the trace context sets it
  std::string traceparent_value;  // storage behind a derived traceparent (trace_context.hpp)

  routed_request() = default;
  routed_request(const routed_request&) = delete;
  routed_request& operator=(const routed_request&) = delete;
};

// Routes `request` into `out` (reset first). The method must be an RFC 9110 token (400 InvalidMethod).
// The request target is rawPath (with "/" prepended when missing) plus "?" rawQueryString when non-empty,
// kept as the caller encoded it except that bytes which cannot appear in a request line (controls, space,
// DEL, bytes >= 0x80) and '#' (and '?' inside the path) are percent-encoded.
// `allowed` may be null (every target allowed). Returns the error when the request must be refused;
// `out` is then unspecified.
//
// Error names: InvalidMethod, InvalidHeaderName, HeaderInjection, MissingTargetIp (neither ts-target-ip
// nor ts-target-host), InvalidTargetIp, InvalidTargetHost, MissingTargetPort, InvalidTargetPort,
// InvalidHttps, InvalidDiagnose (all 400), TargetNotAllowed (403: the allow-list does not admit the target),
// SandboxTargetNotAllowed (403: a loopback, link-local or unspecified address, or localhost, that no
// allow-list entry inside those blocks names — a broad entry such as 0.0.0.0/0 does not count).
// A target named by DNS name is not refused here for the allow-list's sake: whether a name entry admits
// it or address entries admit its addresses is decided by check_resolved_address.
std::optional<routing_error> route_request(const function_url_request& request, const allow_list* allowed,
                                           routed_request& out);

// The policy on the address that is dialled (docs/PROTOCOLS.md 5.3). A target named by DNS name is
// resolved for each new connection, and every address it resolves to is checked before one is dialled:
// SandboxTargetNotAllowed (403) when the address is inside the sandbox and no allow-list entry inside the
// sandbox names it (a name entry for the target does not count: a DNS record is not the operator's word);
// TargetNotAllowed (403) when an allow-list is set and neither a name entry admits the name nor an
// address entry the address.
std::optional<routing_error> check_resolved_address(const upstream_target& target, const std::string& address,
                                                    const allow_list* allowed);

// After the SOCKS5 listener connected to `dialled` (an IP literal): its reply's bound address, the local
// address of its outgoing connection. A loopback one means the connection went to the listener's own host,
// which is refused (SandboxTargetNotAllowed) unless `dialled` was a loopback address admitted before the
// dial.
std::optional<routing_error> check_bound_address(const upstream_target& target, const std::string& dialled,
                                                 const asio::ip::address& bound);

}  // namespace tsproxy::lambda
