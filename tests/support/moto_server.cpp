#include "support/moto_server.hpp"

#include <cstdlib>
#include <sstream>

#include "support/test_ca.hpp"

namespace tsproxy::test {

moto_server::moto_server(moto_options options) : dir_("tsproxy-moto"), tls_(options.tls) {
  const char* python = std::getenv("TSPROXY_TEST_PYTHON");
  const auto ready = dir_ / "ready";
  std::vector<std::string> argv{python != nullptr ? python : "python3",
                                std::string(TSPROXY_TEST_PEERS_DIR) + "/moto_secrets.py", "--ready-file",
                                ready.string()};
  if (tls_) {
    const auto& ca = test_ca::instance();
    argv.insert(argv.end(), {"--tls-cert", ca.server_cert().string(), "--tls-key", ca.server_key().string(),
                             "--ca", ca.ca_cert().string()});
  }
  process_ = child_process(argv, dir_ / "moto.log",
                           {{"INITIAL_NO_AUTH_ACTION_COUNT", "0"},
                            {"PYTHONUNBUFFERED", "1"},
                            {"PYTHONDONTWRITEBYTECODE", "1"},
                            // boto3 in the script must not pick up anything from the machine.
                            {"AWS_CONFIG_FILE", "/dev/null"},
                            {"AWS_SHARED_CREDENTIALS_FILE", "/dev/null"}});
  process_.wait_for_file(ready, std::chrono::seconds(90));
  std::istringstream lines(read_file(ready));
  std::string line;
  while (std::getline(lines, line)) {
    const auto space = line.find(' ');
    if (space != std::string::npos) values_[line.substr(0, space)] = line.substr(space + 1);
  }
  if (!values_.contains("port") || !values_.contains("session_token"))
    process_.fail("moto_secrets.py wrote no ready file");
  port_ = static_cast<std::uint16_t>(std::stoi(values_.at("port")));
}

std::string moto_server::endpoint() const {
  return (tls_ ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(port_);
}

aws_key moto_server::reader() const {
  return {values_.at("reader_id"), values_.at("reader_secret"), ""};
}

aws_key moto_server::nobody() const {
  return {values_.at("nobody_id"), values_.at("nobody_secret"), ""};
}

aws_key moto_server::session() const {
  return {values_.at("session_id"), values_.at("session_secret"), values_.at("session_token")};
}

std::string moto_server::log() const {
  return read_file(process_.log_file());
}

}  // namespace tsproxy::test
