#include "support/python_upstream.hpp"

#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace tsproxy::test {

python_upstream::python_upstream() : python_upstream(python_upstream_options{}) {}

python_upstream::python_upstream(python_upstream_options options)
    : dir_("tsproxy-upstream"),
      script_(std::filesystem::path(TSPROXY_TEST_PEERS_DIR) / "misbehaving_upstream.py") {
  const char* python = std::getenv("TSPROXY_TEST_PYTHON");
  const auto port_file = dir_ / "port";
  const auto tls_port_file = dir_ / "tls-port";
  std::vector<std::string> argv{python != nullptr ? python : "python3",
                                script_.string(),
                                "--port",
                                "0",
                                "--port-file",
                                port_file.string()};
  const bool tls = !options.tls_cert.empty() && !options.tls_key.empty();
  if (tls) {
    argv.insert(argv.end(), {"--tls-cert", options.tls_cert.string(), "--tls-key", options.tls_key.string(),
                             "--tls-port-file", tls_port_file.string()});
  }
  process_ = child_process(argv, dir_ / "upstream.log",
                           {{"PYTHONUNBUFFERED", "1"}, {"PYTHONDONTWRITEBYTECODE", "1"}});
  // The script writes the file after listen() (the TLS one first), so the ports are ready. No connect()
  // probe: it would show up in accepted_connections().
  process_.wait_for_file(port_file);
  port_ = static_cast<std::uint16_t>(std::stoul(read_file(port_file)));
  if (tls) tls_port_ = static_cast<std::uint16_t>(std::stoul(read_file(tls_port_file)));
}

std::string python_upstream::url(std::string_view target) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(target);
}

std::size_t python_upstream::stat(std::string_view target, std::string_view key) const {
  const http_response response = raw_http_get(loopback_ipv4, port_, std::string(target));
  // The body is one flat JSON object of integers, e.g. {"accepted_connections": 3, "requests": 5}.
  const std::string needle = "\"" + std::string(key) + "\":";
  auto at = response.body.find(needle);
  if (response.status != 200 || at == std::string::npos) {
    throw std::runtime_error("python_upstream: unexpected " + std::string(target) + " answer " +
                             std::to_string(response.status) + ": " + response.body);
  }
  return std::stoul(response.body.substr(at + needle.size()));
}

std::size_t python_upstream::accepted_connections() const {
  return stat("/__stats", "accepted_connections");
}

std::size_t python_upstream::requests_served() const {
  return stat("/__stats", "requests");
}

std::size_t python_upstream::held(std::string_view key) const {
  return stat("/__held?key=" + std::string(key), "held");
}

std::size_t python_upstream::tls_accepted() const {
  return stat("/__stats", "tls_accepted");
}

std::size_t python_upstream::idle_actions() const {
  return stat("/__stats", "idle_actions");
}

void python_upstream::release(std::string_view key) const {
  const http_response response = raw_http_get(loopback_ipv4, port_, "/__release?key=" + std::string(key));
  if (response.status != 200) throw std::runtime_error("python_upstream: release failed: " + response.body);
}

}  // namespace tsproxy::test
