#include "adapter/response_encoding.hpp"

#include <gtest/gtest.h>

#include "adapter/base64.hpp"
#include "test_support.hpp"

namespace tsproxy::lambda {
namespace {

using testing::dom_bool;
using testing::dom_has;
using testing::dom_int;
using testing::dom_string;

response_head make_head(int status, std::vector<header_field> headers) {
  response_head head;
  head.status = status;
  head.reason = "Whatever";
  head.headers = std::move(headers);
  return head;
}

TEST(ResponseEncoding, TextBodyAndHeaderRules) {
  const response_head head =
      make_head(200, {
                         {"Content-Type", "text/html; charset=utf-8"},
                         {"Set-Cookie", "a=1; Path=/; HttpOnly"},
                         {"Vary", "Accept"},
                         {"Content-Length", "11"},
                         {"Connection", "keep-alive, X-Hop"},
                         {"Keep-Alive", "timeout=5"},
                         {"Transfer-Encoding", "chunked"},
                         {"X-Hop", "dropped"},
                         {"Proxy-Authenticate", "Basic"},
                         {"Upgrade", "h2c"},
                         {"Trailer", "x-sum"},
                         {"set-cookie", "b=2, with comma; Expires=Wed, 21 Oct 2026 07:28:00 GMT"},
                         {"vary", "Accept-Encoding"},
                         {"X-Multi", "one"},
                         {"x-multi", "two"},
                         {"X-MULTI", "three"},
                     });
  std::string out;
  ASSERT_TRUE(encode_buffered_response(head, "hello \"wörld\"\n", max_buffered_payload_bytes, out));
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, out);
  EXPECT_EQ(dom_int(root, "/statusCode"), 200);
  EXPECT_EQ(dom_string(root, "/body"), "hello \"wörld\"\n");
  EXPECT_FALSE(dom_bool(root, "/isBase64Encoded"));
  EXPECT_EQ(dom_string(root, "/headers/content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(dom_string(root, "/headers/vary"), "Accept, Accept-Encoding");
  EXPECT_EQ(dom_string(root, "/headers/x-multi"), "one, two, three");
  for (const char* dropped :
       {"/headers/content-length", "/headers/connection", "/headers/keep-alive", "/headers/transfer-encoding",
        "/headers/x-hop", "/headers/proxy-authenticate", "/headers/upgrade", "/headers/trailer",
        "/headers/set-cookie", "/headers/Content-Type"}) {
    EXPECT_FALSE(dom_has(root, dropped)) << dropped;
  }
  simdjson::dom::object headers;
  ASSERT_EQ(root["headers"].get(headers), simdjson::SUCCESS);
  EXPECT_EQ(headers.size(), 3u);
  simdjson::dom::array cookies;
  ASSERT_EQ(root["cookies"].get(cookies), simdjson::SUCCESS);
  ASSERT_EQ(cookies.size(), 2u);
  EXPECT_EQ(dom_string(root, "/cookies/0"), "a=1; Path=/; HttpOnly");
  EXPECT_EQ(dom_string(root, "/cookies/1"), "b=2, with comma; Expires=Wed, 21 Oct 2026 07:28:00 GMT");
}

TEST(ResponseEncoding, BinaryBodyIsBase64) {
  const std::string body = testing::all_byte_values();
  std::string out;
  ASSERT_TRUE(encode_buffered_response(make_head(201, {{"Content-Type", "application/octet-stream"}}), body,
                                       max_buffered_payload_bytes, out));
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, out);
  EXPECT_EQ(dom_int(root, "/statusCode"), 201);
  EXPECT_TRUE(dom_bool(root, "/isBase64Encoded"));
  std::string decoded;
  ASSERT_TRUE(base64_decode(dom_string(root, "/body"), decoded));
  EXPECT_EQ(decoded, body);
}

// The pipelined form is the buffered form with the members in another order: the same document.
TEST(ResponseEncoding, APipelinedPayloadIsTheSameDocumentBodyFirst) {
  const std::string body = testing::all_byte_values();
  const auto head = make_head(200, {{"Content-Type", "application/octet-stream"},
                                    {"Content-Length", std::to_string(body.size())},
                                    {"Set-Cookie", "a=1"}});
  std::string payload(pipelined_opening);
  base64_encode_append(payload, body);
  std::string closing;
  encode_pipelined_closing(head, closing);
  payload.append(closing);
  ASSERT_EQ(payload.rfind("{\"body\":\"", 0), 0u) << "the body comes first";
  std::string buffered;
  ASSERT_TRUE(encode_buffered_response(head, body, max_buffered_payload_bytes, buffered));
  simdjson::dom::parser parser;
  simdjson::dom::parser buffered_parser;
  const auto root = testing::parse_dom(parser, payload);
  simdjson::dom::object pipelined_members;
  simdjson::dom::object buffered_members;
  ASSERT_EQ(root.get(pipelined_members), simdjson::SUCCESS);
  ASSERT_EQ(testing::parse_dom(buffered_parser, buffered).get(buffered_members), simdjson::SUCCESS);
  EXPECT_EQ(pipelined_members.size(), buffered_members.size());
  for (const auto member : buffered_members) {
    simdjson::dom::element same;
    ASSERT_EQ(pipelined_members[member.key].get(same), simdjson::SUCCESS) << member.key;
    EXPECT_EQ(simdjson::to_string(same), simdjson::to_string(member.value)) << member.key;
  }
  EXPECT_EQ(dom_int(root, "/statusCode"), 200);
  EXPECT_EQ(dom_string(root, "/cookies/0"), "a=1");
  EXPECT_FALSE(dom_has(root, "/headers/content-length"));
}

TEST(ResponseEncoding, APipelinedPayloadEndsWithTheProxysErrorWithinItsBound) {
  std::string payload(pipelined_opening);
  base64_encode_append(payload, "the part that arrived");
  std::string closing;
  // The worst case: a name and a message that are all quotes, each escaped to two bytes, and no header of
  // the target's.
  encode_pipelined_error_closing(make_head(200, {}), 502, std::string(300, '"'), std::string(2000, '"'),
                                 closing);
  EXPECT_LE(closing.size(), pipelined_error_closing_max);
  const auto head =
      make_head(200, {{"Content-Type", "image/png"}, {"Content-Encoding", "gzip"}, {"ETag", "x"}});
  encode_pipelined_error_closing(head, 502, "HttpTruncated", "the target closed mid-body", closing);
  payload.append(closing);
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, payload);
  EXPECT_EQ(dom_int(root, "/statusCode"), 502);
  EXPECT_EQ(dom_string(root, "/headers/ts-error-name"), "HttpTruncated");
  EXPECT_EQ(dom_string(root, "/headers/ts-error-message"), "the target closed mid-body");
  // The part that arrived is still the target's: its type and coding describe it; nothing else of its head.
  EXPECT_EQ(dom_string(root, "/headers/content-type"), "image/png");
  EXPECT_EQ(dom_string(root, "/headers/content-encoding"), "gzip");
  EXPECT_FALSE(dom_has(root, "/headers/etag"));
  encode_pipelined_error_closing(make_head(200, {}), 504, "RequestDeadline", "late", closing);
  EXPECT_NE(closing.find(R"("content-type":"application/octet-stream")"), std::string::npos) << closing;
  std::string decoded;
  ASSERT_TRUE(base64_decode(dom_string(root, "/body"), decoded));
  EXPECT_EQ(decoded, "the part that arrived");
}

TEST(ResponseEncoding, InvalidUtf8IsBase64) {
  for (std::string_view body : {"caf\xe9", "\xc3", "\xed\xa0\x80" /* surrogate */, "ok\xff"}) {
    std::string out;
    ASSERT_TRUE(encode_buffered_response(make_head(200, {}), body, max_buffered_payload_bytes, out));
    simdjson::dom::parser parser;
    const auto root = testing::parse_dom(parser, out);
    EXPECT_TRUE(dom_bool(root, "/isBase64Encoded")) << body;
    std::string decoded;
    ASSERT_TRUE(base64_decode(dom_string(root, "/body"), decoded));
    EXPECT_EQ(decoded, body);
  }
}

TEST(ResponseEncoding, ValidUtf8WithManyControlsPrefersShorterBase64) {
  const std::string controls(300, '\x01');  // 6 bytes each as JSON text, 4/3 as base64
  std::string out;
  ASSERT_TRUE(encode_buffered_response(make_head(200, {}), controls, max_buffered_payload_bytes, out));
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, out);
  EXPECT_TRUE(dom_bool(root, "/isBase64Encoded"));
  std::string decoded;
  ASSERT_TRUE(base64_decode(dom_string(root, "/body"), decoded));
  EXPECT_EQ(decoded, controls);
}

