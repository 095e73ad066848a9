// http_writer: heads checked byte for byte, then read back by the parser (at every split) so writer and
// parser agree on the wire format.
#include "tsproxy/engine/http_writer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>

#include "parser_driver.hpp"

namespace tsproxy::testing {
namespace {

upstream_target plain(std::string host, std::uint16_t port) {
  return {std::move(host), port, false, {}};
}
upstream_target tls(std::string host, std::uint16_t port) {
  return {host, port, true, host};
}

std::string request_head(const http_request& request, const upstream_target& target) {
  std::string out;
  append_request_head(out, request, target);
  return out;
}

// The written head (plus body) parsed back as a request.
stream_outcome read_back(const std::string& head, std::string_view body) {
  return parse_request(head + std::string(body));
}

TEST(HttpWriterRequest, GetWithoutBodyHasNoContentLength) {
  http_request request{"GET", "/a?b=1", {{"Accept", "*/*"}, {"X-Trace", "t1"}}, {}};
  const std::string head = request_head(request, plain("100.64.0.1", 80));
  EXPECT_EQ(head, "GET /a?b=1 HTTP/1.1\r\nAccept: */*\r\nX-Trace: t1\r\nHost: 100.64.0.1\r\n\r\n");

  const auto r = read_back(head, "");
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().method, "GET");
  EXPECT_EQ(r.first().target, "/a?b=1");
  EXPECT_EQ(r.first().framing, http_parser::framing::none);
  EXPECT_EQ(r.first().headers, (field_list{{"Accept", "*/*"}, {"X-Trace", "t1"}, {"Host", "100.64.0.1"}}));
}

TEST(HttpWriterRequest, EmptyTargetBecomesSlash) {
  http_request request{"GET", "", {}, {}};
  EXPECT_EQ(request_head(request, plain("10.0.0.1", 80)), "GET / HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n");
}

TEST(HttpWriterRequest, MethodsThatCarryABodyGetContentLengthZero) {
  for (const std::string_view method : {"POST", "PUT", "PATCH"}) {
    http_request request{method, "/", {}, {}};
    const std::string head = request_head(request, plain("10.0.0.1", 80));
    EXPECT_EQ(head, std::string(method) + " / HTTP/1.1\r\nHost: 10.0.0.1\r\nContent-Length: 0\r\n\r\n");
    const auto r = read_back(head, "");
    ASSERT_FALSE(r.error) << describe(r);
    EXPECT_EQ(r.first().framing, http_parser::framing::content_length);
    EXPECT_TRUE(r.first().done);
  }
  for (const std::string_view method : {"GET", "HEAD", "DELETE", "OPTIONS"}) {
    http_request request{method, "/", {}, {}};
    EXPECT_EQ(request_head(request, plain("10.0.0.1", 80)).find("Content-Length"), std::string::npos)
        << method;
  }
}

TEST(HttpWriterRequest, BodyLength) {
  const std::string body = "{\"hello\":\"world\"}";
  for (const std::string_view method : {"POST", "GET", "DELETE"}) {
    http_request request{method, "/items", {{"Content-Type", "application/json"}}, body};
    const std::string head = request_head(request, plain("10.0.0.1", 8080));
    EXPECT_EQ(head, std::string(method) +
                        " /items HTTP/1.1\r\nContent-Type: application/json\r\nHost: 10.0.0.1:8080\r\n"
                        "Content-Length: 17\r\n\r\n");
    const auto r = read_back(head, body);
    ASSERT_FALSE(r.error) << describe(r);
    EXPECT_EQ(r.first().body, body);
    EXPECT_TRUE(r.first().done);
    EXPECT_EQ(r.leftover, "");
  }
}

struct host_case {
  upstream_target target;
  std::string_view host;
};

TEST(HttpWriterRequest, HostFromTarget) {
  const host_case cases[] = {
      {plain("100.64.0.1", 80), "100.64.0.1"},
      {plain("100.64.0.1", 8080), "100.64.0.1:8080"},
      {plain("100.64.0.1", 443), "100.64.0.1:443"},  // 443 is only the default for https
      {tls("machine.tailnet.ts.net", 443), "machine.tailnet.ts.net"},
      {tls("machine.tailnet.ts.net", 8443), "machine.tailnet.ts.net:8443"},
      {tls("machine.tailnet.ts.net", 80), "machine.tailnet.ts.net:80"},
      {plain("fd7a:115c:a1e0::1", 80), "[fd7a:115c:a1e0::1]"},
      {plain("fd7a:115c:a1e0::1", 3000), "[fd7a:115c:a1e0::1]:3000"},
      {tls("::1", 443), "[::1]"},
      {tls("::1", 1), "[::1]:1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.target.describe());
    http_request request{"GET", "/", {}, {}};
    const std::string head = request_head(request, c.target);
    EXPECT_EQ(head, "GET / HTTP/1.1\r\nHost: " + std::string(c.host) + "\r\n\r\n");
    const auto r = read_back(head, "");
    ASSERT_FALSE(r.error) << describe(r);
    EXPECT_EQ(r.first().headers, (field_list{{"Host", std::string(c.host)}}));
  }
}

TEST(HttpWriterRequest, CallersHostIsKept) {
  for (const std::string_view name : {"Host", "host", "HOST"}) {
    http_request request{"GET", "/", {{"Accept", "*/*"}, {name, "custom.example:9"}}, {}};
    const std::string head = request_head(request, plain("100.64.0.1", 8080));
    EXPECT_EQ(head, "GET / HTTP/1.1\r\nAccept: */*\r\n" + std::string(name) + ": custom.example:9\r\n\r\n");
  }
}

TEST(HttpWriterRequest, Appends) {
  std::string out = "previous";
  append_request_head(out, http_request{"GET", "/", {}, {}}, plain("10.0.0.1", 80));
  EXPECT_EQ(out, "previousGET / HTTP/1.1\r\nHost: 10.0.0.1\r\n\r\n");
}

TEST(HttpWriterResponse, StatusLineAndHeaders) {
  std::string out;
  append_response_head(out, 200, "", {{"Content-Type", "text/plain"}, {"Content-Length", "2"}});
  EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n");

  const auto r = parse_response(out + "ok");
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().status, 200);
  EXPECT_EQ(r.first().reason, "OK");
  EXPECT_EQ(r.first().body, "ok");
}

TEST(HttpWriterResponse, CustomAndUnknownReasons) {
  std::string out;
  append_response_head(out, 502, "Upstream Unreachable", {});
  EXPECT_EQ(out, "HTTP/1.1 502 Upstream Unreachable\r\n\r\n");

  out.clear();
  append_response_head(out, 299, "", {{"Content-Length", "0"}});
  EXPECT_EQ(out, "HTTP/1.1 299 \r\nContent-Length: 0\r\n\r\n");
  const auto r = parse_response(out);
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().status, 299);
  EXPECT_EQ(r.first().reason, "");
}

