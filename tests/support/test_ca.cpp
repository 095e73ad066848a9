#include "support/test_ca.hpp"

#include <string>
#include <vector>

#include "support/process.hpp"

namespace tsproxy::test {
namespace {

constexpr const char* server_sans = "DNS:localhost,DNS:upstream.test,IP:127.0.0.1,IP:::1";

std::vector<std::string> new_ec_key_args() {
  return {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};
}

// A leaf signed by the CA. The extension file carries what strict verifiers (X509_V_FLAG_X509_STRICT)
// insist on: key identifiers, CA:FALSE and a serverAuth usage.
void issue_leaf(const temp_dir& dir, const std::string& name, const std::string& sans,
                const std::filesystem::path& ca_cert, const std::filesystem::path& ca_key,
                const std::filesystem::path& cert, const std::filesystem::path& key) {
  const auto csr = dir / (name + ".csr");
  const auto ext = dir / (name + ".ext");
  std::vector<std::string> req = {"openssl", "req", "-new"};
  for (auto& arg : new_ec_key_args()) req.push_back(arg);
  req.insert(req.end(), {"-keyout", key.string(), "-out", csr.string(), "-subj", "/CN=" + name});
  run_command_or_throw(req);
  write_file(ext,
             "basicConstraints = critical, CA:FALSE\n"
             "keyUsage = critical, digitalSignature\n"
             "extendedKeyUsage = serverAuth\n"
             "subjectKeyIdentifier = hash\n"
             "authorityKeyIdentifier = keyid, issuer\n"
             "subjectAltName = " +
                 sans + "\n");
  run_command_or_throw({"openssl", "x509", "-req", "-in", csr.string(), "-CA", ca_cert.string(), "-CAkey",
                        ca_key.string(), "-CAcreateserial", "-days", "3650", "-sha256", "-extfile",
                        ext.string(), "-out", cert.string()});
}

void self_signed(const std::string& subject, const std::vector<std::string>& extensions,
                 const std::filesystem::path& cert, const std::filesystem::path& key) {
  std::vector<std::string> args = {"openssl", "req", "-x509"};
  for (auto& arg : new_ec_key_args()) args.push_back(arg);
  args.insert(args.end(),
              {"-keyout", key.string(), "-out", cert.string(), "-days", "3650", "-sha256", "-subj", subject});
  for (const auto& extension : extensions) args.insert(args.end(), {"-addext", extension});
  run_command_or_throw(args);
}

}  // namespace

const test_ca& test_ca::instance() {
  static const test_ca ca;
  return ca;
}

test_ca::test_ca()
    : dir_("tsproxy-test-ca"),
      ca_cert_(dir_ / "ca.pem"),
      ca_key_(dir_ / "ca.key"),
      server_cert_(dir_ / "server.pem"),
      server_key_(dir_ / "server.key"),
      untrusted_cert_(dir_ / "untrusted.pem"),
      untrusted_key_(dir_ / "untrusted.key"),
      wrong_name_cert_(dir_ / "wrong-name.pem"),
      wrong_name_key_(dir_ / "wrong-name.key") {
  self_signed("/CN=tsproxy test CA",
              {"basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,cRLSign",
               "subjectKeyIdentifier=hash"},
              ca_cert_, ca_key_);
  issue_leaf(dir_, "localhost", server_sans, ca_cert_, ca_key_, server_cert_, server_key_);
  issue_leaf(dir_, "wrong.test", "DNS:wrong.test", ca_cert_, ca_key_, wrong_name_cert_, wrong_name_key_);
  self_signed("/CN=localhost", {std::string("subjectAltName=") + server_sans}, untrusted_cert_,
              untrusted_key_);
}

}  // namespace tsproxy::test
