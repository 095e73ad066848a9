// http_parser, response kind: every vector is fed whole, split at every byte and byte by byte.
#include <gtest/gtest.h>

#include <string>

#include "parser_driver.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_parser.hpp"

namespace tsproxy::testing {
namespace {

using framing = http_parser::framing;

constexpr std::string_view next_response = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";

// Parses `bytes` at every split and expects it to fail with `expected` before any EOF.
void expect_rejected(std::string_view bytes, engine_error expected, const driver_options& options = {}) {
  SCOPED_TRACE(printable(bytes, 120));
  const stream_outcome r = parse_response(bytes, options);
  EXPECT_EQ(r.error, code(expected)) << describe(r);
  EXPECT_FALSE(r.error_at_eof) << "the error must be found in the bytes, not only at EOF";
  EXPECT_FALSE(r.first().done);
}

std::string response_with_header(std::string_view field_line) {
  return "HTTP/1.1 200 OK\r\n" + std::string(field_line) + "\r\n\r\nhello";
}

TEST(HttpResponseParser, ContentLengthBody) {
  const auto r =
      parse_response("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_FALSE(r.error) << describe(r);
  ASSERT_EQ(r.messages.size(), 1u);
  const auto& m = r.first();
  EXPECT_EQ(m.head_events, 1);
  EXPECT_EQ(m.version_minor, 1);
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.reason, "OK");
  EXPECT_EQ(m.headers, (field_list{{"Content-Type", "text/plain"}, {"Content-Length", "5"}}));
  EXPECT_EQ(m.framing, framing::content_length);
  EXPECT_EQ(m.content_length, 5u);
  EXPECT_TRUE(m.keep_alive);
  EXPECT_EQ(m.body, "hello");
  EXPECT_TRUE(m.done);
  EXPECT_TRUE(m.trailers.empty());
  EXPECT_EQ(r.leftover, "");
}

// What a sink learns from the head alone: the body's length when the framing tells it before the body.
TEST(HttpResponseParser, TheHeadTellsTheBodyLengthOnlyWhenTheFramingKnowsIt) {
  const auto length_after_head = [](std::string_view head, bool no_body) {
    http_parser parser(http_parser::kind::response, {});
    parser.expect_no_body(no_body);
    std::error_code ec;
    const auto step = parser.parse(head, ec);
    EXPECT_FALSE(ec) << head;
    EXPECT_EQ(step.what, http_parser::event::head) << head;
    return parser.response().body_length;
  };
  EXPECT_EQ(length_after_head("HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n", false), 70000u);
  EXPECT_EQ(length_after_head("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false), 0u);
  EXPECT_EQ(length_after_head("HTTP/1.1 204 No Content\r\n\r\n", false), 0u);
  EXPECT_EQ(length_after_head("HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n", true), 0u);
  EXPECT_EQ(length_after_head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false), std::nullopt);
  EXPECT_EQ(length_after_head("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", false), std::nullopt);
  // Chunked wins over a Content-Length beside it, so the length is not known.
  EXPECT_EQ(
      length_after_head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", false),
      std::nullopt);
}

TEST(HttpResponseParser, HeaderValuesAreTrimmedAndNamesKeptAsSent) {
  const auto r = parse_response(
      "HTTP/1.1 200 OK\r\ncontent-LENGTH:2\r\nX-Spaces: \t padded value \t\r\nX-Empty:\r\nX-Obs-Text: "
      "caf\xc3\xa9\r\n\r\nok");
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().headers, (field_list{{"content-LENGTH", "2"},
                                           {"X-Spaces", "padded value"},
                                           {"X-Empty", ""},
                                           {"X-Obs-Text", "caf\xc3\xa9"}}));
  EXPECT_EQ(r.first().body, "ok");
}

TEST(HttpResponseParser, ZeroContentLengthIsDoneAfterTheHead) {
  const auto r = parse_response("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().framing, framing::content_length);
  EXPECT_EQ(r.first().body, "");
  EXPECT_TRUE(r.first().done);
}

TEST(HttpResponseParser, ChunkedWithExtensionsAndTrailers) {
  const auto r = parse_response(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n"
      "5;name=value\r\nhello\r\n"
      "6 ; quoted=\"a;b\" ;flag\r\n world\r\n"
      "0;last=1\r\nX-Checksum: abc123\r\nX-Other:  two \r\n\r\n");
  ASSERT_FALSE(r.error) << describe(r);
  const auto& m = r.first();
  EXPECT_EQ(m.framing, framing::chunked);
  EXPECT_TRUE(m.keep_alive);
  EXPECT_EQ(m.body, "hello world");
  EXPECT_EQ(m.trailers, (field_list{{"X-Checksum", "abc123"}, {"X-Other", "two"}}));
  EXPECT_TRUE(m.done);
  EXPECT_EQ(r.leftover, "");
}

TEST(HttpResponseParser, ChunkedWithoutTrailers) {
  const auto r = parse_response("HTTP/1.1 200 OK\r\ntransfer-encoding: CHUNKED\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().body, "abc");
  EXPECT_TRUE(r.first().trailers.empty());
  EXPECT_TRUE(r.first().done);
}

TEST(HttpResponseParser, ChunkedWithUppercaseAndLowercaseHexSizes) {
  const std::string a(0x1A, 'a');
  const std::string b(0xbC, 'b');
  const std::string c(0x10, 'c');
  const auto r = parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1A\r\n" + a +
                                "\r\nbC\r\n" + b + "\r\n010\r\n" + c + "\r\n000\r\n\r\n");
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().body, a + b + c);
  EXPECT_TRUE(r.first().done);
}

TEST(HttpResponseParser, CloseDelimitedBodyCompletesOnlyAtEof) {
  constexpr std::string_view bytes = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end";
  driver_options open;
  open.send_eof = false;
  const auto before_eof = parse_response(bytes, open);
  ASSERT_FALSE(before_eof.error) << describe(before_eof);
  EXPECT_EQ(before_eof.first().framing, framing::until_close);
  EXPECT_FALSE(before_eof.first().keep_alive);
  EXPECT_EQ(before_eof.first().body, "until the end");
  EXPECT_FALSE(before_eof.first().done);

  const auto after_eof = parse_response(bytes);
  ASSERT_FALSE(after_eof.error) << describe(after_eof);
  EXPECT_EQ(after_eof.first().body, "until the end");
  EXPECT_TRUE(after_eof.first().done);
}

TEST(HttpResponseParser, CloseDelimitedEmptyBody) {
  const auto r = parse_response("HTTP/1.0 200 OK\r\n\r\n");
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().framing, framing::until_close);
  EXPECT_EQ(r.first().body, "");
  EXPECT_TRUE(r.first().done);
}

TEST(HttpResponseParser, CloseDelimitedIsNotCompleteBeforeEof) {
  http_parser p(http_parser::kind::response, {});
  std::error_code ec;
  const std::string bytes = "HTTP/1.1 200 OK\r\n\r\nabc";
  auto s = p.parse(bytes, ec);
  ASSERT_FALSE(ec);
  ASSERT_EQ(s.what, http_parser::event::head);
  s = p.parse(std::string_view(bytes).substr(s.consumed), ec);
  ASSERT_EQ(s.what, http_parser::event::body);
  EXPECT_EQ(s.body, "abc");
  EXPECT_FALSE(p.complete());
  s = p.parse("", ec);
  EXPECT_EQ(s.what, http_parser::event::need_more);
  EXPECT_FALSE(p.finish_eof());
  EXPECT_TRUE(p.complete());
}

TEST(HttpResponseParser, HeadResponseHasNoBodyDespiteContentLength) {
  driver_options head;
  head.expect_no_body = true;
  const std::string bytes = "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n" + std::string(next_response);
  const auto r = parse_response(bytes, head);
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().framing, framing::none);
  EXPECT_EQ(r.first().body, "");
  EXPECT_TRUE(r.first().done);
  EXPECT_TRUE(r.first().keep_alive);
  EXPECT_EQ(r.leftover, next_response) << "the next response must stay unconsumed";
}

