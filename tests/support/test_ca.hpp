#pragma once
// Certificates for TLS tests, made with the openssl CLI once per test process (EC P-256, fast) and
// shared by every test and peer.
//
//  * ca_cert(): a test root CA; clients under test trust this file.
//  * server_cert()/server_key(): signed by the CA, SANs DNS:localhost, DNS:upstream.test,
//    IP:127.0.0.1, IP:::1 — verification and host-name checks pass.
//  * untrusted_cert()/untrusted_key(): self-signed with the same SANs — only the chain check fails.
//  * wrong_name_cert()/wrong_name_key(): signed by the CA but only for DNS:wrong.test — only the
//    host-name check fails.

#include <filesystem>

#include "support/temp_dir.hpp"

namespace tsproxy::test {

class test_ca {
 public:
  // Generates on first use (thread-safe); the files live until the process exits. Throws
  // std::runtime_error with openssl's stderr if generation fails.
  static const test_ca& instance();

  const std::filesystem::path& ca_cert() const noexcept { return ca_cert_; }
  const std::filesystem::path& server_cert() const noexcept { return server_cert_; }
  const std::filesystem::path& server_key() const noexcept { return server_key_; }
  const std::filesystem::path& untrusted_cert() const noexcept { return untrusted_cert_; }
  const std::filesystem::path& untrusted_key() const noexcept { return untrusted_key_; }
  const std::filesystem::path& wrong_name_cert() const noexcept { return wrong_name_cert_; }
  const std::filesystem::path& wrong_name_key() const noexcept { return wrong_name_key_; }

 private:
  test_ca();

  temp_dir dir_;
  std::filesystem::path ca_cert_, ca_key_;
  std::filesystem::path server_cert_, server_key_;
  std::filesystem::path untrusted_cert_, untrusted_key_;
  std::filesystem::path wrong_name_cert_, wrong_name_key_;
};

}  // namespace tsproxy::test
