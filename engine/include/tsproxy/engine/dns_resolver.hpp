#pragma once
// Resolves host names without the C library. A statically linked program must not call getaddrinfo:
// glibc would dlopen the NSS modules of whatever glibc the machine has, which need not match the one
// linked in. So names are resolved here, by asking the name servers of resolv.conf directly:
//  - an IP literal (IPv6 with or without brackets) is its own address, and nothing is asked;
//  - "localhost" and names under ".localhost" are 127.0.0.1 and ::1 (RFC 6761), without asking either;
//  - any other name is asked of each server in turn: the A and AAAA questions at once over UDP, each
//    wait bounded by attempt_timeout and the deadline; a truncated answer is asked again over TCP; a
//    server that fails or stays silent hands over to the next, for `attempts` rounds. NXDOMAIN or an
//    answer without addresses is final.
// /etc/hosts, search domains and resolv.conf options are not read: callers name hosts fully.

#include <asio/awaitable.hpp>
#include <asio/ip/address.hpp>
#include <asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "tsproxy/engine/deadline.hpp"
#include "tsproxy/engine/dns_message.hpp"

namespace tsproxy {

struct dns_settings {
  std::string resolv_conf = "/etc/resolv.conf";     // read at each resolution (it is small)
  std::uint16_t port = 53;                          // the port of the servers resolv_conf names
  std::vector<asio::ip::udp::endpoint> servers;     // when not empty, asked instead of resolv_conf's
  std::chrono::milliseconds attempt_timeout{1000};  // one question to one server
  int attempts = 2;                                 // rounds over the servers
  bool ipv6 = true;                                 // also ask AAAA
};

// The addresses of `host`, IPv4 ones first. Fails with a dns_error (timeout when the deadline passes).
asio::awaitable<std::error_code> resolve_host(std::string_view host, const dns_settings& settings,
                                              time_point deadline, std::vector<asio::ip::address>& out);

}  // namespace tsproxy
