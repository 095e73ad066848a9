// tsproxy-local's verifier against requests signed by the signer, then changed one way at a time.

#include "sigv4_verifier.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace tsproxy::local {
namespace {

using namespace std::chrono_literals;
using aws::credentials;
using aws::format_amz_date;
using aws::sha256_hex;
using aws::sign_request;
using aws::signature_headers;

const auto signed_at = std::chrono::system_clock::from_time_t(1700000000);  // 2023-11-14T22:13:20Z

struct received {
  std::string method = "POST";
  std::string path = "/some/path";
  std::string query = "b=2&a=1";
  std::vector<header_field> headers;
  std::string body = std::string("\x00\x01\xff binary", 10);

  sigv4_received view() const { return {method, path, query, headers, body}; }
};

sigv4_acceptance acceptance(std::string token = "") {
  return {{"AKIDLOCAL", "local-secret", std::move(token)}, "us-east-1", "lambda", 900s};
}

// A request signed with `creds`, carrying its signature headers.
received signed_request(const credentials& creds, std::chrono::system_clock::time_point when = signed_at,
                        std::string region = "us-east-1", std::string service = "lambda") {
  received r;
  r.headers = {{"Host", "abc.lambda-url.us-east-1.on.aws"},
               {"Content-Type", "application/octet-stream"},
               {"X-Custom", "  one   two "}};
  std::vector<header_view> to_sign;
  for (const auto& h : r.headers) to_sign.push_back({h.name, h.value});
  const auto signature = sign_request({r.method, r.path, r.query, to_sign, r.body}, creds, region, service,
                                      format_amz_date(when));
  for (auto& h : signature_headers(signature, creds)) r.headers.push_back(std::move(h));
  return r;
}

void set_header(received& r, std::string_view name, std::string value) {
  for (auto& h : r.headers) {
    if (iequals(h.name, name)) h.value = std::move(value);
  }
}

void drop_header(received& r, std::string_view name) {
  std::erase_if(r.headers, [&](const header_field& h) { return iequals(h.name, name); });
}

TEST(Sigv4Verify, AcceptsAGoodSignature) {
  const auto r = signed_request({"AKIDLOCAL", "local-secret", ""});
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::none);
  // Unsigned headers may change or be added on the way.
  auto extra = r;
  extra.headers.push_back({"X-Forwarded-For", "10.0.0.1"});
  EXPECT_EQ(verify_request(extra.view(), acceptance(), signed_at), sigv4_rejection::none);
}

TEST(Sigv4Verify, RefusesAWrongSecret) {
  const auto r = signed_request({"AKIDLOCAL", "other-secret", ""});
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::signature_mismatch);
}

TEST(Sigv4Verify, RefusesAnotherAccessKey) {
  const auto r = signed_request({"AKIDOTHER", "local-secret", ""});
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::unknown_access_key);
}

TEST(Sigv4Verify, DateMustBeWithinFifteenMinutesEitherWay) {
  const auto r = signed_request({"AKIDLOCAL", "local-secret", ""});
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at + 15min), sigv4_rejection::none);
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at - 15min), sigv4_rejection::none);
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at + 15min + 1s),
            sigv4_rejection::date_out_of_window);
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at - 15min - 1s),
            sigv4_rejection::date_out_of_window);
}

TEST(Sigv4Verify, RefusesATamperedSignedHeaderButNotAnUnsignedOne) {
  auto r = signed_request({"AKIDLOCAL", "local-secret", ""});
  set_header(r, "X-Custom", "one two three");
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::signature_mismatch);
  // Whitespace is not part of what is signed.
  r = signed_request({"AKIDLOCAL", "local-secret", ""});
  set_header(r, "X-Custom", "one two");
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::none);
  // A second instance of a signed header joins the signed value.
  r.headers.push_back({"x-custom", "again"});
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::signature_mismatch);
}

TEST(Sigv4Verify, RefusesATamperedBodyPathQueryOrMethod) {
  const auto good = signed_request({"AKIDLOCAL", "local-secret", ""});
  auto r = good;
  r.body.back() ^= 1;
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::signature_mismatch);
  r = good;
  r.path = "/some/other";
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::signature_mismatch);
  r = good;
  r.query = "a=1&b=3";
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::signature_mismatch);
  r = good;
  r.query = "a=1&b=2";  // the same parameters in another order sign the same
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::none);
  r = good;
  r.method = "PUT";
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::signature_mismatch);
}

