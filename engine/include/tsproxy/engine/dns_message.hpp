#pragma once
// DNS messages for a stub resolver (RFC 1035): the query for one name and record type, and the answer to
// it. Pure: bytes in, values out, so every rule is tested on bytes (tests/engine/unit/dns_message_test.cpp).
//
// The answer parser trusts nothing: every length is checked against the message, a compression pointer
// must point backwards (so names cannot loop) and may be followed at most dns_max_pointer_jumps times,
// names are bounded to 255 bytes, and only records of class IN for the name asked, or for the names a
// CNAME chain from it leads to, count.

#include <asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tsproxy {

enum class dns_error {
  name_not_found = 1,  // NXDOMAIN: the name does not exist
  no_address,          // the name exists but has no address record
  server_failure,      // SERVFAIL, REFUSED, NOTIMP, FORMERR: another server may answer
  bad_response,        // malformed, or not an answer to the question asked
  invalid_name,        // cannot be asked (empty label, label over 63 bytes, name over 253, odd bytes)
  timeout,             // no server answered in time
  no_servers,          // no name server configured
};

const std::error_category& dns_category() noexcept;
std::error_code make_error_code(dns_error e) noexcept;
std::string_view dns_error_name(dns_error e) noexcept;  // PascalCase, for logs and error names

enum class dns_record_type : std::uint16_t { a = 1, cname = 5, aaaa = 28 };

inline constexpr std::size_t dns_udp_payload_max = 512;  // without EDNS0, which the queries do not offer
inline constexpr int dns_max_pointer_jumps = 16;
inline constexpr std::size_t dns_max_cname_hops = 8;

// Appends a recursive query (RD set, one question of class IN) for `name` (a trailing dot is allowed).
std::error_code build_dns_query(std::string_view name, std::uint16_t id, dns_record_type type,
                                std::string& out);

struct dns_answer {
  bool truncated = false;                    // TC set: the answer did not fit; ask again over TCP
  std::vector<asio::ip::address> addresses;  // in the order the server gave them
  std::uint32_t ttl = 0;                     // the smallest TTL among the records used
};

// Parses the response to the query (`id`, `name`, `type`). A truncated response is reported as such
// (truncated = true, no addresses) without parsing further. Fails with name_not_found, no_address,
// server_failure or bad_response.
std::error_code parse_dns_response(std::string_view message, std::uint16_t id, std::string_view name,
                                   dns_record_type type, dns_answer& out);

}  // namespace tsproxy

template <>
struct std::is_error_code_enum<tsproxy::dns_error> : std::true_type {};
