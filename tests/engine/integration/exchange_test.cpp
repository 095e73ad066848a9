// One request at a time through real SOCKS5 servers to real origins: content arrives byte-exact over
// HTTP and HTTPS, response framing (chunked, close-delimited, interim, bodiless) is honoured, broken
// framing is refused with the error that names it, and TLS verification fails closed.

#include <gtest/gtest.h>

#include <array>
#include <asio/ssl/error.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "integration_support.hpp"

namespace tsproxy::integration {
namespace {

// --- 1. Content through both SOCKS5 implementations ------------------------------------------------

class ThroughSocks : public through_either_socks {};

TEST_P(ThroughSocks, GetSmallReturnsTheExactFile) {
  upstream_client client(config());
  const auto r = run(get(client, http_target(peers_.nginx.http_port()), "/small"));
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_EQ(r.response.head.status, 200);
  EXPECT_TRUE(r.response.complete);
  EXPECT_EQ(r.response.body, test::nginx_server::file_content("small"));
  EXPECT_EQ(find_header(r.response.head.headers, "content-length"), "100");
}

TEST_P(ThroughSocks, GetBinaryIsByteExact) {
  upstream_client client(config());
  const auto r = run(get(client, http_target(peers_.nginx.http_port()), "/binary"));
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_EQ(r.response.head.status, 200);
  ASSERT_EQ(r.response.body.size(), 4096u);
  EXPECT_TRUE(r.response.body == test::nginx_server::file_content("binary")) << "binary body differs";
}

TEST_P(ThroughSocks, GetOneMegabyteIsByteExact) {
  upstream_client client(config());
  const auto r = run(get(client, http_target(peers_.nginx.http_port()), "/1m"));
  ASSERT_FALSE(r.error) << describe(r.error);
  ASSERT_EQ(r.response.body.size(), 1u << 20);
  EXPECT_TRUE(r.response.body == test::nginx_server::file_content("1m")) << "1 MiB body differs";
}

TEST_P(ThroughSocks, HttpsVerifiesTheTestCaAndServerName) {
  auto c = config();
  c.tls.ca_file = test::test_ca::instance().ca_cert().string();
  upstream_client client(c);
  const auto r = run(get(client, https_target(peers_.nginx.https_port(), "localhost"), "/small"));
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_EQ(r.response.head.status, 200);
  EXPECT_EQ(r.response.body, test::nginx_server::file_content("small"));
  EXPECT_EQ(client.tls().ca_source(), c.tls.ca_file);
  const auto big = run(get(client, https_target(peers_.nginx.https_port(), "localhost"), "/1m"));
  ASSERT_FALSE(big.error) << describe(big.error);
  EXPECT_TRUE(big.report.reused_connection);
  EXPECT_TRUE(big.response.body == test::nginx_server::file_content("1m")) << "1 MiB body over TLS differs";
}

TEST_P(ThroughSocks, PostBinaryBodyIsEchoedByteExactWithTheTargetUnchanged) {
  upstream_client client(config());
  const std::string body = byte_pattern(256);  // every byte value once, NUL and CR LF included
  const std::string target = "/echo?a=1&b=%20x%2F";
  http_request request;
  request.method = "POST";
  request.target = target;
  request.headers = {{"Content-Type", "application/octet-stream"}};
  request.body = body;
  const auto r = run(fetch(client, http_target(peers_.python.port()), request));
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_EQ(r.response.head.status, 200);
  EXPECT_TRUE(r.response.body == body) << "echoed body differs (" << r.response.body.size() << " bytes)";
  EXPECT_EQ(find_header(r.response.head.headers, "x-echo-target"), target);
  EXPECT_EQ(find_header(r.response.head.headers, "x-echo-method"), "POST");
}

TEST_P(ThroughSocks, LargePostBodyIsEchoedByteExact) {
  upstream_client client(config());
  const std::string body = byte_pattern(3 << 20);
  http_request request;
  request.method = "PUT";
  request.target = "/echo";
  request.body = body;
  const auto r = run(fetch(client, http_target(peers_.python.port()), request));
  ASSERT_FALSE(r.error) << describe(r.error);
  ASSERT_EQ(r.response.body.size(), body.size());
  EXPECT_TRUE(r.response.body == body) << "echoed 3 MiB body differs";
}

INSTANTIATE_TEST_SUITE_P(Socks, ThroughSocks, ::testing::Values(socks_kind::microsocks, socks_kind::dante),
                         socks_name);

// --- 5. Response framing against the misbehaving origin -------------------------------------------

class Framing : public ::testing::Test, protected io_fixture {
 protected:
  shared_peers& peers_ = shared_peers::get();
  upstream_client client_{config_via(peers_.microsocks.host(), peers_.microsocks.port())};
  upstream_target origin_ = http_target(peers_.python.port());

