#pragma once
// HTTP/1.1 syntax shared by everything that reads or writes messages (RFC 9110, RFC 9112): tokens,
// whitespace, comma-separated lists, the hop-by-hop header set and the Host field's form.

#include <string>
#include <string_view>

namespace tsproxy {

constexpr char ascii_lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// RFC 9110 section 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" /
// "_" / "`" / "|" / "~" / DIGIT / ALPHA; a token is one or more of them.
bool is_token_char(unsigned char c) noexcept;
bool is_token(std::string_view s) noexcept;

// Optional whitespace (SP / HTAB) removed from both ends.
std::string_view trim_ows(std::string_view s) noexcept;

// Whether `s` starts with `lower_prefix` (given in lower case), ignoring ASCII case.
bool istarts_with(std::string_view s, std::string_view lower_prefix) noexcept;

// Calls `fn` with each trimmed, non-empty element of a comma-separated list (RFC 9110 section 5.6.1).
template <typename Fn>
void for_each_list_element(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto element = trim_ows(list.substr(0, comma));
    if (!element.empty()) fn(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

// Whether the comma-separated `list` (e.g. a Connection value) holds `token`, ignoring ASCII case.
bool list_contains(std::string_view list, std::string_view token) noexcept;

// The connection-level fields a proxy never forwards (RFC 9110 section 7.6.1): Connection,
// Proxy-Connection, Keep-Alive, TE, Transfer-Encoding, Upgrade, and Trailer (which announces
// trailers of this hop's framing). Fields named in a Connection value are hop-by-hop too; callers
// check those with list_contains.
bool is_hop_by_hop(std::string_view name) noexcept;

// Appends the Host field value for `host`:`port`: IPv6 literals in brackets, the port omitted when
// it is the scheme's default.
void append_host(std::string& out, std::string_view host, unsigned port, bool tls);

}  // namespace tsproxy
