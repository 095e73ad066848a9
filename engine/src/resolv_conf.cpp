#include "tsproxy/engine/resolv_conf.hpp"

#include <string>

namespace tsproxy {

namespace {

bool is_resolv_blank(char c) noexcept {
  return c == ' ' || c == '\t';
}

std::string_view next_resolv_word(std::string_view& line) noexcept {
  std::size_t begin = 0;
  while (begin < line.size() && is_resolv_blank(line[begin])) ++begin;
  std::size_t end = begin;
  while (end < line.size() && !is_resolv_blank(line[end])) ++end;
  const auto word = line.substr(begin, end - begin);
  line.remove_prefix(end);
  return word;
}

}  // namespace

std::vector<asio::ip::address> parse_resolv_conf(std::string_view text) {
  std::vector<asio::ip::address> servers;
  while (!text.empty() && servers.size() < resolv_conf_max_servers) {
    auto end = text.find('\n');
    auto line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    // A comment line starts with '#' or ';', so its first word is never the keyword; words after the
    // address are ignored, as glibc ignores them.
    if (next_resolv_word(line) != "nameserver") continue;
    const auto address = next_resolv_word(line);
    asio::error_code ec;
    const auto parsed = asio::ip::make_address(std::string(address), ec);
    if (!ec) servers.push_back(parsed);
  }
  return servers;
}

}  // namespace tsproxy