  fetch_result get(std::string path) { return run(integration::get(client_, origin_, std::move(path))); }
  fetch_result head(std::string path) {
    http_request request;
    request.method = "HEAD";
    request.target = std::move(path);
    return run(fetch(client_, origin_, request));
  }
  // After a response that left its connection reusable, the next request must reuse it and still
  // read its own response correctly (the connection is not out of step).
  void expect_connection_still_in_step() {
    const auto before = client_.stats();
    const auto r = get("/bytes?n=300");
    ASSERT_FALSE(r.error) << describe(r.error);
    EXPECT_TRUE(r.report.reused_connection);
    EXPECT_EQ(client_.stats().hits, before.hits + 1);
    EXPECT_TRUE(r.response.body == byte_pattern(300)) << "next response on the connection is corrupt";
  }
};

TEST_F(Framing, ChunkedBodyIsDecodedAndTrailersReachOnComplete) {
  const auto r = get("/chunked?n=1000&chunk=100");
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_TRUE(r.response.complete);
  EXPECT_TRUE(r.response.body == byte_pattern(1000)) << "de-chunked body differs";
  EXPECT_EQ(find_header(r.response.trailers, "x-trailer"), "yes");
  expect_connection_still_in_step();
}

TEST_F(Framing, LargeChunkedBodyIsDecoded) {
  const auto r = get("/big-chunked?n=1000000");
  ASSERT_FALSE(r.error) << describe(r.error);
  ASSERT_EQ(r.response.body.size(), 1000000u);
  EXPECT_TRUE(r.response.body == byte_pattern(1000000)) << "de-chunked body differs";
}

TEST_F(Framing, CloseDelimitedBodyIsCompleteAndTheConnectionIsNotKept) {
  const auto r = get("/close-delimited?n=5000");
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_TRUE(r.response.complete);
  EXPECT_TRUE(r.response.body == byte_pattern(5000)) << "close-delimited body differs";
  EXPECT_EQ(client_.stats().idle, 0u);
}

TEST_F(Framing, InterimResponsesAreSkipped) {
  const auto r = get("/interim");
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_EQ(r.response.head.status, 200);
  EXPECT_EQ(r.response.body, "ok");
  EXPECT_TRUE(find_header(r.response.head.headers, "link").empty())
      << "103 headers leaked into the final head";
  expect_connection_still_in_step();
}

TEST_F(Framing, HeadGetsNoBodyDespiteContentLength) {
  const auto r = head("/bytes?n=100");
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_EQ(r.response.head.status, 200);
  EXPECT_EQ(find_header(r.response.head.headers, "content-length"), "100");
  EXPECT_TRUE(r.response.body.empty());
  EXPECT_TRUE(r.response.complete);
  expect_connection_still_in_step();
}

TEST_F(Framing, HeadGetsNoBodyDespiteChunkedEncoding) {
  const auto r = head("/chunked?n=1000");
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_EQ(find_header(r.response.head.headers, "transfer-encoding"), "chunked");
  EXPECT_TRUE(r.response.body.empty());
  EXPECT_TRUE(r.response.complete);
  expect_connection_still_in_step();
}

TEST_F(Framing, SinkRefusalAbortsAndDropsTheConnection) {
  buffered_response small_sink(1000);
  http_request request;
  request.method = "GET";
  request.target = "/big?n=1000000";
  const auto ec = run([&]() -> asio::awaitable<std::error_code> {
    co_return co_await client_.exchange(origin_, request, small_sink, steady_clock::now() + 10s);
  }());
  EXPECT_EQ(ec, engine_error::sink_rejected) << describe(ec);
  EXPECT_FALSE(small_sink.complete);
  EXPECT_LE(small_sink.body.size(), 1000u);
  EXPECT_EQ(client_.stats().idle, 0u) << "a connection with an unread body must not be pooled";
  EXPECT_EQ(client_.stats().retries, 0u);
}

TEST_F(Framing, NoContentAndNotModifiedHaveNoBody) {
  for (const char* path : {"/status?code=204", "/status?code=304"}) {
    SCOPED_TRACE(path);
    const auto r = get(path);
    ASSERT_FALSE(r.error) << describe(r.error);
    EXPECT_EQ(r.response.head.status, path[13] == '2' ? 204 : 304);
    EXPECT_TRUE(r.response.body.empty());
    EXPECT_TRUE(r.response.complete);
    expect_connection_still_in_step();
  }
}

TEST_F(Framing, ConnectionCloseEndsReuseAfterTheNthResponse) {
  const auto accepted_before = peers_.python.accepted_connections();
  std::string bodies;
  for (int i = 0; i < 6; ++i) {
    const auto r = get("/close-after?n=3");
    ASSERT_FALSE(r.error) << "request " << i << ": " << describe(r.error);
    EXPECT_EQ(r.report.reused_connection, i % 3 != 0) << "request " << i;
    bodies += r.response.body;
  }
  EXPECT_EQ(bodies, "request 1\nrequest 2\nrequest 3\nrequest 1\nrequest 2\nrequest 3\n");
  EXPECT_EQ(peers_.python.accepted_connections() - accepted_before, 2u);
  EXPECT_EQ(client_.stats().retries, 0u);
}

TEST_F(Framing, ChunkedRequestBodyIsFramedAsChunks) {
  // http_request::chunked asks for Transfer-Encoding: chunked, and the client owns the framing, so
  // the body it sends must be chunk-framed and end with the last chunk (upstream_client offers no
  // way to send further chunks). A server reading unframed bytes as chunk sizes waits forever.
  http_request request;
  request.method = "POST";
  request.target = "/echo";
  request.body = "hello";
  request.chunked = true;
  const auto r = run(fetch(client_, origin_, request, 1s));
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_EQ(r.response.head.status, 200);
  EXPECT_EQ(r.response.body, "hello");
}

TEST_F(Framing, GarbageStatusLineIsRefused) {
  const auto r = get("/garbage-status");
  EXPECT_EQ(r.error, engine_error::http_bad_status_line) << describe(r.error);
  EXPECT_FALSE(r.response.complete);
  EXPECT_EQ(client_.stats().idle, 0u);
}

TEST_F(Framing, ObsoleteLineFoldingIsRefused) {
  const auto r = get("/obs-fold");
  EXPECT_EQ(r.error, engine_error::http_obs_fold) << describe(r.error);
  EXPECT_EQ(client_.stats().idle, 0u);
}

TEST_F(Framing, ConflictingContentLengthsAreRefused) {
  const auto r = get("/conflicting-length");
  EXPECT_EQ(r.error, engine_error::http_bad_content_length) << describe(r.error);
  EXPECT_EQ(client_.stats().idle, 0u);
}

TEST_F(Framing, ContentLengthWithChunkedIsReadByChunksAndTheConnectionRetired) {
  const auto r = get("/cl-and-te");
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_EQ(r.response.body, "hello");
  EXPECT_EQ(client_.stats().idle, 0u) << "a smuggling-shaped response must not leave its connection pooled";
  const auto next = get("/bytes?n=10");
  ASSERT_FALSE(next.error) << describe(next.error);
  EXPECT_FALSE(next.report.reused_connection);
}

TEST_F(Framing, ResetMidBodyIsAnErrorAndTheConnectionIsDropped) {
  const auto r = get("/reset-mid-body?n=20000");
  ASSERT_TRUE(r.error);
  EXPECT_TRUE(r.error == engine_error::http_truncated || r.error == std::errc::connection_reset)
      << describe(r.error);
  EXPECT_FALSE(r.response.complete);
  EXPECT_TRUE(r.report.response_started);
  EXPECT_EQ(client_.stats().idle, 0u);
  EXPECT_EQ(client_.stats().retries, 0u) << "a request whose response had started must not be replayed";
}

TEST_F(Framing, RepeatedHeadersArriveInOrder) {
  const auto r = get("/set-cookies");
  ASSERT_FALSE(r.error) << describe(r.error);
  std::vector<std::string> cookies;
  for (const auto& h : r.response.head.headers) {
    if (iequals(h.name, "set-cookie")) cookies.push_back(h.value);
  }
  EXPECT_EQ(cookies, (std::vector<std::string>{"a=1; Path=/", "b=2; HttpOnly",
                                               "c=3; Expires=Wed, 21 Oct 2037 07:28:00 GMT"}));
}

// --- 8. TLS verification and session resumption ----------------------------------------------------

class Tls : public ::testing::Test, protected io_fixture {
 protected:
  engine_config config(bool verify = true) const {
    auto c = config_via(peers_.microsocks.host(), peers_.microsocks.port());
    c.tls.ca_file = test::test_ca::instance().ca_cert().string();
    c.tls.verify = verify;
    return c;
  }
  shared_peers& peers_ = shared_peers::get();
  const test::test_ca& ca_ = test::test_ca::instance();
};

TEST_F(Tls, IdleCloseOfATlsConnectionIsDetectedBeforeReuse) {
  upstream_client client(config());
  const auto target = https_target(peers_.nginx.https_port(), "localhost");
  ASSERT_FALSE(run(get(client, target, "/short-keepalive")).error);  // nginx closes it after 1 s idle
  ASSERT_TRUE(test::wait_until([] { return test::count_own_sockets_in_close_wait() == 1; }))
      << "nginx's close never reached the pooled connection";
  const auto r = run(get(client, target, "/small"));
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_FALSE(r.report.reused_connection);
  EXPECT_FALSE(r.report.retried);
  EXPECT_EQ(client.stats().stale_discards, 1u);
}

TEST_F(Tls, UntrustedCertificateIsATlsError) {
  tls_origin origin(io_, ca_.untrusted_cert(), ca_.untrusted_key());
  upstream_client client(config());
  const auto r = run(get(client, https_target(origin.port(), "localhost"), "/"));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error.category(), asio::error::get_ssl_category()) << describe(r.error);
  EXPECT_EQ(error_name(r.error), "TlsError");
  EXPECT_EQ(client.stats().open_failures, 1u);
  EXPECT_EQ(origin.handshakes_completed(), 0);
}

TEST_F(Tls, WrongServerNameIsATlsError) {
  tls_origin origin(io_, ca_.wrong_name_cert(), ca_.wrong_name_key());
  upstream_client client(config());
  const auto r = run(get(client, https_target(origin.port(), "localhost"), "/"));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error.category(), asio::error::get_ssl_category()) << describe(r.error);
  EXPECT_EQ(error_name(r.error), "TlsError");
}