TEST(HttpWriterResponse, ReasonPhrases) {
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(204), "No Content");
  EXPECT_EQ(reason_phrase(404), "Not Found");
  EXPECT_EQ(reason_phrase(413), "Content Too Large");
  EXPECT_EQ(reason_phrase(502), "Bad Gateway");
  EXPECT_EQ(reason_phrase(504), "Gateway Timeout");
  EXPECT_EQ(reason_phrase(299), "");
  EXPECT_EQ(reason_phrase(0), "");
}

TEST(HttpWriterChunk, HeaderIsLowercaseHex) {
  const std::pair<std::size_t, std::string_view> cases[] = {
      {0, "0\r\n"},
      {1, "1\r\n"},
      {10, "a\r\n"},
      {255, "ff\r\n"},
      {4096, "1000\r\n"},
      {0xdeadbeef, "deadbeef\r\n"},
      {SIZE_MAX, "ffffffffffffffff\r\n"},
  };
  for (const auto& [size, expected] : cases) {
    std::string out = ">";
    append_chunk_header(out, size);
    EXPECT_EQ(out, ">" + std::string(expected)) << size;
  }
  EXPECT_EQ(last_chunk, "0\r\n\r\n");
}

TEST(HttpWriterChunk, ChunkedBodyReadsBack) {
  std::string wire;
  append_response_head(wire, 200, "", {{"Transfer-Encoding", "chunked"}});
  std::string expected_body;
  for (const std::size_t size : {1u, 15u, 16u, 300u}) {
    const std::string piece(size, static_cast<char>('a' + size % 26));
    append_chunk_header(wire, piece.size());
    wire += piece + "\r\n";
    expected_body += piece;
  }
  wire += last_chunk;
  const auto r = parse_response(wire);
  ASSERT_FALSE(r.error) << describe(r);
  EXPECT_EQ(r.first().body, expected_body);
  EXPECT_TRUE(r.first().done);
  EXPECT_EQ(r.leftover, "");
}

}  // namespace
}  // namespace tsproxy::testing
