#pragma once
// The client-side TLS configuration, built on first use: loading a CA bundle costs milliseconds,
// which must not be spent on the start-up path or by plain-HTTP traffic.
// Also keeps one resumable TLS session per target so reconnects skip the full handshake.

#include <asio/ssl/context.hpp>
#include <map>
#include <memory>
#include <string>
#include <system_error>

#include "tsproxy/engine/engine_config.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;

namespace tsproxy {

// Keeps OpenSSL from reading a system configuration file (OPENSSLDIR/openssl.cnf, or OPENSSL_CONF). A
// static build carries the OPENSSLDIR of the machine that built it, which means nothing on Lambda, and a
// configuration there could load providers built for another C library. tsproxy sets everything it relies
// on in code, so every machine gets OpenSSL's built-in defaults. Idempotent; call it before any other
// OpenSSL use (a tls_client_context does, before its first TLS context; the extension's main() does, as it
// also signs AWS requests).
void use_builtin_openssl_defaults() noexcept;

class tls_client_context {
 public:
  explicit tls_client_context(tls_settings settings);
  ~tls_client_context();
  tls_client_context(const tls_client_context&) = delete;
  tls_client_context& operator=(const tls_client_context&) = delete;

  // The SSL context, created (and CA certificates loaded) on the first call.
  asio::ssl::context& context();

  // Configures a new connection: SNI, peer and host-name verification, a cached session to resume.
  // `session_key` must stay alive as long as `ssl` (new sessions are stored under it).
  std::error_code prepare(SSL* ssl, const std::string& host, const std::string& server_name,
                          const std::string* session_key);

  // The CA bundle in use (after context()), for logs; empty when none was found.
  const std::string& ca_source() const noexcept { return ca_source_; }
  std::size_t cached_sessions() const noexcept { return sessions_.size(); }

  // Where the CA bundle is looked for: the settings' file or folder (the caller applies SSL_CERT_FILE
  // and SSL_CERT_DIR), Amazon Linux 2023's bundle, then Debian's.
  static std::string find_ca_source(const tls_settings& settings);

 private:
  static int on_new_session(SSL* ssl, SSL_SESSION* session);

  tls_settings settings_;
  std::unique_ptr<asio::ssl::context> context_;
  std::string ca_source_;
  std::map<std::string, SSL_SESSION*, std::less<>> sessions_;
};

}  // namespace tsproxy
