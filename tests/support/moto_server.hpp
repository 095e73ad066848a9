#pragma once
// tests/peers/moto_secrets.py: moto, an AWS emulator, on 127.0.0.1 with IAM enforced
// (INITIAL_NO_AUTH_ACTION_COUNT=0), so it checks every SigV4 signature and IAM policy itself. It holds
// one secret and the principals that sign for it (see the script). Each object runs its own server on
// its own port (bound to port 0 by the script, which reports it), so tests may run in parallel.
// The interpreter is `python3` from PATH, or $TSPROXY_TEST_PYTHON.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace tsproxy::test {

struct aws_key {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

struct moto_options {
  bool tls = false;  // HTTPS with the test CA's server certificate (https://localhost:<port>)
};

class moto_server {
 public:
  // Returns once the secret and the principals exist. Throws std::runtime_error with the log tail if the
  // server does not get there.
  explicit moto_server(moto_options options = {});

  std::uint16_t port() const noexcept { return port_; }
  std::string endpoint() const;  // http://127.0.0.1:<port> or https://localhost:<port>
  const std::string& secret_id() const { return values_.at("secret_id"); }
  const std::string& secret_value() const { return values_.at("secret_value"); }
  // A second secret, {"authKey": json_secret_key()}, as the Tailscale extension reads it.
  const std::string& json_secret_id() const { return values_.at("json_secret_id"); }
  const std::string& json_secret_key() const { return values_.at("json_secret_key"); }
  aws_key reader() const;   // allowed secretsmanager:GetSecretValue
  aws_key nobody() const;   // allowed only secretsmanager:ListSecrets
  aws_key session() const;  // an assumed role's credentials, allowed GetSecretValue
  std::string log() const;
  const child_process& process() const noexcept { return process_; }

 private:
  temp_dir dir_;  // declared first so the process stops before its files are deleted
  bool tls_ = false;
  std::uint16_t port_ = 0;
  std::map<std::string, std::string> values_;
  child_process process_;
};

}  // namespace tsproxy::test
