// The signer's building blocks, one rule at a time (the published suite covers them together).

#include "aws/sigv4_signer.hpp"

#include <gtest/gtest.h>

#include <chrono>

namespace tsproxy::aws {
namespace {

TEST(UriEncode, KeepsUnreservedAndEncodesEverythingElseUpperCase) {
  EXPECT_EQ(uri_encode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(uri_encode(" !\"#$%&'()*+,/:;<=>?@[\\]^`{|}", false),
            "%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C%7D");
  EXPECT_EQ(uri_encode("a/b", true), "a/b");
  EXPECT_EQ(uri_encode("a/b", false), "a%2Fb");
  EXPECT_EQ(uri_encode("\xe1\x88\xb4", false), "%E1%88%B4");
  EXPECT_EQ(uri_encode(std::string_view("\0\xff", 2), false), "%00%FF");
}

TEST(PercentDecode, DecodesEitherCaseAndLeavesBrokenEscapes) {
  EXPECT_EQ(percent_decode("a%2fb%2Fc"), "a/b/c");
  EXPECT_EQ(percent_decode("%E1%88%b4"), "\xe1\x88\xb4");
  EXPECT_EQ(percent_decode("100%"), "100%");
  EXPECT_EQ(percent_decode("%4"), "%4");
  EXPECT_EQ(percent_decode("%zz%41"), "%zzA");
  EXPECT_EQ(percent_decode("a+b"), "a+b");  // '+' is a plus sign, not a space
}

TEST(CanonicalUri, NormalisesThenEncodesTheWireFormOnceMore) {
  EXPECT_EQ(canonical_uri(""), "/");
  EXPECT_EQ(canonical_uri("/"), "/");
  EXPECT_EQ(canonical_uri("//a//b//"), "/a/b/");
  EXPECT_EQ(canonical_uri("/a/./b/../c"), "/a/c");
  EXPECT_EQ(canonical_uri("/../.."), "/");
  EXPECT_EQ(canonical_uri("/a%20b"), "/a%2520b");  // already encoded on the wire: encoded again
  EXPECT_EQ(canonical_uri("/a b"), "/a%20b");
  EXPECT_EQ(canonical_uri("/caf\xc3\xa9/x=y;z"), "/caf%C3%A9/x%3Dy%3Bz");
}

TEST(CanonicalQuery, DecodesEncodesAndSortsByNameThenValue) {
  EXPECT_EQ(canonical_query(""), "");
  EXPECT_EQ(canonical_query("b=2&a=1"), "a=1&b=2");
  EXPECT_EQ(canonical_query("a=2&a=1&a=10"), "a=1&a=10&a=2");
  EXPECT_EQ(canonical_query("flag"), "flag=");
  EXPECT_EQ(canonical_query("a=&b"), "a=&b=");
  EXPECT_EQ(canonical_query("x=%2f%2F"), "x=%2F%2F");  // hex case normalised
  EXPECT_EQ(canonical_query("x=%41%7e"), "x=A~");      // over-encoded unreserved bytes decoded
  EXPECT_EQ(canonical_query("x=a+b&y=a%20b"), "x=a%2Bb&y=a%20b");
  EXPECT_EQ(canonical_query("k=v=w"), "k=v%3Dw");  // only the first '=' separates
  // Sorting compares names first: "a" before "a-", although "a=" sorts after "a-=" as whole strings.
  EXPECT_EQ(canonical_query("a-=1&a=2"), "a=2&a-=1");
}

TEST(CanonicalHeaders, LowerCasesTrimsCollapsesAndJoinsRepeats) {
  EXPECT_EQ(canonical_header_value("  a   b \t c  "), "a b c");
  EXPECT_EQ(canonical_header_value(""), "");
  EXPECT_EQ(canonical_header_value(" \t "), "");
  const auto list = canonicalize_headers({{"X-B", " 2 "}, {"Host", "h"}, {"x-b", "1"}, {"A", ""}});
  EXPECT_EQ(list.block, "a:\nhost:h\nx-b:2,1\n");
  EXPECT_EQ(list.signed_names, "a;host;x-b");
}

TEST(SigningKey, MatchesAwsDocumentedDerivation) {
  // AWS's documented example of deriving a signing key (20120215, us-east-1, iam).
  const auto key = signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
  std::string hex;
  for (const unsigned char b : key) {
    static constexpr char digits[] = "0123456789abcdef";
    hex += digits[b >> 4];
    hex += digits[b & 0x0f];
  }
  EXPECT_EQ(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(Sha256, OfTheEmptyPayload) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(AmzDate, FormatsAndParsesUtc) {
  const auto t = std::chrono::system_clock::from_time_t(1440938160);  // 2015-08-30 12:36:00 UTC
  EXPECT_EQ(format_amz_date(t), "20150830T123600Z");
  ASSERT_TRUE(parse_amz_date("20150830T123600Z").has_value());
  EXPECT_EQ(*parse_amz_date("20150830T123600Z"), t);
  for (std::string_view bad :
       {"", "20150830T123600", "20150830 123600Z", "2015083OT123600Z", "20151330T123600Z", "20150230T123600Z",
        "20150830T246000Z", "20150830T123600ZZ", "Sun, 30 Aug 2015"}) {
    EXPECT_FALSE(parse_amz_date(bad).has_value()) << bad;
  }
}

TEST(SignRequest, AddsDateTokenAndAuthorizationHeaders) {
  const credentials creds{"AKID", "secret", "token"};
  const sigv4_request request{"GET", "/", "", {{"Host", "example.com"}}, ""};
  const auto signature = sign_request(request, creds, "eu-west-1", "lambda", "20240102T030405Z");
  EXPECT_EQ(signature.signed_headers, "host;x-amz-date;x-amz-security-token");
  EXPECT_EQ(signature.credential_scope, "20240102/eu-west-1/lambda/aws4_request");
  const auto headers = signature_headers(signature, creds);
  ASSERT_EQ(headers.size(), 3u);
  EXPECT_EQ(headers[0].name, "X-Amz-Date");
  EXPECT_EQ(headers[0].value, "20240102T030405Z");
  EXPECT_EQ(headers[1].name, "X-Amz-Security-Token");
  EXPECT_EQ(headers[1].value, "token");
  EXPECT_EQ(headers[2].name, "Authorization");
  EXPECT_EQ(headers[2].value,
            "AWS4-HMAC-SHA256 Credential=AKID/20240102/eu-west-1/lambda/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=" +
                signature.signature);
  EXPECT_EQ(signature.signature.size(), 64u);
  const auto without_token = signature_headers(signature, credentials{"AKID", "secret", ""});
  EXPECT_EQ(without_token.size(), 2u);
}

TEST(SignRequest, PayloadIsTheBodyHashUnlessAContentHashHeaderIsSigned) {
  const credentials creds{"AKID", "secret", ""};
  sigv4_request request{"POST", "/", "", {{"Host", "h"}}, "body"};
  EXPECT_EQ(sign_request(request, creds, "r", "s", "20240102T030405Z").payload_hash, sha256_hex("body"));
  request.headers.push_back({"X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"});
  const auto signature = sign_request(request, creds, "r", "s", "20240102T030405Z");
  EXPECT_EQ(signature.payload_hash, "UNSIGNED-PAYLOAD");
  EXPECT_TRUE(signature.canonical_request.ends_with("\nUNSIGNED-PAYLOAD"));
}

TEST(SignRequest, SignatureChangesWithEverySignedPart) {
  const credentials creds{"AKID", "secret", ""};
  const sigv4_request base{"POST", "/p", "q=1", {{"Host", "h"}, {"X-A", "1"}}, "body"};
  const auto reference = sign_request(base, creds, "r", "s", "20240102T030405Z").signature;
  auto changed = [&](sigv4_request r, credentials c = {"AKID", "secret", ""},
                     std::string_view date = "20240102T030405Z") {
    return sign_request(r, c, "r", "s", date).signature != reference;
  };
  sigv4_request r = base;
  r.method = "PUT";
  EXPECT_TRUE(changed(r));
  r = base;
  r.path = "/q";
  EXPECT_TRUE(changed(r));
  r = base;
  r.query = "q=2";
  EXPECT_TRUE(changed(r));
  r = base;
  r.headers[1].value = "2";
  EXPECT_TRUE(changed(r));
  r = base;
  r.body = "Body";
  EXPECT_TRUE(changed(r));
  EXPECT_TRUE(changed(base, {"AKID", "secreT", ""}));
  EXPECT_TRUE(changed(base, {"AKID", "secret", ""}, "20240102T030406Z"));
  EXPECT_FALSE(changed(base));
}

}  // namespace
}  // namespace tsproxy::aws
