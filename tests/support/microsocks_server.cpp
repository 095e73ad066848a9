#include "support/microsocks_server.hpp"

#include <optional>
#include <vector>

#include "support/net.hpp"

namespace tsproxy::test {
namespace {

child_process start(const temp_dir& dir, std::uint16_t& port,
                    const std::optional<socks_credentials>& credentials) {
  return retry_start([&] {
    port = free_tcp_port();
    std::vector<std::string> argv = {"microsocks", "-i", loopback_ipv4, "-p", std::to_string(port)};
    if (credentials) argv.insert(argv.end(), {"-u", credentials->username, "-P", credentials->password});
    child_process process(argv, dir / "microsocks.log");
    process.wait_for_tcp_port(loopback_ipv4, port);
    return process;
  });
}

}  // namespace

microsocks_server::microsocks_server() : dir_("tsproxy-microsocks") {
  process_ = start(dir_, port_, std::nullopt);
}

microsocks_server::microsocks_server(socks_credentials credentials) : dir_("tsproxy-microsocks") {
  process_ = start(dir_, port_, credentials);
}

}  // namespace tsproxy::test
