#include "adapter/routing.hpp"

#include <cstring>

#include "adapter/target_address.hpp"
#include "tsproxy/engine/http_syntax.hpp"

namespace tsproxy::lambda {

namespace {

// ---- character checks -------------------------------------------------------------------------------

// CR and LF would split the upstream request (header injection, request smuggling); NUL truncates it in
// some servers. Other control bytes are invalid too but harmless, and are left to the target to judge.
bool has_line_break_or_nul(std::string_view s) noexcept {
  return std::memchr(s.data(), '\r', s.size()) != nullptr ||
         std::memchr(s.data(), '\n', s.size()) != nullptr || std::memchr(s.data(), '\0', s.size()) != nullptr;
}

// ---- header classification -----------------------------------------------------------------------------

enum class header_kind {
  forward,
  drop,
  connection,
  cookie,
  ts_target_ip,
  ts_target_host,
  ts_target_port,
  ts_https,
  ts_host,
  ts_authorization,
  ts_x_amz_date,
  ts_x_amz_content_sha256,
  ts_metric_service,
  ts_metric_dimension_name,
  ts_metric_dimension_value,
  ts_diagnose,
};

struct known_header {
  std::string_view name;
  header_kind kind;
};

constexpr known_header known_headers[] = {
    {"ts-target-ip", header_kind::ts_target_ip},
    {"ts-target-host", header_kind::ts_target_host},
    {"ts-target-port", header_kind::ts_target_port},
    {"ts-https", header_kind::ts_https},
    {"ts-host", header_kind::ts_host},
    {"ts-authorization", header_kind::ts_authorization},
    {"ts-x-amz-date", header_kind::ts_x_amz_date},
    {"ts-x-amz-content-sha256", header_kind::ts_x_amz_content_sha256},
    {"ts-metric-service", header_kind::ts_metric_service},
    {"ts-metric-dimension-name", header_kind::ts_metric_dimension_name},
    {"ts-metric-dimension-value", header_kind::ts_metric_dimension_value},
    {"ts-diagnose", header_kind::ts_diagnose},
    // The signed Function URL call's own headers.
    {"authorization", header_kind::drop},
    {"x-amz-date", header_kind::drop},
    {"x-amz-security-token", header_kind::drop},
    {"x-amz-content-sha256", header_kind::drop},
    {"host", header_kind::drop},
    // Hop-by-hop (RFC 9110 section 7.6.1) and framing: the engine frames the upstream request itself.
    {"connection", header_kind::connection},
    {"keep-alive", header_kind::drop},
    {"transfer-encoding", header_kind::drop},
    {"te", header_kind::drop},
    {"trailer", header_kind::drop},
    {"upgrade", header_kind::drop},
    {"content-length", header_kind::drop},
    {"cookie", header_kind::cookie},
};
constexpr std::size_t longest_known_header = 25;  // "ts-metric-dimension-value"

header_kind classify(std::string_view name) noexcept {
  if (name.size() <= longest_known_header) {
    // Lambda already lower-cases names; lower-casing again keeps other event sources working.
    char lower[longest_known_header];
    for (std::size_t i = 0; i < name.size(); ++i) lower[i] = ascii_lower(name[i]);
    const std::string_view key(lower, name.size());
    for (const auto& known : known_headers) {
      if (known.name == key) return known.kind;
    }
  }
  if (istarts_with(name, "ts-") || istarts_with(name, "proxy-")) return header_kind::drop;
  return header_kind::forward;
}

// ---- request target ------------------------------------------------------------------------------------

void append_request_target_part(std::string& out, std::string_view part, bool is_path) {
  static constexpr char hex[] = "0123456789ABCDEF";
  for (const char ch : part) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '#' || (is_path && c == '?')) {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
}

void build_request_target(const function_url_request& request, std::string& out) {
  out.clear();
  out.reserve(request.raw_path.size() + request.raw_query.size() + 2);
  if (request.raw_path.empty() || request.raw_path.front() != '/') out.push_back('/');
  append_request_target_part(out, request.raw_path, true);
  if (!request.raw_query.empty()) {
    out.push_back('?');
    append_request_target_part(out, request.raw_query, false);
  }
}

// ---- errors --------------------------------------------------------------------------------------------

routing_error bad_request(std::string_view name, std::string message) {
  return routing_error{400, std::string(name), std::move(message)};
}

}  // namespace

// ---- route_request -------------------------------------------------------------------------------------

namespace {

// The routing-relevant header values of one request (views into the event), found in a single pass.
struct routing_headers {
  std::optional<std::string_view> target_ip, target_host, target_port, https, ts_host, diagnose;
  std::optional<std::string_view> authorization, x_amz_date, x_amz_content_sha256;  // the ts- forms
  std::optional<std::string_view> cookie;
  bool has_connection = false;
};

// Validates every header, sorts out the routing ones and appends the pass-through ones to out.headers.
std::optional<routing_error> scan_headers(const function_url_request& request, routing_headers& found,
                                          routed_request& out) {
  for (const header_view& h : request.headers) {
    if (!is_token(h.name)) {
      return bad_request("InvalidHeaderName", "a request header name is not a valid HTTP token");
    }
    if (has_line_break_or_nul(h.value)) {
      return bad_request("HeaderInjection",
                         "the value of header " + quoted(h.name) + " contains CR, LF or NUL");
    }
    switch (classify(h.name)) {
      case header_kind::forward:
        out.headers.push_back(h);
        break;
      case header_kind::drop:
        break;
      case header_kind::connection:
        found.has_connection = true;
        break;
      case header_kind::cookie:
        found.cookie = h.value;
        break;
      case header_kind::ts_target_ip:
        found.target_ip = h.value;
        break;
      case header_kind::ts_target_host:
        found.target_host = h.value;
        break;
      case header_kind::ts_target_port:
        found.target_port = h.value;
        break;
      case header_kind::ts_https:
        found.https = h.value;
        break;
      case header_kind::ts_host:
        found.ts_host = h.value;
        break;
      case header_kind::ts_authorization:
        found.authorization = h.value;
        break;
      case header_kind::ts_x_amz_date:
        found.x_amz_date = h.value;
        break;
      case header_kind::ts_x_amz_content_sha256:
        found.x_amz_content_sha256 = h.value;
        break;
      case header_kind::ts_metric_service:
        out.metric_service = h.value;
        break;
      case header_kind::ts_metric_dimension_name:
        out.metric_dimension_name = h.value;
        break;
      case header_kind::ts_metric_dimension_value:
        out.metric_dimension_value = h.value;
        break;
      case header_kind::ts_diagnose:
        found.diagnose = h.value;
        break;
    }
  }
  for (const std::string_view cookie : request.cookies) {
    if (has_line_break_or_nul(cookie))
      return bad_request("HeaderInjection", "a cookie contains CR, LF or NUL");
  }
  return std::nullopt;
}

// The DNS name in a Host header value (host[:port]), lower-cased; empty for IP literals and non-names.
std::string server_name_from_host_header(std::string_view host_header) {
  std::string name;
  const std::size_t colon = host_header.find(':');
  if (host_header.empty() || host_header.front() == '[' ||
      (colon != std::string_view::npos && host_header.find(':', colon + 1) != std::string_view::npos)) {
    return name;  // IPv6 literal, bracketed or bare
  }
  const std::string_view host = host_header.substr(0, colon);
  ip_address ignored;
  if (!parse_ip(host, ignored)) normalize_dns_name(host, name);
  return name;
}

// Fills `target` from the routing headers; `target_name` receives the ts-target-host name when one was
// given (it also names the Host header).
std::optional<routing_error> resolve_target(const routing_headers& found, upstream_target& target,
                                            std::string& target_name) {
  ip_address ip;
  bool have_ip = false;
  if (found.target_ip) {
    if (!parse_ip(strip_brackets(*found.target_ip), ip)) {
      return bad_request("InvalidTargetIp",
                         "ts-target-ip " + quoted(*found.target_ip) + " is not an IPv4 or IPv6 address");
    }
    have_ip = true;
  }
  if (found.target_host) {
    ip_address host_ip;
    if (parse_ip(strip_brackets(*found.target_host), host_ip)) {
      if (!have_ip) ip = host_ip;
      have_ip = true;
    } else if (!normalize_dns_name(*found.target_host, target_name)) {
      return bad_request("InvalidTargetHost",
                         "ts-target-host " + quoted(*found.target_host) + " is not a valid DNS name");
    }
  }
  if (!have_ip && target_name.empty()) {
    return bad_request("MissingTargetIp", "the ts-target-ip or ts-target-host header is required");
  }
  if (!found.target_port) return bad_request("MissingTargetPort", "the ts-target-port header is required");
  if (!parse_port(*found.target_port, target.port)) {
    return bad_request("InvalidTargetPort",
                       "ts-target-port " + quoted(*found.target_port) + " is not a port number (1..65535)");
  }
  if (!found.https) {
    target.tls = target.port == 443;
  } else if (iequals(*found.https, "true")) {
    target.tls = true;
  } else if (iequals(*found.https, "false")) {
    target.tls = false;
  } else {
    return bad_request("InvalidHttps", "ts-https " + quoted(*found.https) + " must be true or false");
  }
  target.host = have_ip ? format_ip(ip) : target_name;
  if (target.tls) {
    if (!target_name.empty()) {
      target.server_name = target_name;
    } else if (found.ts_host) {
      target.server_name = server_name_from_host_header(*found.ts_host);
    }
  }
  return std::nullopt;
}

// Drops pass-through headers (after the host slot) that any connection header of the event names.
void remove_connection_listed(const function_url_request& request, std::vector<header_view>& headers) {
  auto kept = headers.begin() + 1;
  for (auto it = kept; it != headers.end(); ++it) {
    bool listed = false;
    for (const header_view& h : request.headers) {
      // Every connection header, in case the event repeated the key instead of joining the values.
      if (iequals(h.name, "connection") && list_contains(h.value, it->name)) {
        listed = true;
        break;
      }
    }
    if (!listed) *kept++ = *it;
  }
  headers.erase(kept, headers.end());
}

void build_host_value(const upstream_target& target, std::string_view target_name, std::string& out) {
  const bool bracket = target_name.empty() && target.host.find(':') != std::string::npos;
  const std::string_view shown = target_name.empty() ? std::string_view(target.host) : target_name;
  out.reserve(shown.size() + 8);
  if (bracket) out.push_back('[');
  out.append(shown);
  if (bracket) out.push_back(']');
  if (target.port != (target.tls ? 443 : 80)) {
    out.push_back(':');
    out.append(std::to_string(target.port));
  }
}

routing_error not_allowed(const upstream_target& target) {
  return {403, "TargetNotAllowed", target.describe() + " is not in the proxy's allow-list"};
}

// The sandbox's own addresses are never a target unless the operator named them (docs/PROTOCOLS.md 5.3).
routing_error inside_sandbox(const upstream_target& target, std::string_view address = {}) {
  std::string where = target.describe();
  if (!address.empty()) where += " (resolved to " + std::string(address) + ")";
  return {403, "SandboxTargetNotAllowed",
          where +
              " is inside the Lambda sandbox (loopback, link-local or unspecified); "
              "name it in TSPROXY_ALLOWED_TARGETS to allow it"};
}

}  // namespace

std::optional<routing_error> check_resolved_address(const upstream_target& target, const std::string& address,
                                                    const allow_list* allowed) {
  upstream_target dialled = target;
  dialled.host = address;
  if (is_sandbox_host(address) && (allowed == nullptr || !allowed->names_sandbox_target(dialled)))
    return inside_sandbox(target, address);
  if (allowed != nullptr && !allowed->allows(target) && !allowed->allows(dialled)) return not_allowed(target);
  return std::nullopt;
}

std::optional<routing_error> check_bound_address(const upstream_target& target, const std::string& dialled,
                                                 const asio::ip::address& bound) {
  // A loopback local address means the listener connected to its own host. That was asked for only when
  // the dialled address is loopback itself, which the checks before the dial admitted explicitly.
  if (!bound.is_loopback()) return std::nullopt;
  std::error_code ec;
  if (const auto address = asio::ip::make_address(dialled, ec); !ec && address.is_loopback())
    return std::nullopt;
  return inside_sandbox(target, bound.to_string());
}

std::optional<routing_error> route_request(const function_url_request& request, const allow_list* allowed,
                                           routed_request& out) {
  out.target = {};
  out.headers.clear();
  out.host_value.clear();
  out.cookie_value.clear();
  out.metric_service = {};
  out.metric_dimension_name = {};
  out.metric_dimension_value = {};
  out.diagnose = false;

  if (!is_token(request.method)) {
    return bad_request("InvalidMethod", "the request method is not a valid HTTP token");
  }

  // Slot 0 is the host header, filled in once the target is known: RFC 9110 asks for Host first.
  out.headers.reserve(request.headers.size() + 4);
  out.headers.push_back({});
  routing_headers found;
  if (auto error = scan_headers(request, found, out)) return error;

  std::string target_name;
  if (auto error = resolve_target(found, out.target, target_name)) return error;
  if (found.diagnose) {
    if (iequals(*found.diagnose, "true")) {
      out.diagnose = true;
    } else if (!iequals(*found.diagnose, "false")) {
      return bad_request("InvalidDiagnose",
                         "ts-diagnose " + quoted(*found.diagnose) + " must be true or false");
    }
  }
  // A DNS name is checked again, address by address, once it is resolved for a new connection
  // (check_resolved_address): a name entry may admit it here, an address entry only its addresses there.
  const bool named = !is_ip_literal(out.target.host);
  if (allowed != nullptr && !named && !allowed->allows(out.target)) return not_allowed(out.target);
  if (is_sandbox_host(out.target.host) &&
      (allowed == nullptr || !allowed->names_sandbox_target(out.target))) {
    return inside_sandbox(out.target);
  }

  if (found.has_connection) remove_connection_listed(request, out.headers);
  if (found.authorization) out.headers.push_back({"authorization", *found.authorization});
  if (found.x_amz_date) out.headers.push_back({"x-amz-date", *found.x_amz_date});
  if (found.x_amz_content_sha256)
    out.headers.push_back({"x-amz-content-sha256", *found.x_amz_content_sha256});

  if (found.ts_host) {
    out.headers.front() = {"host", *found.ts_host};
  } else {
    build_host_value(out.target, target_name, out.host_value);
    out.headers.front() = {"host", out.host_value};
  }

  if (found.cookie) out.cookie_value.append(*found.cookie);
  for (const std::string_view cookie : request.cookies) {
    if (!out.cookie_value.empty()) out.cookie_value.append("; ");
    out.cookie_value.append(cookie);
  }
  if (!out.cookie_value.empty()) out.headers.push_back({"cookie", out.cookie_value});

  build_request_target(request, out.request_target);
  return std::nullopt;
}

}  // namespace tsproxy::lambda