TEST_F(Tls, IpLiteralTargetIsVerifiedAgainstTheAddress) {
  // No server name: the certificate must carry IP:127.0.0.1 (the test CA's server certificate does).
  upstream_client client(config());
  const auto r = run(get(client, https_target(peers_.nginx.https_port(), ""), "/small"));
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_EQ(r.response.body, test::nginx_server::file_content("small"));

  tls_origin wrong(io_, ca_.wrong_name_cert(), ca_.wrong_name_key());
  const auto refused = run(get(client, https_target(wrong.port(), ""), "/"));
  EXPECT_EQ(refused.error.category(), asio::error::get_ssl_category()) << describe(refused.error);
}

TEST_F(Tls, VerifyOffAcceptsAnUntrustedCertificate) {
  tls_origin origin(io_, ca_.untrusted_cert(), ca_.untrusted_key());
  upstream_client client(config(false));
  const auto r = run(get(client, https_target(origin.port(), "localhost"), "/"));
  ASSERT_FALSE(r.error) << describe(r.error);
  EXPECT_EQ(r.response.body, "tls ok");
  EXPECT_EQ(origin.handshakes_completed(), 1);
}

TEST_F(Tls, ASecondConnectionResumesTheSession) {
  auto c = config();
  c.pool.max_requests_per_connection = 1;  // every request opens a fresh connection
  upstream_client client(c);
  const auto target = https_target(peers_.nginx.https_port(), "localhost");
  for (int i = 0; i < 3; ++i) {
    const auto r = run(get(client, target, "/small"));
    ASSERT_FALSE(r.error) << "request " << i << ": " << describe(r.error);
    EXPECT_FALSE(r.report.reused_connection);
  }
  const auto stats = client.stats();
  EXPECT_EQ(stats.opened, 3u);
  EXPECT_GE(stats.tls_resumptions, 1u) << "no TLS handshake resumed a cached session";
  EXPECT_EQ(client.tls().cached_sessions(), 1u);
}

