#include "support/dnsmasq_server.hpp"

#include "support/temp_dir.hpp"

namespace tsproxy::test {

dnsmasq_server::dnsmasq_server(std::vector<std::string> records) : dir_("tsproxy-dnsmasq") {
  process_ = retry_start([&] {
    port_ = free_tcp_port();
    std::vector<std::string> argv = {"dnsmasq",
                                     "--keep-in-foreground",
                                     "--no-resolv",
                                     "--no-hosts",
                                     "--no-poll",
                                     "--bind-interfaces",
                                     "--listen-address=" + std::string(loopback_ipv4),
                                     "--port=" + std::to_string(port_),
                                     "--pid-file=",
                                     "--log-facility=-",
                                     "--log-queries",
                                     "--local=/test/"};
    argv.insert(argv.end(), records.begin(), records.end());
    child_process process(argv, dir_ / "dnsmasq.log");
    process.wait_for_tcp_port(loopback_ipv4, port_);
    return process;
  });
}

std::size_t dnsmasq_server::queries_for(const std::string& name) const {
  const auto log = read_file(process_.log_file());
  std::size_t count = 0;
  for (std::size_t at = log.find("query["); at != std::string::npos; at = log.find("query[", at + 1)) {
    const auto line_end = log.find('\n', at);
    const auto line = log.substr(at, line_end - at);
    if (line.find("] " + name + " from") != std::string::npos) ++count;
  }
  return count;
}

}  // namespace tsproxy::test