TEST(HttpResponseParser, HeadResponseHasNoBodyDespiteChunked) {
  driver_options head;
  head.expect_no_body = true;
  const std::string bytes =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(next_response);
  const auto r = parse_response(bytes, head);
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().body, "");
  EXPECT_TRUE(r.first().done);
  EXPECT_EQ(r.leftover, next_response);
}

TEST(HttpResponseParser, NoContentAndNotModifiedHaveNoBody) {
  for (const std::string head :
       {"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", "HTTP/1.1 204 No Content\r\n\r\n",
        "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\nETag: \"x\"\r\n\r\n",
        "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n"}) {
    SCOPED_TRACE(printable(head));
    const auto r = parse_response(head + std::string(next_response));
    ASSERT_FALSE(r.error) << describe(r);
    EXPECT_EQ(r.first().framing, framing::none);
    EXPECT_EQ(r.first().body, "");
    EXPECT_TRUE(r.first().done);
    EXPECT_TRUE(r.first().keep_alive);
    EXPECT_EQ(r.leftover, next_response);
  }
}

TEST(HttpResponseParser, InterimResponsesAreSkipped) {
  const auto r = parse_response(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_FALSE(r.error) << describe(r);
  ASSERT_EQ(r.messages.size(), 1u);
  const auto& m = r.first();
  EXPECT_EQ(m.head_events, 1) << "interim responses produce no head event";
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.reason, "OK");
  EXPECT_EQ(m.headers, (field_list{{"Content-Length", "2"}}))
      << "the 103's Link must not leak into the final head";
  EXPECT_EQ(m.body, "ok");
  EXPECT_TRUE(m.done);
}