TEST(Sigv4Verify, ADeclaredPayloadHashMustBeTheBodys) {
  auto r = signed_request({"AKIDLOCAL", "local-secret", ""});
  r.headers.push_back({"X-Amz-Content-SHA256", sha256_hex(r.body)});
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::none);
  set_header(r, "X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD");
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::payload_hash_mismatch);
}

TEST(Sigv4Verify, RefusesMissingOrMalformedAuthorization) {
  auto r = signed_request({"AKIDLOCAL", "local-secret", ""});
  drop_header(r, "Authorization");
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::missing_authorization);
  const auto good = signed_request({"AKIDLOCAL", "local-secret", ""});
  const auto auth = std::string(find_header(good.headers, "Authorization"));
  for (const std::string& bad :
       {std::string("Bearer abc"), std::string("AWS4-HMAC-SHA256"), "AWS4-HMAC-SHA1" + auth.substr(16),
        auth.substr(0, auth.find(", Signature")), auth + ", Signature=00",
        std::string("AWS4-HMAC-SHA256 Credential=AKIDLOCAL/x/y, SignedHeaders=host, Signature=00"),
        std::string("AWS4-HMAC-SHA256 Credential=AKIDLOCAL/20231114/us-east-1/lambda/aws4_request, "
                    "SignedHeaders=host;;x-amz-date, Signature=00")}) {
    r = good;
    set_header(r, "Authorization", bad);
    const auto verdict = verify_request(r.view(), acceptance(), signed_at);
    EXPECT_TRUE(verdict == sigv4_rejection::malformed_authorization ||
                verdict == sigv4_rejection::wrong_scope)
        << bad << " -> " << rejection_name(verdict);
  }
  r = good;
  r.headers.push_back({"Authorization", auth});
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::missing_authorization);
}

TEST(Sigv4Verify, RefusesAnotherRegionOrServiceOrScopeDate) {
  auto r = signed_request({"AKIDLOCAL", "local-secret", ""}, signed_at, "eu-west-1");
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::wrong_scope);
  r = signed_request({"AKIDLOCAL", "local-secret", ""}, signed_at, "us-east-1", "execute-api");
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::wrong_scope);
  r = signed_request({"AKIDLOCAL", "local-secret", ""});
  set_header(r, "X-Amz-Date", "20231115T000000Z");  // the scope still says 20231114
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::wrong_scope);
}

TEST(Sigv4Verify, RefusesMissingOrBadDate) {
  auto r = signed_request({"AKIDLOCAL", "local-secret", ""});
  drop_header(r, "X-Amz-Date");
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::missing_date);
  r = signed_request({"AKIDLOCAL", "local-secret", ""});
  set_header(r, "X-Amz-Date", "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::bad_date);
}

TEST(Sigv4Verify, HostAndDateMustBeSignedAndSignedHeadersPresent) {
  auto r = signed_request({"AKIDLOCAL", "local-secret", ""});
  auto auth = std::string(find_header(r.headers, "Authorization"));
  auto unsigned_host = auth;
  unsigned_host.replace(unsigned_host.find("host;"), 5, "");
  set_header(r, "Authorization", unsigned_host);
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::required_header_unsigned);
  r = signed_request({"AKIDLOCAL", "local-secret", ""});
  drop_header(r, "X-Custom");
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::signed_header_missing);
}

TEST(Sigv4Verify, SessionTokenMustMatchWhenOneIsExpectedAndBeAbsentOtherwise) {
  auto r = signed_request({"AKIDLOCAL", "local-secret", "the-token"});
  EXPECT_EQ(verify_request(r.view(), acceptance("the-token"), signed_at), sigv4_rejection::none);
  EXPECT_EQ(verify_request(r.view(), acceptance("another-token"), signed_at),
            sigv4_rejection::session_token_mismatch);
  EXPECT_EQ(verify_request(r.view(), acceptance(), signed_at), sigv4_rejection::session_token_mismatch);
  r = signed_request({"AKIDLOCAL", "local-secret", ""});
  EXPECT_EQ(verify_request(r.view(), acceptance("the-token"), signed_at),
            sigv4_rejection::session_token_mismatch);
}

TEST(Sigv4Verify, EveryRejectionHasAName) {
  for (int v = 0; v <= static_cast<int>(sigv4_rejection::signature_mismatch); ++v) {
    EXPECT_NE(rejection_name(static_cast<sigv4_rejection>(v)), "Unknown") << v;
  }
}

}  // namespace
}  // namespace tsproxy::local
