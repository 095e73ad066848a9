#include "support/dante_server.hpp"

#include <unistd.h>

#include <sstream>

namespace tsproxy::test {
namespace {

std::string make_config(std::uint16_t port, const std::filesystem::path& log_file,
                        const dante_options& options) {
  const bool ipv6 = ipv6_loopback_available();
  std::ostringstream conf;
  conf << "logoutput: " << log_file.string() << "\n"
       << "internal: 127.0.0.1 port = " << port << "\n"
       << "external: 127.0.0.1\n";
  if (ipv6) conf << "external: ::1\n";
  conf << "socksmethod: none\n"
       << "clientmethod: none\n";
  // danted refuses to start as root without these; as another user the defaults work.
  if (::geteuid() == 0) conf << "user.privileged: root\nuser.unprivileged: root\n";
  conf << "client pass { from: 127.0.0.0/8 to: 0/0 log: error }\n";
  if (ipv6) conf << "client pass { from: ::1/128 to: 0/0 log: error }\n";
  // First match wins, so the blocks come before the passes. "." matches every domain name.
  for (std::uint16_t blocked : options.blocked_ports) {
    for (const char* to : {"0.0.0.0/0", "::/0", "."}) {
      conf << "socks block { from: 0/0 to: " << to << " port = " << blocked << " log: connect error }\n";
    }
  }
  for (const char* to : {"0.0.0.0/0", "::/0", "."}) {
    // Inside a rule, "log:" and "command:" take lists that end only at a newline or "}".
    conf << "socks pass {\n  from: 0/0 to: " << to << "\n  log: error\n  command: connect\n}\n";
  }
  return conf.str();
}

}  // namespace

dante_server::dante_server(dante_options options)
    : dir_("tsproxy-dante"), config_file_(dir_ / "danted.conf"), log_file_(dir_ / "danted.log") {
  process_ = retry_start([&] {
    port_ = free_tcp_port();
    write_file(config_file_, make_config(port_, log_file_, options));
    child_process process(
        {"danted", "-f", config_file_.string(), "-N", "1", "-p", (dir_ / "danted.pid").string()}, log_file_);
    process.wait_for_tcp_port(loopback_ipv4, port_);
    return process;
  });
}

}  // namespace tsproxy::test