TEST_F(Tls, ASecondConnectionOpenedWhileTheFirstIsAliveResumes) {
  // The same resumption as above, but the first connection is still open (parked in the pool) when
  // the second handshake runs. Passing here while the test above fails shows that closing a TLS
  // connection is what spoils its session.
  upstream_client client(config());
  const auto target = https_target(peers_.nginx.https_port(), "localhost");
  ASSERT_FALSE(run(get(client, target, "/small")).error);
  std::vector<asio::awaitable<void>> work;
  for (int i = 0; i < 2; ++i) {  // one takes the idle connection, the other must open a new one
    work.push_back([](upstream_client& c, upstream_target t) -> asio::awaitable<void> {
      const auto r = co_await get(c, t, "/small");
      EXPECT_FALSE(r.error) << describe(r.error);
    }(client, target));
  }
  run_all(io_, std::move(work));
  const auto stats = client.stats();
  EXPECT_EQ(stats.opened, 2u);
  EXPECT_EQ(stats.tls_resumptions, 1u);
}

TEST_F(Tls, Tls13SessionIsResumedOnAFreshConnection) {
  // tls_origin negotiates TLS 1.3 (OpenSSL 3 defaults), where tickets arrive after the handshake.
  tls_origin origin(io_, ca_.server_cert(), ca_.server_key());
  auto c = config();
  c.pool.max_requests_per_connection = 1;
  upstream_client client(c);
  const auto target = https_target(origin.port(), "localhost");
  for (int i = 0; i < 3; ++i) {
    const auto r = run(get(client, target, "/"));
    ASSERT_FALSE(r.error) << "request " << i << ": " << describe(r.error);
    EXPECT_EQ(r.response.body, "tls ok");
  }
  EXPECT_EQ(client.stats().opened, 3u);
  EXPECT_GE(client.stats().tls_resumptions, 1u) << "no TLS 1.3 handshake resumed a cached session";
}

