#include "adapter/routing.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "tsproxy/engine/http_syntax.hpp"

namespace tsproxy::lambda {

namespace {

// ---- character classes --------------------------------------------------------------------------------

constexpr bool is_alnum(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

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

// ---- addresses and names -------------------------------------------------------------------------------

struct ip_address {
  bool is_v6 = false;
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes
};

constexpr std::uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// Parses an IPv4 or IPv6 literal without brackets (inet_pton: dotted quad without leading zeros, RFC 4291
// text forms, no zone id). IPv4-mapped IPv6 is folded to IPv4.
bool parse_ip(std::string_view text, ip_address& out) noexcept {
  char buf[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof buf) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  out = {};
  if (inet_pton(AF_INET, buf, out.bytes.data()) == 1) return true;
  if (inet_pton(AF_INET6, buf, out.bytes.data()) != 1) return false;
  if (std::memcmp(out.bytes.data(), v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
    std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
    std::memset(out.bytes.data() + 4, 0, 12);
    return true;
  }
  out.is_v6 = true;
  return true;
}

std::string format_ip(const ip_address& ip) {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(ip.is_v6 ? AF_INET6 : AF_INET, ip.bytes.data(), buf, sizeof buf);
  return buf;
}

std::string_view strip_brackets(std::string_view s) noexcept {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') return s.substr(1, s.size() - 2);
  return s;
}

// Validates a DNS name (RFC 1123 host name syntax) and writes it lower-cased, without the trailing dot.
bool normalize_dns_name(std::string_view s, std::string& out) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > 253) return false;
  std::size_t label_size = 0;
  char previous = '.';
  for (const char c : s) {
    if (c == '.') {
      if (label_size == 0 || previous == '-') return false;
      label_size = 0;
    } else if (is_alnum(c) || c == '-') {
      if (label_size == 0 && c == '-') return false;
      if (++label_size > 63) return false;
    } else {
      return false;
    }
    previous = c;
  }
  if (previous == '-') return false;
  out.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) out[i] = ascii_lower(s[i]);
  return true;
}

bool parse_port(std::string_view s, std::uint16_t& port) noexcept {
  if (s.empty() || s.size() > 5) return false;
  std::uint32_t value = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

bool prefix_matches(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                    int bits) noexcept {
  const auto whole = static_cast<std::size_t>(bits / 8);
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

void clear_host_bits(std::array<std::uint8_t, 16>& address, int bits) noexcept {
  for (int i = 0; i < 128; ++i) {
    if (i >= bits) address[static_cast<std::size_t>(i / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (i % 8)));
  }
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

// Quotes caller input in messages, bounded so a huge header cannot bloat the error.
std::string quoted(std::string_view value) {
  constexpr std::size_t max_quoted = 100;
  std::string out = "'";
  out.append(value.substr(0, max_quoted));
  if (value.size() > max_quoted) out.append("...");
  out.push_back('\'');
  return out;
}

}  // namespace

// ---- allow_list ----------------------------------------------------------------------------------------

std::optional<allow_list> allow_list::parse(std::string_view spec, std::string& error) {
  allow_list list;
  while (true) {
    const std::size_t comma = spec.find(',');
    const std::string_view text = trim_ows(spec.substr(0, comma));
    if (!text.empty()) {
      entry e;
      const std::size_t colon = text.rfind(':');
      if (colon == std::string_view::npos || (text.front() == '[' && colon < text.find(']'))) {
        error = "allow-list entry " + quoted(text) + " has no :port (use :* for any port)";
        return std::nullopt;
      }
      const std::string_view port = text.substr(colon + 1);
      std::string_view address = text.substr(0, colon);
      if (port != "*" && !parse_port(port, e.port)) {
        error = "allow-list entry " + quoted(text) + " has an invalid port (1..65535 or *)";
        return std::nullopt;
      }
      const bool bracketed = !address.empty() && address.front() == '[';
      if (bracketed) {
        if (address.back() != ']') {
          error = "allow-list entry " + quoted(text) + " has an unclosed '['";
          return std::nullopt;
        }
        address = strip_brackets(address);
      } else if (address.find(':') != std::string_view::npos) {
        error = "allow-list entry " + quoted(text) +
                ": write IPv6 addresses in brackets, e.g. [fd7a:115c:a1e0::/48]:443";
        return std::nullopt;
      }
      const std::size_t slash = address.find('/');
      ip_address ip;
      if (parse_ip(address.substr(0, slash), ip)) {
        const bool written_as_v6 = address.substr(0, slash).find(':') != std::string_view::npos;
        if (bracketed != written_as_v6) {
          error = "allow-list entry " + quoted(text) + ": brackets are for IPv6 addresses only";
          return std::nullopt;
        }
        const int written_max = written_as_v6 ? 128 : 32;
        int bits = written_max;
        if (slash != std::string_view::npos) {
          const std::string_view digits = address.substr(slash + 1);
          bits = 0;
          bool ok = !digits.empty() && digits.size() <= 3;
          for (const char c : digits) {
            ok = ok && c >= '0' && c <= '9';
            if (ok) bits = bits * 10 + (c - '0');
          }
          if (!ok || bits > written_max) {
            error = "allow-list entry " + quoted(text) + " has an invalid prefix length";
            return std::nullopt;
          }
        }
        // parse_ip folded an IPv4-mapped address to IPv4: its prefix counts from bit 96.
        if (written_as_v6 && !ip.is_v6) {
          if (bits < 96) {
            error = "allow-list entry " + quoted(text) + ": an IPv4-mapped prefix must be at least /96";
            return std::nullopt;
          }
          bits -= 96;
        }
        e.is_v6 = ip.is_v6;
        e.address = ip.bytes;
        e.prefix_bits = bits;
        clear_host_bits(e.address, bits);
      } else if (!bracketed && slash == std::string_view::npos && normalize_dns_name(address, e.name)) {
        e.is_name = true;
      } else {
        error = "allow-list entry " + quoted(text) + " is not an IP address, CIDR prefix or DNS name";
        return std::nullopt;
      }
      list.entries_.push_back(std::move(e));
    }
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  if (list.entries_.empty()) {
    error = "the allow-list has no entries";
    return std::nullopt;
  }
  return list;
}

bool allow_list::allows(const upstream_target& target) const noexcept {
  ip_address ip;
  const bool is_ip = parse_ip(target.host, ip);
  for (const auto& e : entries_) {
    if (e.port != 0 && e.port != target.port) continue;
    if (is_ip) {
      if (!e.is_name && e.is_v6 == ip.is_v6 && prefix_matches(e.address, ip.bytes, e.prefix_bits))
        return true;
    } else if (e.is_name) {
      std::string_view host = target.host;
      if (!host.empty() && host.back() == '.') host.remove_suffix(1);
      if (iequals(host, e.name)) return true;
    }
  }
  return false;
}

// ---- route_request -------------------------------------------------------------------------------------

namespace {

// The routing-relevant header values of one request (views into the event), found in a single pass.
struct routing_headers {
  std::optional<std::string_view> target_ip, target_host, target_port, https, ts_host;
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

}  // namespace

std::optional<routing_error> route_request(const function_url_request& request, const allow_list* allowed,
                                           routed_request& out) {
  out.target = {};
  out.headers.clear();
  out.host_value.clear();
  out.cookie_value.clear();
  out.metric_service = {};
  out.metric_dimension_name = {};
  out.metric_dimension_value = {};

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
  if (allowed != nullptr && !allowed->allows(out.target)) {
    return routing_error{403, "TargetNotAllowed",
                         out.target.describe() + " is not in the proxy's allow-list"};
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
