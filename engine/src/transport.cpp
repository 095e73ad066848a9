#include "tsproxy/engine/transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <asio/experimental/as_tuple.hpp>
#include <asio/read.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <ctime>

#include "tsproxy/engine/tls_client_context.hpp"
#include "tsproxy/engine/upstream_target.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy {

transport::transport(asio::ip::tcp::socket socket, acks ack_policy)
    : plain_(std::move(socket)),
      ack_policy_(ack_policy),
      deadline_(plain_.get_executor(), [this] { close(); }) {
  asio::error_code ignored;
  plain_.set_option(asio::ip::tcp::no_delay(true), ignored);
  plain_.non_blocking(true, ignored);  // write() and an answer's first read try without waiting first
}

transport::~transport() {
  close();
}

asio::ip::tcp::socket& transport::socket() noexcept {
  return tls_ ? tls_->next_layer() : plain_;
}

asio::awaitable<std::error_code> transport::start_tls(tls_client_context& tls,
                                                      const upstream_target& target) {
  auto& context = tls.context();
  asio::error_code ignored;
  plain_.non_blocking(false, ignored);  // OpenSSL's writes are all asynchronous
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket>>(std::move(plain_), context);
  session_key_ = target.describe() + '|' + target.server_name;
  if (auto ec = tls.prepare(tls_->native_handle(), target.host, target.server_name, &session_key_))
    co_return ec;
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, use_tuple);
  co_return ec;
}

bool transport::tls_session_reused() const noexcept {
  return tls_ && SSL_session_reused(const_cast<SSL*>(tls_->native_handle())) == 1;
}

namespace {

std::string iso8601(const ASN1_TIME* time) {
  struct tm parts {};
  if (time == nullptr || ASN1_TIME_to_tm(time, &parts) != 1) return {};
  char text[32];
  const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return std::string(text, n);
}

std::vector<std::string> alt_names(X509* cert) {
  std::vector<std::string> names;
  auto* general = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (general == nullptr) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(general); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(general, i);
    if (name->type == GEN_DNS) {
      const auto* text = name->d.dNSName;
      names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                         static_cast<std::size_t>(ASN1_STRING_length(text)));
    } else if (name->type == GEN_IPADD) {
      const auto* raw = name->d.iPAddress;
      const auto length = ASN1_STRING_length(raw);
      const auto* bytes = ASN1_STRING_get0_data(raw);
      if (length == 4) {
        asio::ip::address_v4::bytes_type v4;
        std::copy_n(bytes, 4, v4.begin());
        names.push_back(asio::ip::address_v4(v4).to_string());
      } else if (length == 16) {
        asio::ip::address_v6::bytes_type v6;
        std::copy_n(bytes, 16, v6.begin());
        names.push_back(asio::ip::address_v6(v6).to_string());
      }
    }
  }
  GENERAL_NAMES_free(general);
  return names;
}

}  // namespace

std::optional<peer_certificate> transport::tls_peer_certificate() const {
  if (!tls_) return std::nullopt;
  X509* cert = SSL_get1_peer_certificate(const_cast<SSL*>(tls_->native_handle()));
  if (cert == nullptr) return std::nullopt;
  peer_certificate out{alt_names(cert), iso8601(X509_get0_notAfter(cert))};
  X509_free(cert);
  return out;
}

// Setting TCP_QUICKACK also sends the ACK still owed for what was read, which Linux would otherwise delay:
// a relay holding the next piece of an answer behind Nagle waits for exactly that ACK. So it is needed
// before each read that continues an answer, not before the first read after a write: nothing read is
// owed an ACK then, and an answer that arrives whole (the common small one) costs no system call.
void transport::ack_promptly() noexcept {
  const int on = 1;
  ::setsockopt(socket().native_handle(), IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
}

asio::awaitable<std::error_code> transport::read_some(asio::mutable_buffer buffer, std::size_t& n) {
  const bool continues_answer = reads_since_write_++ > 0;
  if (continues_answer && ack_policy_ == acks::prompt) ack_promptly();
  if (tls_) {
    auto [ec, count] = co_await tls_->async_read_some(buffer, use_tuple);
    n = count;
    if (ec == asio::ssl::error::stream_truncated) ec = asio::error::eof;
    co_return ec;
  }
  if (!continues_answer) {
    // The first read after a write takes an answer that is already here without a turn of the event
    // loop, as write() does. Later reads of an answer go through the loop, so a long transfer still
    // lets the thread's other invocations and its deadline run.
    std::error_code ec;
    n = plain_.read_some(buffer, ec);
    if (ec != asio::error::would_block) co_return ec;
  }
  auto [ec, count] = co_await plain_.async_read_some(buffer, use_tuple);
  n = count;
  co_return ec;
}

asio::awaitable<std::error_code> transport::write(std::span<const asio::const_buffer> buffers) {
  reads_since_write_ = 0;
  if (tls_) {
    auto [ec, n] = co_await asio::async_write(*tls_, buffers, use_tuple);
    co_return ec;
  }
  // A request or an answer to the Runtime API nearly always fits in the send buffer: written at once here,
  // it needs no completion passed through the event loop, which costs a turn of epoll_wait per write.
  std::error_code ec;
  std::size_t written = asio::write(plain_, buffers, ec);
  if (ec != asio::error::would_block) co_return ec;
  std::vector<asio::const_buffer> rest;
  for (const auto& b : buffers) {
    if (written >= b.size()) {
      written -= b.size();
      continue;
    }
    rest.push_back(b + written);
    written = 0;
  }
  auto [wait_ec, n] = co_await asio::async_write(plain_, rest, use_tuple);
  co_return wait_ec;
}

asio::awaitable<std::error_code> transport::bounded(phase_bound bound, asio::awaitable<std::error_code> op) {
  if (!deadline_.begin(bound.until)) co_return make_error_code(bound.on_timeout);
  auto ec = co_await std::move(op);
  if (deadline_.end()) ec = make_error_code(bound.on_timeout);
  co_return ec;
}

namespace {

// -1: nothing pending (alive), 0: the peer closed, 1: bytes are waiting.
int peek_socket(asio::ip::tcp::socket& s) noexcept {
  char probe = 0;
  const auto r = ::recv(s.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  if (r > 0) return 1;
  if (r == 0) return 0;
  return (errno == EAGAIN || errno == EWOULDBLOCK) ? -1 : 0;
}

}  // namespace

bool transport::idle_and_open() noexcept {
  auto& s = socket();
  if (!s.is_open()) return false;
  int state = peek_socket(s);
  if (tls_) {
    if (SSL_pending(tls_->native_handle()) > 0) return false;  // decrypted bytes nobody asked for
    if (state == 1) {
      // TLS 1.3 servers send session tickets after the handshake; nobody read them on a connection that
      // was prewarmed. Let OpenSSL consume what is waiting without blocking: tickets leave nothing to read,
      // a close_notify ends the stream, application data means the connection is out of step.
      asio::error_code ec;
      asio::error_code ignored;
      s.non_blocking(true, ec);
      char byte = 0;
      const auto n = ec ? 0 : tls_->read_some(asio::buffer(&byte, 1), ec);
      s.non_blocking(false, ignored);
      if (n > 0 || ec != asio::error::would_block) return false;
      state = peek_socket(s);
    }
  }
  return state == -1;
}

void transport::close() noexcept {
  asio::error_code ignored;
  // Without a recorded shutdown OpenSSL marks the session unresumable, and the cache holds that very session.
  if (tls_) SSL_set_shutdown(tls_->native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  auto& s = socket();
  if (s.is_open()) {
    s.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    s.close(ignored);
  }
}

}  // namespace tsproxy
