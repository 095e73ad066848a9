#pragma once
// dnsmasq as an authoritative-only name server on 127.0.0.1 (UDP and TCP on one port): it answers from the
// records it is given and forwards nothing (no resolv.conf, no /etc/hosts), and logs every query.
// Names under .test that it was not given are NXDOMAIN; names outside .test are REFUSED.

#include <cstdint>
#include <string>
#include <vector>

#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace tsproxy::test {

class dnsmasq_server {
 public:
  // `records` are dnsmasq options such as "--host-record=db.test,127.0.0.1,::1" or
  // "--cname=alias.test,db.test". Returns once the port accepts connections; throws std::runtime_error
  // with the log tail if dnsmasq does not start.
  explicit dnsmasq_server(std::vector<std::string> records);

  std::string host() const { return loopback_ipv4; }
  std::uint16_t port() const noexcept { return port_; }
  // The queries dnsmasq logged for `name` so far (each line "query[A] name from ...").
  std::size_t queries_for(const std::string& name) const;
  const child_process& process() const noexcept { return process_; }

 private:
  temp_dir dir_;  // declared first so the process stops before its log is deleted
  std::uint16_t port_ = 0;
  child_process process_;
};

}  // namespace tsproxy::test