// The exchange sends a body announced with Expect: 100-continue once an interim response was skipped.
TEST(HttpResponseParser, SkippedInterimResponsesAreCountedUntilReset) {
  http_parser p(http_parser::kind::response, {});
  std::error_code ec;
  const std::string_view interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\n";
  const auto s = p.parse(interim, ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(s.what, http_parser::event::need_more);
  EXPECT_EQ(s.consumed, interim.size());
  EXPECT_EQ(p.interim_responses(), 2u);
  const auto head = p.parse("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\n\r\n", ec);
  ASSERT_FALSE(ec);
  EXPECT_EQ(head.what, http_parser::event::head);
  EXPECT_EQ(p.interim_responses(), 2u) << "a final head is not interim";
  p.reset();
  EXPECT_EQ(p.interim_responses(), 0u);
}

TEST(HttpResponseParser, EofAfterOnlyAnInterimResponseIsTruncated) {
  const auto r = parse_response("HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(r.error, code(engine_error::http_truncated)) << describe(r);
  EXPECT_TRUE(r.error_at_eof);
}

TEST(HttpResponseParser, SwitchingProtocolsIsRefused) {
  expect_rejected("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                  engine_error::http_bad_status_line);
}

struct keep_alive_case {
  std::string_view head;
  bool keep_alive;
};

TEST(HttpResponseParser, KeepAliveFollowsVersionAndConnectionHeader) {
  const keep_alive_case cases[] = {
      {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n", false},
      {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n", true},
      {"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n", true},
      {"HTTP/1.0 200 OK\r\nConnection: te, keep-alive\r\nContent-Length: 2\r\n", true},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", true},
      {"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n", true},
      {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n", false},
      {"HTTP/1.1 200 OK\r\nConnection: CLOSE\r\nContent-Length: 2\r\n", false},
      {"HTTP/1.1 200 OK\r\nConnection: upgrade , close\r\nContent-Length: 2\r\n", false},
      {"HTTP/1.1 200 OK\r\nConnection: te\r\nConnection: close\r\nContent-Length: 2\r\n", false},
      {"HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 2\r\n", true},  // not the close token
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(printable(c.head));
    const auto r = parse_response(std::string(c.head) + "\r\nok");
    ASSERT_FALSE(r.error) << describe(r);
    EXPECT_EQ(r.first().keep_alive, c.keep_alive);
    EXPECT_EQ(r.first().body, "ok");
    EXPECT_TRUE(r.first().done);
  }
}

// RFC 9112 §9.3: "close" always ends the connection; keep-alive only matters when close is absent.
// Engine bug: in HTTP/1.0 a keep-alive token seen after close turns keep_alive back on.
TEST(HttpResponseParser, CloseWinsOverKeepAliveInHttp10) {
  for (const std::string_view head :
       {"HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 2\r\n",
        "HTTP/1.0 200 OK\r\nConnection: close, keep-alive\r\nContent-Length: 2\r\n",
        "HTTP/1.0 200 OK\r\nConnection: close\r\nConnection: keep-alive\r\n"
        "Content-Length: 2\r\n"}) {
    SCOPED_TRACE(printable(head));
    const auto r = parse_response(std::string(head) + "\r\nok");
    ASSERT_FALSE(r.error) << describe(r);
    EXPECT_FALSE(r.first().keep_alive) << "a pooled connection the server will close";
  }
}

TEST(HttpResponseParser, CloseDelimitedHttp10WithKeepAliveStillCloses) {
  const auto r = parse_response("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nbody");
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().framing, framing::until_close);
  EXPECT_FALSE(r.first().keep_alive);
  EXPECT_EQ(r.first().body, "body");
}

TEST(HttpResponseParser, DuplicateIdenticalContentLengthAccepted) {
  for (const std::string_view fields :
       {"Content-Length: 5, 5", "Content-Length: 5,5", "Content-Length: 5\r\nContent-Length: 5",
        "Content-Length: 5\r\ncontent-length: 5, 5"}) {
    SCOPED_TRACE(printable(fields));
    const auto r = parse_response(response_with_header(fields));
    ASSERT_FALSE(r.error) << describe(r);
    EXPECT_EQ(r.first().content_length, 5u);
    EXPECT_EQ(r.first().body, "hello");
    EXPECT_TRUE(r.first().done);
  }
}

TEST(HttpResponseParser, InvalidContentLengthRejected) {
  for (const std::string_view fields : {
           "Content-Length: 5, 6",
           "Content-Length: 5\r\nContent-Length: 6",
           "Content-Length: 6\r\nContent-Length: 5",
           "Content-Length: abc",
           "Content-Length: -5",
           "Content-Length: +5",
           "Content-Length: 0x5",
           "Content-Length: 5 5",
           "Content-Length: 5.0",
           "Content-Length: 18446744073709551616",  // 2^64
           "Content-Length: 99999999999999999999999",
           "Content-Length: 4611686018427387905",  // above the 2^62 cap
           "Content-Length:",
           "Content-Length:    ",
       }) {
    expect_rejected(response_with_header(fields), engine_error::http_bad_content_length);
  }
}

// RFC 9110 §8.6: Content-Length = 1*DIGIT; RFC 9112 §6.3: an invalid Content-Length is an
// unrecoverable framing error. Engine bug: a value with only list separators is ignored entirely,
// so the message is framed as if it had no Content-Length (a request would lose its body).
TEST(HttpResponseParser, ContentLengthOfOnlyCommasRejected) {
  for (const std::string_view fields : {"Content-Length: ,", "Content-Length: , ,"}) {
    expect_rejected(response_with_header(fields), engine_error::http_bad_content_length);
  }
}

TEST(HttpResponseParser, ContentLengthAndChunkedReadsChunksAndRetiresConnection) {
  const auto r = parse_response(
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
      std::string(next_response));
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().framing, framing::chunked);
  EXPECT_FALSE(r.first().keep_alive);
  EXPECT_EQ(r.first().body, "abc");
  EXPECT_TRUE(r.first().done);
  EXPECT_EQ(r.leftover, next_response);
}

TEST(HttpResponseParser, UnsupportedTransferEncodingRejected) {
  for (const std::string_view fields : {
           "Transfer-Encoding: gzip, chunked",
           "Transfer-Encoding: chunked, gzip",
           "Transfer-Encoding: gzip",
           "Transfer-Encoding: identity",
           "Transfer-Encoding: chunked, chunked",
           "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
           "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked",
           "Transfer-Encoding:",
           "Transfer-Encoding: chunkedx",
       }) {
    expect_rejected(response_with_header(fields), engine_error::http_bad_transfer_encoding);
  }
}

TEST(HttpResponseParser, TransferEncodingInHttp10Rejected) {
  expect_rejected("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                  engine_error::http_bad_transfer_encoding);
}

TEST(HttpResponseParser, ObsoleteLineFoldingRejected) {
  expect_rejected("HTTP/1.1 200 OK\r\nX-A: 1\r\n  continued\r\nContent-Length: 0\r\n\r\n",
                  engine_error::http_obs_fold);
  expect_rejected("HTTP/1.1 200 OK\r\nX-A: 1\r\n\tcontinued\r\nContent-Length: 0\r\n\r\n",
                  engine_error::http_obs_fold);
  // A fold in the very first field line (whitespace right after the status line).
  expect_rejected("HTTP/1.1 200 OK\r\n X-A: 1\r\nContent-Length: 0\r\n\r\n", engine_error::http_obs_fold);
}

TEST(HttpResponseParser, WhitespaceBeforeTheColonIsRemoved) {
  // RFC 9112 section 5.1: a proxy MUST remove it from a response before forwarding (a server MUST
  // reject it in a request: see the request parser's tests).
  const auto r = parse_response("HTTP/1.1 200 OK\r\nContent-Length : 5\r\nX-Tab\t \t: v\r\n\r\nhello");
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().headers, (field_list{{"Content-Length", "5"}, {"X-Tab", "v"}}));
  EXPECT_EQ(r.first().content_length, 5u) << "the cleaned name still frames the body";
  EXPECT_EQ(r.first().body, "hello");
  expect_rejected(response_with_header(" : only-whitespace"), engine_error::http_obs_fold);
  expect_rejected(response_with_header("\t: only-whitespace"), engine_error::http_obs_fold);
  expect_rejected(response_with_header("Bad Name : 1"), engine_error::http_bad_header);
}

TEST(HttpResponseParser, MalformedFieldLinesRejected) {
  const std::string_view malformed[] = {
      "NoColonHere",
      ": empty-name",
      "Bad Name: 1",
      "Bad(Name): 1",
      std::string_view("X-Nul: a\0b", 10),
      "X-Bare-Cr: a\rb",
      "X-Bare-Lf: a\nb",
      "X-Del: a\x7f"
      "b",
      "X-Ctl: a\x01"
      "b",
  };
  for (const std::string_view fields : malformed) {
    expect_rejected(response_with_header(fields), engine_error::http_bad_header);
  }
}

TEST(HttpResponseParser, HeaderCountLimit) {
  driver_options options;
  options.limits.max_header_count = 8;
  std::string fields;
  for (int i = 0; i < 7; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
  const std::string at_limit = "HTTP/1.1 200 OK\r\n" + fields + "Content-Length: 2\r\n\r\nok";
  const auto r = parse_response(at_limit, options);
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().headers.size(), 8u);
  EXPECT_EQ(r.first().body, "ok");

  expect_rejected("HTTP/1.1 200 OK\r\n" + fields + "X-Extra: 1\r\nContent-Length: 2\r\n\r\nok",
                  engine_error::http_too_many_headers, options);
}

TEST(HttpResponseParser, TrailerCountLimit) {
  driver_options options;
  options.limits.max_header_count = 8;
  std::string trailers;
  for (int i = 0; i < 9; ++i) trailers += "X-T" + std::to_string(i) + ": v\r\n";
  expect_rejected("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n" + trailers + "\r\n",
                  engine_error::http_too_many_headers, options);
}

// A head of exactly `size` bytes including its final blank line.
std::string head_of_size(std::size_t size) {
  const std::string start = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Pad: ";
  const std::size_t pad = size - start.size() - 4;
  return start + std::string(pad, 'p') + "\r\n\r\n";
}

TEST(HttpResponseParser, HeadSizeLimitIsInclusive) {
  driver_options options;
  options.limits.max_head_bytes = 256;
  const std::string fits = head_of_size(256);
  ASSERT_EQ(fits.size(), 256u);
  const auto r = parse_response(fits + std::string(next_response), options);
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_TRUE(r.first().done);
  EXPECT_EQ(r.leftover, next_response);

  expect_rejected(head_of_size(257), engine_error::http_header_too_large, options);
}

TEST(HttpResponseParser, HeadSizeLimitWhenTheTerminatorNeverArrives) {
  driver_options options;
  options.limits.max_head_bytes = 256;
  options.send_eof = false;  // the peer just keeps the connection open, sending header bytes
  std::string endless = "HTTP/1.1 200 OK\r\n";
  while (endless.size() < 600) endless += "X-Filler: aaaaaaaaaaaaaaaa\r\n";
  expect_rejected(endless, engine_error::http_header_too_large, options);

  // A single never-ending line as well.
  expect_rejected("HTTP/1.1 200 OK\r\nX-Long: " + std::string(400, 'x'), engine_error::http_header_too_large,
                  options);
}

TEST(HttpResponseParser, HeadUnderLimitWithoutTerminatorNeedsMore) {
  driver_options options;
  options.limits.max_head_bytes = 256;
  options.send_eof = false;
  const auto r = parse_response("HTTP/1.1 200 OK\r\nX-Long: " + std::string(200, 'x'), options);
  EXPECT_FALSE(r.error) << describe(r);
  EXPECT_TRUE(r.messages.empty());
}

TEST(HttpResponseParser, BadStatusLinesRejected) {
  for (const std::string_view line : {
           "HTTP/2 200",
           "HTTP/2 200 OK",
           "HTTP/2.0 200 OK",
           "HTTP/1.2 200 OK",
           "HTTP/1.1 20",
           "HTTP/1.1 20 OK",
           "HTTP/1.1 2000 OK",
           "HTTP/1.1 abc",
           "HTTP/1.1 abc OK",
           "HTTP/1.1 200OK",
           "HTTP/1.1  200 OK",
           "HTTP/1.1 099 Too Low",
           "HTTP/1.1 600 Too High",
           "ICY 200 OK",
           "http/1.1 200 OK",
           "HTTP/1.1 200 O\x01K",
           "",
       }) {
    expect_rejected(std::string(line) + "\r\nContent-Length: 0\r\n\r\n", engine_error::http_bad_status_line);
  }
}

TEST(HttpResponseParser, StatusLineWithoutReasonAccepted) {
  for (const std::string_view line : {"HTTP/1.1 200", "HTTP/1.1 200 "}) {
    SCOPED_TRACE(printable(line));
    const auto r = parse_response(std::string(line) + "\r\nContent-Length: 2\r\n\r\nok");
    ASSERT_FALSE(r.error) << describe(r);
    EXPECT_EQ(r.first().status, 200);
    EXPECT_EQ(r.first().reason, "");
    EXPECT_EQ(r.first().body, "ok");
  }
}

TEST(HttpResponseParser, ReasonPhraseKeptAsSent) {
  const auto r = parse_response("HTTP/1.0 599 Custom  Reason\tHere\r\nContent-Length: 0\r\n\r\n");
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().version_minor, 0);
  EXPECT_EQ(r.first().status, 599);
  EXPECT_EQ(r.first().reason, "Custom  Reason\tHere");
}

TEST(HttpResponseParser, BadChunkFramingRejected) {
  constexpr std::string_view head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::string_view chunks : {
           "xyz\r\nabc\r\n0\r\n\r\n",               // not hex
           "\r\nabc\r\n0\r\n\r\n",                  // empty size
           "-3\r\nabc\r\n0\r\n\r\n",                // sign
           "0x3\r\nabc\r\n0\r\n\r\n",               // C prefix
           "3 junk\r\nabc\r\n0\r\n\r\n",            // extension without ';'
           "3;ext\x01\r\nabc\r\n0\r\n\r\n",         // control byte in an extension
           ";ext\r\nabc\r\n0\r\n\r\n",              // extension without a size
           "1000000000000000\r\nabc\r\n0\r\n\r\n",  // 16 hex digits: too long
           "3\r\nabcXY0\r\n\r\n",                   // missing CRLF after the data
           "3\r\nabc\nX0\r\n\r\n",
           "3\r\nabcd\r\n0\r\n\r\n",  // more data than announced
       }) {
    expect_rejected(std::string(head) + std::string(chunks), engine_error::http_bad_chunk);
  }
}

TEST(HttpResponseParser, BadChunkKeepsEarlierChunks) {
  const auto r = parse_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n");
  EXPECT_EQ(r.error, code(engine_error::http_bad_chunk)) << describe(r);
  EXPECT_EQ(r.first().body, "hello");
}

TEST(HttpResponseParser, ChunkLineWithoutEndRejected) {
  driver_options options;
  options.limits.max_chunk_line_bytes = 16;
  options.send_eof = false;
  expect_rejected("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;" + std::string(100, 'e'),
                  engine_error::http_bad_chunk, options);
}

// Contract: max_chunk_line_bytes bounds "chunk size plus extensions", so a line of exactly that many
// bytes is accepted. Engine bug: when a read ends right after the line's CR, the parser counts the CR
// against the limit and rejects the line it accepts when the CRLF arrives in one piece.
TEST(HttpResponseParser, ChunkLineAtTheLimitAcceptedAtEverySplit) {
  driver_options options;
  options.limits.max_chunk_line_bytes = 16;
  const std::string line = "5;ext=0123456789";  // 16 bytes
  ASSERT_EQ(line.size(), 16u);
  const auto r = parse_response(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + line + "\r\nhello\r\n0\r\n\r\n", options);
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().body, "hello");
}

TEST(HttpResponseParser, ChunkLineOverTheLimitRejected) {
  driver_options options;
  options.limits.max_chunk_line_bytes = 16;
  expect_rejected(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=01234567890\r\nhello\r\n0\r\n\r\n",
      engine_error::http_bad_chunk, options);
}

// Contract: max_head_bytes "also bounds the trailer section". Engine bug: a trailer section over the
// limit is accepted when it arrives in one read (only an unterminated section is measured).
TEST(HttpResponseParser, TrailerSectionOverTheLimitRejected) {
  driver_options options;
  options.limits.max_head_bytes = 256;
  const std::string trailers = "X-Big: " + std::string(400, 't') + "\r\n";
  expect_rejected("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n" + trailers + "\r\n",
                  engine_error::http_header_too_large, options);
}

TEST(HttpResponseParser, MalformedTrailerRejected) {
  expect_rejected(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nBad Trailer: 1\r\n\r\n",
      engine_error::http_bad_header);
  expect_rejected(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-A: 1\r\n folded\r\n\r\n",
      engine_error::http_obs_fold);
}

TEST(HttpResponseParser, TruncatedMessagesFailAtEof) {
  struct truncated {
    std::string_view bytes;
    std::string_view body_so_far;
  };
  const truncated cases[] = {
      {"H", ""},
      {"HTTP/1.1 200 OK\r\nContent-Len", ""},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", ""},
      {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", "hello"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", ""},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", "hel"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello", "hello"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", "hello"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0", "hello"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n", "hello"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n", "hello"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(printable(c.bytes));
    const auto r = parse_response(c.bytes);
    EXPECT_EQ(r.error, code(engine_error::http_truncated)) << describe(r);
    EXPECT_TRUE(r.error_at_eof);
    EXPECT_EQ(r.first().body, c.body_so_far);
    EXPECT_FALSE(r.first().done);
  }
}

TEST(HttpResponseParser, EofBeforeAnyByteIsConnectionClosed) {
  http_parser p(http_parser::kind::response, {});
  EXPECT_FALSE(p.started());
  EXPECT_EQ(p.finish_eof(), code(engine_error::connection_closed));

  const auto r = drive(http_parser::kind::response, {}, {});
  EXPECT_EQ(r.error, code(engine_error::connection_closed)) << describe(r);
  EXPECT_TRUE(r.error_at_eof);
}

TEST(HttpResponseParser, StartedAfterTheFirstByte) {
  http_parser p(http_parser::kind::response, {});
  std::error_code ec;
  const auto s = p.parse("H", ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(s.what, http_parser::event::need_more);
  EXPECT_TRUE(p.started());
  EXPECT_EQ(p.finish_eof(), code(engine_error::http_truncated));
}

TEST(HttpResponseParser, PipelinedResponseStaysUnconsumed) {
  const std::string first_cl = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
  const std::string first_chunked =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n";
  for (const std::string& first : {first_cl, first_chunked}) {
    SCOPED_TRACE(printable(first));
    const auto r = parse_response(first + std::string(next_response));
    ASSERT_FALSE(r.error) << describe(r);
    ASSERT_EQ(r.messages.size(), 1u);
    EXPECT_EQ(r.first().body, "abc");
    EXPECT_TRUE(r.first().done);
    EXPECT_EQ(r.leftover, next_response);
  }
}

TEST(HttpResponseParser, ResetParsesTheNextMessageOnTheSameStream) {
  driver_options three;
  three.messages = 3;  // the driver calls reset() after each done
  const auto all = parse_response(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\nwxyz"
      "HTTP/1.1 204 No Content\r\n\r\n",
      three);
  ASSERT_FALSE(all.error) << describe(all);
  ASSERT_EQ(all.messages.size(), 3u);
  EXPECT_EQ(all.messages[0].status, 200);
  EXPECT_EQ(all.messages[0].body, "abc");
  EXPECT_EQ(all.messages[0].trailers, (field_list{{"X-T", "1"}}));
  EXPECT_EQ(all.messages[1].status, 201);
  EXPECT_EQ(all.messages[1].headers, (field_list{{"Content-Length", "4"}}));
  EXPECT_EQ(all.messages[1].body, "wxyz");
  EXPECT_TRUE(all.messages[1].trailers.empty()) << "reset() must clear the previous trailers";
  EXPECT_EQ(all.messages[2].status, 204);
  EXPECT_EQ(all.messages[2].body, "");
  for (const auto& m : all.messages) EXPECT_TRUE(m.done);
  EXPECT_EQ(all.leftover, "");
}

TEST(HttpResponseParser, ResetClearsState) {
  http_parser p(http_parser::kind::response, {});
  std::error_code ec;
  const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::string_view in = first;
  for (int i = 0; i < 3 && !p.complete(); ++i) {
    const auto s = p.parse(in, ec);
    ASSERT_FALSE(ec);
    in.remove_prefix(s.consumed);
  }
  ASSERT_TRUE(p.complete());
  p.reset();
  EXPECT_FALSE(p.complete());
  EXPECT_FALSE(p.started());
  EXPECT_EQ(p.response().status, 0);
  EXPECT_TRUE(p.response().headers.empty());
  EXPECT_EQ(p.finish_eof(), code(engine_error::connection_closed)) << "a clean close between messages";
}

}  // namespace
}  // namespace tsproxy::testing