TEST(ResponseEncoding, EmptyBody) {
  std::string out;
  ASSERT_TRUE(encode_buffered_response(make_head(204, {}), "", max_buffered_payload_bytes, out));
  EXPECT_EQ(out, R"({"statusCode":204,"headers":{},"cookies":[],"body":"","isBase64Encoded":false})");
}

TEST(ResponseEncoding, LimitIsExactAndChecked) {
  const response_head head = make_head(200, {{"Content-Type", "text/plain"}});
  const std::string body(1000, 'x');
  std::string out;
  ASSERT_TRUE(encode_buffered_response(head, body, max_buffered_payload_bytes, out));
  const std::size_t exact = out.size();
  std::string again;
  EXPECT_TRUE(encode_buffered_response(head, body, exact, again));
  EXPECT_EQ(again, out);
  EXPECT_FALSE(encode_buffered_response(head, body, exact - 1, again));

  const std::string binary = testing::all_byte_values();
  ASSERT_TRUE(encode_buffered_response(head, binary, max_buffered_payload_bytes, out));
  EXPECT_TRUE(encode_buffered_response(head, binary, out.size(), again));
  EXPECT_FALSE(encode_buffered_response(head, binary, out.size() - 1, again));
}

TEST(ResponseEncoding, SixMegabyteBodyExceedsTheLambdaLimit) {
  const std::string body(max_buffered_payload_bytes, 'a');
  std::string out;
  EXPECT_FALSE(encode_buffered_response(make_head(200, {}), body, max_buffered_payload_bytes, out));
}

