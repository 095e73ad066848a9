// http_parser, request kind (the local emulator reads requests with it): every vector at every split.
#include <gtest/gtest.h>

#include <string>

#include "parser_driver.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_parser.hpp"

namespace tsproxy::testing {
namespace {

using framing = http_parser::framing;

void expect_rejected(std::string_view bytes, engine_error expected, const driver_options& options = {}) {
  SCOPED_TRACE(printable(bytes, 120));
  const stream_outcome r = parse_request(bytes, options);
  EXPECT_EQ(r.error, code(expected)) << describe(r);
  EXPECT_FALSE(r.error_at_eof);
}

TEST(HttpRequestParser, RequestLine) {
  const auto r = parse_request("GET /path/to?q=1&r=%20 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n");
  ASSERT_FALSE(r.error) << describe(r);
  ASSERT_EQ(r.messages.size(), 1u);
  const auto& m = r.first();
  EXPECT_EQ(m.head_events, 1);
  EXPECT_EQ(m.method, "GET");
  EXPECT_EQ(m.target, "/path/to?q=1&r=%20");
  EXPECT_EQ(m.version_minor, 1);
  EXPECT_EQ(m.headers, (field_list{{"Host", "example.com"}, {"Accept", "*/*"}}));
  EXPECT_EQ(m.framing, framing::none);
  EXPECT_TRUE(m.keep_alive);
  EXPECT_EQ(m.body, "");
  EXPECT_TRUE(m.done);
}

TEST(HttpRequestParser, OtherTargetFormsAndMethods) {
  struct form {
    std::string_view line;
    std::string_view method;
    std::string_view target;
    int minor;
  };
  const form forms[] = {
      {"OPTIONS * HTTP/1.1", "OPTIONS", "*", 1},
      {"GET http://example.com/x HTTP/1.1", "GET", "http://example.com/x", 1},
      {"CONNECT example.com:443 HTTP/1.1", "CONNECT", "example.com:443", 1},
      {"M-SEARCH / HTTP/1.0", "M-SEARCH", "/", 0},
  };
  for (const auto& f : forms) {
    SCOPED_TRACE(printable(f.line));
    const auto r = parse_request(std::string(f.line) + "\r\n\r\n");
    ASSERT_FALSE(r.error) << describe(r);
    EXPECT_EQ(r.first().method, f.method);
    EXPECT_EQ(r.first().target, f.target);
    EXPECT_EQ(r.first().version_minor, f.minor);
    EXPECT_EQ(r.first().keep_alive, f.minor == 1);
  }
}

TEST(HttpRequestParser, LeadingEmptyLinesIgnoredWhenWhole) {
  const std::string bytes = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const auto r = drive(http_parser::kind::request, {}, {bytes});
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().method, "GET");
  EXPECT_EQ(r.first().target, "/");
  EXPECT_TRUE(r.first().done);
}

// RFC 9112 §2.2 says a server SHOULD ignore at least one empty line before the request-line. Engine
// bug: when a read ends between the CR and the LF of such a line, the parser marks the message as
// started and later reads "\r\nGET ..." as an empty request-line (http_bad_status_line).
TEST(HttpRequestParser, LeadingEmptyLinesIgnoredAtEverySplit) {
  const auto r = parse_request("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().method, "GET");
  EXPECT_TRUE(r.first().done);
}

TEST(HttpRequestParser, OnlyEmptyLinesThenEofIsConnectionClosed) {
  const auto r = drive(http_parser::kind::request, {}, {"\r\n", "\r\n"});
  EXPECT_EQ(r.error, code(engine_error::connection_closed)) << describe(r);
  EXPECT_TRUE(r.error_at_eof);
}

TEST(HttpRequestParser, ContentLengthBody) {
  const auto r = parse_request("POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world");
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().method, "POST");
  EXPECT_EQ(r.first().framing, framing::content_length);
  EXPECT_EQ(r.first().body, "hello world");
  EXPECT_TRUE(r.first().done);
}

TEST(HttpRequestParser, ChunkedBodyWithTrailers) {
  const auto r = parse_request(
      "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nwiki\r\n5;ext\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-Digest: sha\r\n\r\n");
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().framing, framing::chunked);
  EXPECT_EQ(r.first().body, "wikipedia in\r\n\r\nchunks.");
  EXPECT_EQ(r.first().trailers, (field_list{{"X-Digest", "sha"}}));
  EXPECT_TRUE(r.first().done);
  EXPECT_TRUE(r.first().keep_alive);
}

TEST(HttpRequestParser, ContentLengthWithTransferEncodingRejected) {
  expect_rejected("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                  engine_error::http_bad_transfer_encoding);
  expect_rejected("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
                  engine_error::http_bad_transfer_encoding);
}

TEST(HttpRequestParser, TransferEncodingInHttp10Rejected) {
  expect_rejected("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                  engine_error::http_bad_transfer_encoding);
}

TEST(HttpRequestParser, ConflictingContentLengthRejected) {
  expect_rejected("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                  engine_error::http_bad_content_length);
}

TEST(HttpRequestParser, NoFramingMeansNoBody) {
  driver_options two;
  two.messages = 2;
  // The bytes after the first head are the next request, not a body (a request is never close-delimited).
  const auto r = parse_request("POST /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n", two);
  ASSERT_FALSE(r.error) << describe(r);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].framing, framing::none);
  EXPECT_EQ(r.messages[0].body, "");
  EXPECT_TRUE(r.messages[0].done);
  EXPECT_EQ(r.messages[1].method, "GET");
  EXPECT_EQ(r.messages[1].target, "/b");
  EXPECT_TRUE(r.messages[1].done);

  const auto first_only = parse_request("POST /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  ASSERT_FALSE(first_only.error) << describe(first_only);
  EXPECT_EQ(first_only.leftover, "GET /b HTTP/1.1\r\n\r\n");
}

TEST(HttpRequestParser, Http10KeepAlive) {
  const auto closes = parse_request("GET / HTTP/1.0\r\n\r\n");
  ASSERT_FALSE(closes.error) << describe(closes);
  EXPECT_FALSE(closes.first().keep_alive);
  const auto keeps = parse_request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  ASSERT_FALSE(keeps.error) << describe(keeps);
  EXPECT_TRUE(keeps.first().keep_alive);
  const auto closes11 = parse_request("GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  ASSERT_FALSE(closes11.error) << describe(closes11);
  EXPECT_FALSE(closes11.first().keep_alive);
}

TEST(HttpRequestParser, BadRequestLinesRejected) {
  for (const std::string_view line : {
           "GET / HTTP/1.1 extra",
           "GET  / HTTP/1.1",
           "GET /",
           "GET",
           "GET / HTTP/2.0",
           "GET / http/1.1",
           "G(T / HTTP/1.1",
           " GET / HTTP/1.1",
           "GET /a\x01 HTTP/1.1",
           "GET /a\x7f HTTP/1.1",
       }) {
    expect_rejected(std::string(line) + "\r\nHost: a\r\n\r\n", engine_error::http_bad_status_line);
  }
}

TEST(HttpRequestParser, MalformedFieldsRejected) {
  expect_rejected("GET / HTTP/1.1\r\nHost : a\r\n\r\n", engine_error::http_bad_header);
  expect_rejected("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", engine_error::http_obs_fold);
}

TEST(HttpRequestParser, TruncatedRequestFailsAtEof) {
  const auto r = parse_request("POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_EQ(r.error, code(engine_error::http_truncated)) << describe(r);
  EXPECT_TRUE(r.error_at_eof);
  EXPECT_EQ(r.first().body, "abc");
}

}  // namespace
}  // namespace tsproxy::testing
