#include "support/tailscaled_standin.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include "support/net.hpp"

namespace tsproxy::test {

namespace {

// The integer after "key": in a flat JSON object, or 0 when absent.
std::size_t json_count(const std::string& json, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\": ";
  const auto at = json.find(needle);
  return at == std::string::npos ? 0 : std::stoul(json.substr(at + needle.size()));
}

}  // namespace

tailscaled_standin::tailscaled_standin(tailscaled_options options)
    : dir_("tsproxy-tailscaled"), socket_(dir_ / "tailscale.sock") {
  const char* python = std::getenv("TSPROXY_TEST_PYTHON");
  const auto port_file = dir_ / "port";
  std::vector<std::string> argv{
      python != nullptr ? python : "python3",
      (std::filesystem::path(TSPROXY_TEST_PEERS_DIR) / "tailscaled_standin.py").string(),
      "--port-file",
      port_file.string(),
      "--backend-state",
      options.state,
      "--control-socket",
      (dir_ / "control.sock").string()};
  if (options.localapi) argv.insert(argv.end(), {"--localapi-socket", socket_.string()});
  process_ = child_process(argv, dir_ / "tailscaled.log",
                           {{"PYTHONUNBUFFERED", "1"},
                            {"PYTHONDONTWRITEBYTECODE", "1"},
                            {"TSPROXY_STANDIN_DNS", options.dns},
                            {"TSPROXY_STANDIN_PEERS", options.peers},
                            {"TSPROXY_STANDIN_OFFLINE_PEERS", options.offline_peers},
                            {"TSPROXY_STANDIN_UNROUTED_DIAL_MS", std::to_string(options.unrouted_dial_ms)},
                            {"TSPROXY_STANDIN_BACKEND_DELAY_MS", std::to_string(options.backend_delay_ms)}});
  // The port file is written once both listeners are up.
  process_.wait_for_file(port_file);
  port_ = static_cast<std::uint16_t>(std::stoul(read_file(port_file)));
}

std::string tailscaled_standin::control(std::string_view method, std::string_view target) const {
  unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  const auto control_socket = dir_ / "control.sock";
  std::strncpy(address.sun_path, control_socket.c_str(), sizeof address.sun_path - 1);
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    throw std::runtime_error("tailscaled stand-in: cannot connect to " + control_socket.string());
  const std::string request =
      std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n";
  if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
    throw std::runtime_error("tailscaled stand-in: send failed");
  std::string answer;
  char buffer[4096];
  for (ssize_t n; (n = ::recv(fd.get(), buffer, sizeof buffer, 0)) > 0;)
    answer.append(buffer, static_cast<std::size_t>(n));
  const auto body = answer.find("\r\n\r\n");
  if (answer.rfind("HTTP/1.1 200", 0) != 0 || body == std::string::npos)
    throw std::runtime_error("tailscaled stand-in: unexpected answer: " + answer);
  return answer.substr(body + 4);
}

void tailscaled_standin::set_state(std::string_view backend_state) const {
  control("POST", "/__state?BackendState=" + std::string(backend_state));
}

std::size_t tailscaled_standin::connects() const {
  return json_count(control("GET", "/__stats"), "connects");
}
std::size_t tailscaled_standin::failures() const {
  return json_count(control("GET", "/__stats"), "failures");
}
std::size_t tailscaled_standin::connects_to(std::string_view host_port) const {
  return json_count(control("GET", "/__stats"), host_port);
}

}  // namespace tsproxy::test