TEST(ResponseEncoding, NonUtf8HeaderValuesStayValidJson) {
  std::string out;
  ASSERT_TRUE(encode_buffered_response(make_head(200, {{"X-Latin1", "caf\xe9"}, {"X-Utf8", "caf\xc3\xa9"}}),
                                       "", max_buffered_payload_bytes, out));
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, out);
  EXPECT_EQ(dom_string(root, "/headers/x-latin1"), "caf\xc3\xa9");
  EXPECT_EQ(dom_string(root, "/headers/x-utf8"), "caf\xc3\xa9");
}

TEST(ResponseEncoding, StreamPreludeEndsWithEightNuls) {
  const response_head head = make_head(
      404, {{"Content-Type", "text/plain"}, {"Transfer-Encoding", "chunked"}, {"Set-Cookie", "s=1"}});
  std::string out;
  encode_stream_prelude(head, out);
  ASSERT_GT(out.size(), 8u);
  EXPECT_EQ(out.substr(out.size() - 8), std::string(8, '\0'));
  const std::string_view json(out.data(), out.size() - 8);
  EXPECT_EQ(json.find('\0'), std::string_view::npos);
  EXPECT_EQ(json, R"({"statusCode":404,"headers":{"content-type":"text/plain"},"cookies":["s=1"]})");
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, json);
  EXPECT_EQ(dom_int(root, "/statusCode"), 404);
  EXPECT_FALSE(dom_has(root, "/body"));
}