// --- 5. A target's early answer ------------------------------------------------------------------------

// The target reads only the head of a 2 MB POST, answers 413 "too large" with Connection: close and closes
// with the body unread, so its kernel resets the connection, and the relay, finding it gone, resets ours:
// whatever of the answer our kernel holds unread then is dropped. Reading the answer while the body is
// still being written gets it every time, through every relay. Each try opens a new connection: one whose
// request was cut short is never reused.
enum class relay { microsocks, dante, tailscaled_standin };

struct early_case {
  relay via;
  std::string close;  // the target's way of closing: "reset" (SO_LINGER 0) or "unread" (a plain close())
};

void PrintTo(const early_case& c, std::ostream* out) {
  static constexpr std::array<const char*, 3> relays{"microsocks", "dante", "tailscaled_standin"};
  *out << relays[static_cast<std::size_t>(c.via)] << ", close=" << c.close;
}

class EarlyAnswer : public ::testing::TestWithParam<early_case>, protected io_fixture {
 protected:
  shared_peers& peers_ = shared_peers::get();
};

TEST_P(EarlyAnswer, TheTargetsAnswerToA2MbPostReachesTheCallerEveryTime) {
  std::optional<test::tailscaled_standin> tailscale;
  engine_config c;
  switch (GetParam().via) {
    case relay::microsocks:
      c = config_via(peers_.microsocks.host(), peers_.microsocks.port());
      break;
    case relay::dante:
      c = config_via(peers_.dante.host(), peers_.dante.port());
      break;
    case relay::tailscaled_standin:
      tailscale.emplace(test::tailscaled_options{.state = "Running", .localapi = false});
      c = config_via(test::loopback_ipv4, tailscale->port());
      break;
  }
  upstream_client client(c);
  const std::string body = byte_pattern(2 << 20);
  const std::string target = "/early-answer?code=413&close=" + GetParam().close;
  constexpr int tries = 20;
  int answered = 0;
  std::string failures;
  for (int i = 0; i < tries; ++i) {
    http_request request;
    request.method = "POST";
    request.target = target;
    request.headers = {{"Content-Type", "application/octet-stream"}};
    request.body = body;
    const auto r = run(fetch(client, http_target(peers_.python.port()), request), 30s);
    if (!r.error && r.response.head.status == 413 && r.response.body == "too large" && r.response.complete) {
      ++answered;
    } else {
      failures += "\n  try " + std::to_string(i) + ": " +
                  (r.error ? describe(r.error) : "status " + std::to_string(r.response.head.status));
    }
    EXPECT_FALSE(r.report.reused_connection) << "try " << i;
    EXPECT_EQ(client.stats().idle, 0u)
        << "try " << i << ": a connection whose request was cut short was kept";
  }
  EXPECT_EQ(answered, tries) << "the 413 reached the caller in " << answered << " of " << tries << failures;
  EXPECT_EQ(client.stats().opened, static_cast<std::uint64_t>(tries));
  const auto next = run(get(client, http_target(peers_.python.port()), "/bytes?n=10"), 30s);
  EXPECT_FALSE(next.error) << describe(next.error);
  EXPECT_FALSE(next.report.reused_connection);
}

std::string early_case_name(const ::testing::TestParamInfo<early_case>& info) {
  static constexpr std::array<const char*, 3> relays{"Microsocks", "Dante", "TailscaledStandin"};
  return std::string(relays[static_cast<std::size_t>(info.param.via)]) +
         (info.param.close == "reset" ? "Reset" : "Close");
}

INSTANTIATE_TEST_SUITE_P(Relays, EarlyAnswer,
                         ::testing::Values(early_case{relay::microsocks, "reset"},
                                           early_case{relay::microsocks, "unread"},
                                           early_case{relay::dante, "reset"},
                                           early_case{relay::dante, "unread"},
                                           early_case{relay::tailscaled_standin, "reset"},
                                           early_case{relay::tailscaled_standin, "unread"}),
                         early_case_name);

}  // namespace
}  // namespace tsproxy::integration
