#include "tsproxy/engine/tls_client_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy {

namespace {

bool is_file(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_dir(const std::string& path) {
  struct stat st {};
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Index of our ex_data slot on SSL objects: it points at the session key of the connection.
int session_key_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Index of our ex_data slot on the SSL_CTX: it points back at the owning tls_client_context.
int owner_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

void use_builtin_openssl_defaults() noexcept {
  // The first initialisation decides: later ones (SSL_CTX_new's) no longer load a configuration.
  OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, nullptr);
}

tls_client_context::tls_client_context(tls_settings settings) : settings_(std::move(settings)) {}

tls_client_context::~tls_client_context() {
  for (auto& [key, session] : sessions_) SSL_SESSION_free(session);
}

std::string tls_client_context::find_ca_source(const tls_settings& settings) {
  if (!settings.ca_file.empty()) return settings.ca_file;
  for (const char* path : {"/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt"}) {
    if (is_file(path)) return path;
  }
  return {};
}

asio::ssl::context& tls_client_context::context() {
  if (context_) return *context_;
  // Here rather than at start-up: OpenSSL's initialisation takes about a quarter of a millisecond, which
  // a runtime whose targets are all plain HTTP never needs to spend.
  use_builtin_openssl_defaults();
  context_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* ctx = context_->native_handle();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_ex_data(ctx, owner_index(), this);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &tls_client_context::on_new_session);
  if (settings_.verify) {
    ca_source_ = find_ca_source(settings_);
    if (is_dir(ca_source_))
      SSL_CTX_load_verify_locations(ctx, nullptr, ca_source_.c_str());
    else if (!ca_source_.empty())
      SSL_CTX_load_verify_locations(ctx, ca_source_.c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }
  return *context_;
}

std::error_code tls_client_context::prepare(SSL* ssl, const std::string& host, const std::string& server_name,
                                            const std::string* session_key) {
  // SNI names a host; RFC 6066 forbids IP literals there.
  if (!server_name.empty() && !is_ip_literal(server_name) &&
      SSL_set_tlsext_host_name(ssl, server_name.c_str()) != 1) {
    return {static_cast<int>(ERR_get_error()), asio::error::get_ssl_category()};
  }
  if (settings_.verify) {
    // Verify the certificate against the name the caller asked for, or against the IP it dialled.
    const std::string& expected = server_name.empty() ? host : server_name;
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = is_ip_literal(expected) ? X509_VERIFY_PARAM_set1_ip_asc(param, expected.c_str())
                                           : X509_VERIFY_PARAM_set1_host(param, expected.c_str(), 0);
    if (ok != 1) return {static_cast<int>(ERR_get_error()), asio::error::get_ssl_category()};
  }
  if (session_key != nullptr) {
    SSL_set_ex_data(ssl, session_key_index(), const_cast<std::string*>(session_key));
    if (auto it = sessions_.find(*session_key); it != sessions_.end()) SSL_set_session(ssl, it->second);
  }
  return {};
}

int tls_client_context::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* key = static_cast<std::string*>(SSL_get_ex_data(ssl, session_key_index()));
  auto* self = static_cast<tls_client_context*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), owner_index()));
  if (key == nullptr || self == nullptr) return 0;
  auto [it, inserted] = self->sessions_.try_emplace(*key, session);
  if (!inserted) {
    SSL_SESSION_free(it->second);
    it->second = session;
  }
  return 1;  // we keep the reference
}

}  // namespace tsproxy
