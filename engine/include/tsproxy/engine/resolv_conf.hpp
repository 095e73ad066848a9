#pragma once
// The name servers listed in a resolv.conf text, read the way glibc reads them: `nameserver ADDRESS`
// lines (IPv4 or IPv6, an IPv6 scope such as %eth0 allowed), at most resolv_conf_max_servers of them, in
// order. Comment lines (# or ;), other keywords and malformed addresses are skipped. Pure.

#include <asio/ip/address.hpp>
#include <cstddef>
#include <string_view>
#include <vector>

namespace tsproxy {

inline constexpr std::size_t resolv_conf_max_servers = 3;  // glibc's MAXNS

std::vector<asio::ip::address> parse_resolv_conf(std::string_view text);

}  // namespace tsproxy
