// DNS answers from the resolver's name servers, and resolv.conf texts. The first two input bytes are the
// query id and the third picks A or AAAA; the question is for "db.tailnet.ts.net". Addresses are only
// returned for the family asked, and a truncated answer carries none.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_input.hpp"
#include "tsproxy/engine/dns_message.hpp"
#include "tsproxy/engine/resolv_conf.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using tsproxy::fuzz::require;
  if (size < 3) return 0;
  const auto id = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
  const auto type = (data[2] & 1) ? tsproxy::dns_record_type::aaaa : tsproxy::dns_record_type::a;
  const auto message = tsproxy::fuzz::as_text(data + 3, size - 3);

  tsproxy::dns_answer answer;
  if (!tsproxy::parse_dns_response(message, id, "db.tailnet.ts.net", type, answer)) {
    if (answer.truncated) require(answer.addresses.empty(), "a truncated answer carries addresses");
    for (const auto& a : answer.addresses)
      require(type == tsproxy::dns_record_type::aaaa ? a.is_v6() : a.is_v4(),
              "an address of the wrong family");
  }

  const auto servers = tsproxy::parse_resolv_conf(message);
  require(servers.size() <= tsproxy::resolv_conf_max_servers, "more name servers than glibc reads");
  return 0;
}