TEST(ResponseEncoding, TheAnswerToAHeadRequestKeepsItsContentLength) {
  // No body follows a HEAD answer: its Content-Length describes what a GET returns, and the caller wants it.
  const response_head head = make_head(
      200, {{"Content-Type", "text/plain"}, {"Content-Length", "1234"}, {"Transfer-Encoding", "chunked"}});
  std::string buffered;
  ASSERT_TRUE(
      encode_buffered_response(head, "", max_buffered_payload_bytes, buffered, /*head_request=*/true));
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, buffered);
  EXPECT_EQ(dom_string(root, "/headers/content-length"), "1234");
  EXPECT_FALSE(dom_has(root, "/headers/transfer-encoding")) << "hop-by-hop all the same";
  EXPECT_EQ(dom_string(root, "/body"), "");
  std::string prelude;
  encode_stream_prelude(head, prelude, /*head_request=*/true);
  EXPECT_EQ(
      std::string_view(prelude).substr(0, prelude.size() - 8),
      R"({"statusCode":200,"headers":{"content-type":"text/plain","content-length":"1234"},"cookies":[]})");
  // Any other request's Content-Length frames this hop only: the Function URL frames the body itself.
  ASSERT_TRUE(encode_buffered_response(head, "x", max_buffered_payload_bytes, buffered));
  const auto get = testing::parse_dom(parser, buffered);
  EXPECT_FALSE(dom_has(get, "/headers/content-length"));
}

TEST(ResponseEncoding, ErrorResponse) {
  std::string out;
  encode_error_response(502, "Socks5HostUnreachable", "SOCKS5 host \"unreachable\"\r\ninjected: yes \xc3\xa9",
                        out);
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, out);
  EXPECT_EQ(dom_int(root, "/statusCode"), 502);
  EXPECT_EQ(dom_string(root, "/headers/content-type"), "application/json");
  EXPECT_EQ(dom_string(root, "/headers/ts-error-name"), "Socks5HostUnreachable");
  EXPECT_EQ(dom_string(root, "/headers/ts-error-message"), "SOCKS5 host \"unreachable\"??injected: yes ??");
  EXPECT_FALSE(dom_bool(root, "/isBase64Encoded"));
  // The body is itself JSON with the full message.
  simdjson::dom::parser body_parser;
  const auto body = testing::parse_dom(body_parser, dom_string(root, "/body"));
  EXPECT_EQ(dom_string(body, "/error"), "Socks5HostUnreachable");
  EXPECT_EQ(dom_string(body, "/message"), "SOCKS5 host \"unreachable\"\r\ninjected: yes \xc3\xa9");
}

TEST(ResponseEncoding, ErrorMessageHeaderIsBounded) {
  std::string out;
  encode_error_response(500, "Internal", std::string(2000, 'm'), out);
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, out);
  EXPECT_EQ(dom_string(root, "/headers/ts-error-message").size(), 512u);
  simdjson::dom::parser body_parser;
  const auto body = testing::parse_dom(body_parser, dom_string(root, "/body"));
  EXPECT_EQ(dom_string(body, "/message").size(), 2000u);
}

TEST(ResponseEncoding, ErrorStream) {
  std::string out;
  encode_error_stream(504, "RequestDeadline", "the request deadline passed", out);
  const std::size_t separator = out.find(std::string(8, '\0'));
  ASSERT_NE(separator, std::string::npos);
  simdjson::dom::parser parser;
  const auto prelude = testing::parse_dom(parser, std::string_view(out.data(), separator));
  EXPECT_EQ(dom_int(prelude, "/statusCode"), 504);
  EXPECT_EQ(dom_string(prelude, "/headers/ts-error-name"), "RequestDeadline");
  EXPECT_FALSE(dom_has(prelude, "/body"));
  simdjson::dom::parser body_parser;
  const auto body = testing::parse_dom(body_parser, std::string_view(out).substr(separator + 8));
  EXPECT_EQ(dom_string(body, "/message"), "the request deadline passed");
}

TEST(ResponseEncoding, SanitizeHeaderText) {
  EXPECT_EQ(sanitize_header_text("a\tb\r\nc\x7f\xc3\xa9"), "a b??c???");
  EXPECT_EQ(sanitize_header_text(std::string(600, 'x')).size(), 512u);
  EXPECT_EQ(sanitize_header_text("abcdef", 3), "abc");
}

TEST(ResponseEncoding, WarmerResponse) {
  EXPECT_EQ(encode_warmer_response(), R"({"success":true})");
  simdjson::dom::parser parser;
  EXPECT_TRUE(dom_bool(testing::parse_dom(parser, encode_warmer_response()), "/success"));
}

}  // namespace
}  // namespace tsproxy::lambda
