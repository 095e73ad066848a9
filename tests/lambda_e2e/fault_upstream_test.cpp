// Fault matrix, the upstream's rows: curl → tsproxy-local → bootstrap → microsocks → an upstream that
// resets, truncates, stalls, never reads, or frames its answer in doubtful ways. Each row asserts the
// documented answer, that the runtime is the same process, and that the next request succeeds.

#include <gtest/gtest.h>

#include <cctype>
#include <ostream>

#include "fault_matrix.hpp"

namespace tsproxy::test {
namespace {

using UpstreamFault = FaultMatrix;

TEST_F(UpstreamFault, ResetBeforeTheHeadIs502InBothModes) {
  for (const std::string mode : {"buffered", "response_stream"}) {
    local_stack stack(socks_address(), {.invoke_mode = mode});
    const pid_t pid = stack.bootstrap_pid();
    // Through the relay the target's reset arrives as a close before any response byte.
    EXPECT_TRUE(is_proxy_error(stack.request("/reset-before-head", to_python()), 502, "ConnectionClosed"))
        << mode;
    EXPECT_TRUE(keeps_serving(stack, pid, python_)) << mode;
  }
}

TEST_F(UpstreamFault, ResetMidHeadIs502InBothModes) {
  for (const std::string mode : {"buffered", "response_stream"}) {
    local_stack stack(socks_address(), {.invoke_mode = mode});
    const pid_t pid = stack.bootstrap_pid();
    EXPECT_TRUE(is_proxy_error(stack.request("/reset-mid-head", to_python()), 502, "HttpTruncated")) << mode;
    EXPECT_TRUE(keeps_serving(stack, pid, python_)) << mode;
  }
}

TEST_F(UpstreamFault, ResetMidBodyIs502Buffered) {
  local_stack stack(socks_address());
  const pid_t pid = stack.bootstrap_pid();
  EXPECT_TRUE(is_proxy_error(stack.request("/reset-mid-body?n=20000", to_python()), 502, "HttpTruncated"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

// A body of 64 KiB or more with a Content-Length is handed over while it arrives: the failure becomes the
// payload's status and headers, after the part that arrived.
TEST_F(UpstreamFault, ResetMidLargeBodyIs502BufferedAfterThePartThatArrived) {
  local_stack stack(socks_address());
  const pid_t pid = stack.bootstrap_pid();
  EXPECT_TRUE(is_proxy_error_after_part(stack.request("/reset-mid-body?n=300000", to_python()), 502,
                                        "HttpTruncated", 300000));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

TEST_F(UpstreamFault, ResetMidBodyCutsTheStream) {
  local_stack stack(socks_address(), {.invoke_mode = "response_stream"});
  const pid_t pid = stack.bootstrap_pid();
  const auto r = stack.request("/reset-mid-body?n=100000", to_python());
  EXPECT_TRUE(is_cut_stream(stack, r, 200, "HttpTruncated"));
  EXPECT_LT(r.body_bytes_before_failure, 100000u);
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

TEST_F(UpstreamFault, TruncatedChunkedBodyIs502Buffered) {
  local_stack stack(socks_address());
  const pid_t pid = stack.bootstrap_pid();
  EXPECT_TRUE(is_proxy_error(stack.request("/truncated-chunked?n=20000", to_python()), 502, "HttpTruncated"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

TEST_F(UpstreamFault, TruncatedChunkedBodyCutsTheStream) {
  local_stack stack(socks_address(), {.invoke_mode = "response_stream"});
  const pid_t pid = stack.bootstrap_pid();
  const auto r = stack.request("/truncated-chunked?n=20000", to_python());
  EXPECT_TRUE(is_cut_stream(stack, r, 200, "HttpTruncated"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

// Slow-loris: one byte a second. The head timeout bounds the whole head, the body idle timeout each pause.
TEST_F(UpstreamFault, SlowLorisHeadEndsAtTheHeadTimeout) {
  for (const std::string mode : {"buffered", "response_stream"}) {
    local_stack stack(socks_address(),
                      {.invoke_mode = mode, .env = {{"TSPROXY_RESPONSE_HEAD_TIMEOUT_MS", "1500"}}});
    const pid_t pid = stack.bootstrap_pid();
    EXPECT_TRUE(is_proxy_error(stack.request("/slow-head?ms=1000", to_python()), 504, "ResponseHeadTimeout"))
        << mode;
    EXPECT_TRUE(keeps_serving(stack, pid, python_)) << mode;
  }
}

TEST_F(UpstreamFault, SlowLorisBodyEndsAtTheBodyIdleTimeoutBuffered) {
  local_stack stack(socks_address(), {.env = {{"TSPROXY_BODY_IDLE_TIMEOUT_MS", "500"}}});
  const pid_t pid = stack.bootstrap_pid();
  EXPECT_TRUE(is_proxy_error(stack.request("/slow-body?ms=1000&n=30", to_python()), 504, "BodyIdleTimeout"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

TEST_F(UpstreamFault, SlowLorisBodyCutsTheStreamAtTheBodyIdleTimeout) {
  local_stack stack(socks_address(),
                    {.invoke_mode = "response_stream", .env = {{"TSPROXY_BODY_IDLE_TIMEOUT_MS", "500"}}});
  const pid_t pid = stack.bootstrap_pid();
  // The target's status and headers went out at once; the stream then stalls.
  const auto r = stack.request("/slow-body?ms=1000&n=30", to_python());
  EXPECT_TRUE(is_cut_stream(stack, r, 200, "BodyIdleTimeout"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

TEST_F(UpstreamFault, AnUpstreamThatNeverReadsALargeBodyEndsAtTheHeadTimeout) {
  temp_dir dir;
  write_file(dir / "body", std::string(4 << 20, 'x'));
  for (const std::string mode : {"buffered", "response_stream"}) {
    local_stack stack(socks_address(),
                      {.invoke_mode = mode, .env = {{"TSPROXY_RESPONSE_HEAD_TIMEOUT_MS", "1500"}}});
    const pid_t pid = stack.bootstrap_pid();
    const auto r =
        stack.request("/ignore-body", to_python({"-X", "POST", "-H", "content-type: application/octet-stream",
                                                 "--data-binary", "@" + (dir / "body").string()}));
    EXPECT_TRUE(is_proxy_error(r, 504, "ResponseHeadTimeout")) << mode;
    EXPECT_TRUE(keeps_serving(stack, pid, python_)) << mode;
  }
}

TEST_F(UpstreamFault, AResponseHeadOverTheLimitIs502) {
  local_stack stack(socks_address());
  const pid_t pid = stack.bootstrap_pid();
  EXPECT_TRUE(is_proxy_error(stack.request("/huge-head?n=70000", to_python()), 502, "HttpHeaderTooLarge"));
  EXPECT_TRUE(is_proxy_error(stack.request("/many-headers?n=200", to_python()), 502, "HttpTooManyHeaders"));
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
}

// Smuggling shapes: framing two parsers could read differently. Each is refused, or read by its one valid
// framing with the connection retired when anything about it is doubtful.
struct smuggling_row {
  const char* shape;
  int status;
  const char* error_name;  // empty: the target's answer, whose body is "hello"
  bool connection_kept;    // whether the next request may reuse the connection
};

void PrintTo(const smuggling_row& row, std::ostream* out) {
  *out << row.shape;
}

class SmugglingShape : public FaultMatrix, public ::testing::WithParamInterface<smuggling_row> {};

TEST_P(SmugglingShape, IsRefusedOrReadOneWayAndTheNextRequestIsClean) {
  const auto row = GetParam();
  // One invocation loop, one pool: the next request gets the connection if it was kept.
  local_stack stack(socks_address(), {.max_concurrency = 1});
  const pid_t pid = stack.bootstrap_pid();
  const auto r = stack.request("/smuggle?shape=" + std::string(row.shape), to_python());
  if (std::string_view(row.error_name).empty()) {
    EXPECT_EQ(r.status, row.status) << r.body;
    EXPECT_EQ(r.body, "hello");
    EXPECT_TRUE(r.header("ts-error-name").empty()) << r.header("ts-error-name");
  } else {
    EXPECT_TRUE(is_proxy_error(r, row.status, row.error_name));
  }
  EXPECT_TRUE(keeps_serving(stack, pid, python_));
  EXPECT_EQ(python_.accepted_connections(), row.connection_kept ? 1u : 2u)
      << (row.connection_kept ? "the connection should have been reused" : "the connection was reused");
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, SmugglingShape,
    ::testing::Values(smuggling_row{"cl-te", 200, "", false}, smuggling_row{"te-cl", 200, "", false},
                      smuggling_row{"duplicate-cl", 200, "", true}, smuggling_row{"cl-list", 200, "", true},
                      smuggling_row{"extra-response", 200, "", false},
                      smuggling_row{"conflicting-cl", 502, "HttpBadContentLength", false},
                      smuggling_row{"conflicting-cl-list", 502, "HttpBadContentLength", false},
                      smuggling_row{"negative-cl", 502, "HttpBadContentLength", false},
                      smuggling_row{"plus-cl", 502, "HttpBadContentLength", false},
                      smuggling_row{"overflowing-cl", 502, "HttpBadContentLength", false},
                      // RFC 9112 section 5.1: a proxy removes the whitespace from a response.
                      smuggling_row{"space-before-colon", 200, "", true},
                      smuggling_row{"negative-chunk", 502, "HttpBadChunk", false},
                      smuggling_row{"overflowing-chunk", 502, "HttpBadChunk", false},
                      smuggling_row{"chunked-not-last", 502, "HttpBadTransferEncoding", false},
                      smuggling_row{"chunked-twice", 502, "HttpBadTransferEncoding", false},
                      smuggling_row{"te-in-http10", 502, "HttpBadTransferEncoding", false}),
    [](const auto& info) {
      std::string name;
      bool upper = true;
      for (const char c : std::string_view(info.param.shape)) {
        if (c == '-') {
          upper = true;
          continue;
        }
        name.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
        upper = false;
      }
      return name;
    });

}  // namespace
}  // namespace tsproxy::test
