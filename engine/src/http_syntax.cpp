#include "tsproxy/engine/http_syntax.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "tsproxy/engine/http_message.hpp"

namespace tsproxy {

namespace {

constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = t[c - 32] = true;
  for (const char c : std::string_view("!#$%&'*+-.^_`|~")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> tchar = make_tchar_table();

}  // namespace

bool is_token_char(unsigned char c) noexcept {
  return tchar[c];
}

bool is_token(std::string_view s) noexcept {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return tchar[static_cast<unsigned char>(c)]; });
}

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool istarts_with(std::string_view s, std::string_view lower_prefix) noexcept {
  return s.size() >= lower_prefix.size() && iequals(s.substr(0, lower_prefix.size()), lower_prefix);
}

bool list_contains(std::string_view list, std::string_view token) noexcept {
  bool found = false;
  for_each_list_element(list, [&](std::string_view element) { found = found || iequals(element, token); });
  return found;
}

bool is_hop_by_hop(std::string_view name) noexcept {
  for (const std::string_view hop :
       {"connection", "proxy-connection", "keep-alive", "te", "transfer-encoding", "upgrade", "trailer"}) {
    if (iequals(name, hop)) return true;
  }
  return false;
}

void append_host(std::string& out, std::string_view host, unsigned port, bool tls) {
  const bool v6 = host.find(':') != std::string_view::npos;
  if (v6) out.push_back('[');
  out.append(host);
  if (v6) out.push_back(']');
  if (port != (tls ? 443u : 80u)) {
    char digits[8];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, port);
    out.push_back(':');
    out.append(digits, end);
  }
}

}  // namespace tsproxy
