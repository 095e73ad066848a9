// End-to-end tests of tsproxy-local: the real binary runs a fake function (echo_function.py) and an
// extension (test_extension.py), and is driven over loopback sockets like a Function URL caller.

#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapter/base64.hpp"
#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace tsproxy::local::testing {
namespace {

using namespace std::chrono_literals;
using test::child_process;
using test::env_vars;

const std::string local_binary = TSPROXY_LOCAL_BINARY;
const std::string fixtures = TSPROXY_LOCAL_TEST_DIR;
const std::string echo_function = fixtures + "/echo_function.py";
const std::string extension_script = fixtures + "/test_extension.py";
const std::string bootstrap_binary = TSPROXY_BOOTSTRAP_BINARY;

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The integer after `"key":` in the first line of `log` that contains `marker`.
std::optional<long long> log_number(const std::string& log, std::string_view marker, std::string_view key) {
  const auto at = log.find(marker);
  if (at == std::string::npos) return std::nullopt;
  const auto line_end = log.find('\n', at);
  const auto line = std::string_view(log).substr(at, line_end - at);
  const std::string needle = "\"" + std::string(key) + "\":";
  const auto k = line.find(needle);
  if (k == std::string_view::npos) return std::nullopt;
  return std::stoll(std::string(line.substr(k + needle.size())));
}

// One running tsproxy-local; stopped (SIGTERM, then SIGKILL) when destroyed.
class local_instance {
 public:
  explicit local_instance(std::vector<std::string> options, const env_vars& env = {},
                          std::vector<std::string> bootstrap = {echo_function})
      : dir_("tsproxy-local-test") {
    std::vector<std::string> argv{local_binary, "--port", "0"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back("--");
    argv.insert(argv.end(), bootstrap.begin(), bootstrap.end());
    process_ = child_process(argv, dir_ / "tsproxy-local.log", env);
    // The ready line: {"event":"ready","url":"http://127.0.0.1:PORT","runtime_api":"127.0.0.1:R"}
    bool exited = false;
    const bool ready = test::wait_until([&] {
      const auto log = read_all(process_.log_file());
      const auto at = log.find(R"({"event":"ready","url":"http://127.0.0.1:)");
      if (at == std::string::npos || log.find('\n', at) == std::string::npos)
        return exited = !process_.running();
      ready_line_ = log.substr(at, log.find('\n', at) - at);
      return true;
    });
    if (exited) process_.fail("tsproxy-local exited before it was ready");
    if (!ready) process_.fail("no ready line");
    port_ = static_cast<std::uint16_t>(std::stoi(ready_line_.substr(ready_line_.find("127.0.0.1:") + 10)));
    const auto api = ready_line_.find(R"("runtime_api":"127.0.0.1:)");
    runtime_port_ = static_cast<std::uint16_t>(std::stoi(ready_line_.substr(api + 25)));
  }

  std::uint16_t port() const { return port_; }
  std::uint16_t runtime_port() const { return runtime_port_; }
  const std::string& ready_line() const { return ready_line_; }
  pid_t pid() const { return process_.pid(); }
  child_process& process() { return process_; }
  std::string log() const { return read_all(process_.log_file()); }
  const test::temp_dir& dir() const { return dir_; }

  // Waits until the log contains `marker` (log lines are written when things happen, not in order
  // with the responses a test reads).
  bool wait_for_log(std::string_view marker) const {
    return test::wait_until([&] { return log().find(marker) != std::string::npos; });
  }
  // The init line is written once the runtime (and every extension) made its first `next`: from
  // then on an invocation is handed over at once, so start-up time stays out of what a test times.
  bool wait_for_init() const { return wait_for_log(R"({"level":"INFO","msg":"init",)"); }

  // The invocation queue as GET /local/stats reports it.
  struct queue_counts {
    std::int64_t in_flight = -1, queued = -1, next_waiting = -1;
  };
  queue_counts queue() const {
    const auto stats = test::raw_http_get(test::loopback_ipv4, runtime_port_, "/local/stats");
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    queue_counts counts;
    if (stats.status != 200 || parser.parse(stats.body).get(root)) return counts;
    if (root["in_flight"].get(counts.in_flight) || root["queued"].get(counts.queued) ||
        root["next_waiting"].get(counts.next_waiting))
      return {};
    return counts;
  }
  // Waits until the queue is in the state `wanted` accepts; false (with the last counts) if it never is.
  template <typename Predicate>
  bool wait_for_queue(Predicate wanted) const {
    queue_counts counts;
    if (test::wait_until([&] { return wanted(counts = queue()); })) return true;
    ADD_FAILURE() << "the queue never reached the state: in_flight=" << counts.in_flight
                  << " queued=" << counts.queued << " next_waiting=" << counts.next_waiting;
    return false;
  }

 private:
  test::temp_dir dir_;
  child_process process_;
  std::string ready_line_;
  std::uint16_t port_ = 0;
  std::uint16_t runtime_port_ = 0;
};

struct reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // de-chunked
  bool chunked = false;
  bool complete = false;  // Content-Length satisfied, or the last chunk seen
  std::size_t chunk_count = 0;

  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n.size() == name.size() && std::equal(n.begin(), n.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
          })) {
        return v;
      }
    }
    return {};
  }
  std::vector<std::string> all(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : headers) {
      if (n == name) out.push_back(v);
    }
    return out;
  }
};

// Parses one response from `raw` starting at `offset` (advanced past it).
reply parse_reply(const std::string& raw, std::size_t& offset) {
  reply r;
  const auto head_end = raw.find("\r\n\r\n", offset);
  if (head_end == std::string::npos)
    throw std::runtime_error("no response head in: " + raw.substr(offset, 200));
  std::istringstream head(raw.substr(offset, head_end - offset));
  std::string line;
  std::getline(head, line);
  r.status = std::stoi(line.substr(9, 3));
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    r.headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
  }
  std::size_t pos = head_end + 4;
  if (r.header("Transfer-Encoding") == "chunked") {
    r.chunked = true;
    for (;;) {
      const auto eol = raw.find("\r\n", pos);
      if (eol == std::string::npos) break;
      const auto size = std::stoul(raw.substr(pos, eol - pos), nullptr, 16);
      if (size == 0) {
        r.complete = raw.compare(eol + 2, 2, "\r\n") == 0;
        pos = eol + 4;
        break;
      }
      if (eol + 2 + size + 2 > raw.size()) break;
      r.body.append(raw, eol + 2, size);
      ++r.chunk_count;
      pos = eol + 2 + size + 2;
    }
  } else {
    const auto length = r.header("Content-Length").empty() ? 0 : std::stoul(r.header("Content-Length"));
    r.body = raw.substr(pos, length);
    r.complete = r.body.size() == length;
    pos += r.body.size();
  }
  offset = pos;
  return r;
}

// Sends `request` bytes on a fresh connection and reads until the server closes it.
std::string http_exchange_raw(std::uint16_t port, const std::string& request,
                              std::chrono::milliseconds timeout = 10s) {
  std::error_code ec;
  auto fd = test::connect_tcp(test::loopback_ipv4, port, 2s, ec);
  if (!fd) throw std::runtime_error("connect: " + ec.message());
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (std::size_t sent = 0; sent < request.size();) {
    const auto n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may answer (413) before taking everything
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[65536];
  for (;;) {
    const auto n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
  }
  return raw;
}

reply http_exchange(std::uint16_t port, const std::string& request, std::chrono::milliseconds timeout = 10s) {
  const auto raw = http_exchange_raw(port, request, timeout);
  std::size_t offset = 0;
  return parse_reply(raw, offset);
}

reply get(std::uint16_t port, const std::string& target, const std::string& extra_headers = {}) {
  return http_exchange(port, "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra_headers +
                                 "Connection: close\r\n\r\n");
}

reply post(std::uint16_t port, const std::string& target, const std::string& content_type,
           const std::string& body) {
  return http_exchange(port, "POST " + target + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: " +
                                 content_type + "\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\nConnection: close\r\n\r\n" + body);
}

// A parsed event (the echo function returns it as the response body).
struct event_doc {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  explicit event_doc(const std::string& json) {
    const auto error = parser.parse(json).get(root);
    if (error)
      throw std::runtime_error(std::string("not JSON: ") + simdjson::error_message(error) + ": " + json);
  }
  std::string str(std::string_view pointer) const {
    std::string_view s;
    if (root.at_pointer(pointer).get(s)) return "<absent>";
    return std::string(s);
  }
  bool has(std::string_view pointer) const {
    simdjson::dom::element e;
    return !root.at_pointer(pointer).get(e);
  }
  bool boolean(std::string_view pointer) const {
    bool b = false;
    EXPECT_FALSE(root.at_pointer(pointer).get(b)) << pointer;
    return b;
  }
};

bool process_gone(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return true;
  std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = content.rfind(')');
  const char state = close != std::string::npos && close + 2 < content.size() ? content[close + 2] : '?';
  if (state == 'Z' || state == 'X') {
    ::waitpid(pid, nullptr, WNOHANG);  // reparented to us (the tests are a subreaper): reap it
    return true;
  }
  return false;
}

bool wait_gone(pid_t pid) {
  return test::wait_until([&] { return process_gone(pid); }, 10s);
}

long vm_hwm_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

TEST(LocalEmulator, PrintsReadyLineAndLogsInit) {
  local_instance local({"--runtime-port", "0"});
  EXPECT_EQ(local.ready_line(), R"({"event":"ready","url":"http://127.0.0.1:)" +
                                    std::to_string(local.port()) + R"(","runtime_api":"127.0.0.1:)" +
                                    std::to_string(local.runtime_port()) + R"("})");
  ASSERT_TRUE(local.wait_for_log(R"({"level":"INFO","msg":"init","environment":1,"init_duration_ms":)"))
      << local.log();
  const auto r = get(local.port(), "/first");
  EXPECT_EQ(r.status, 200);
  ASSERT_TRUE(local.wait_for_log(R"({"level":"INFO","msg":"invoke",)")) << local.log();
  const auto stats = test::raw_http_get(test::loopback_ipv4, local.runtime_port(), "/local/stats");
  EXPECT_EQ(stats.status, 200);
  event_doc doc(stats.body);
  double init_ms = -1;
  std::int64_t invocations = -1;
  double p50 = -1;
  EXPECT_FALSE(doc.root["init_duration_ms"].get(init_ms)) << stats.body;
  EXPECT_FALSE(doc.root["invocations"].get(invocations)) << stats.body;
  EXPECT_FALSE(doc.root.at_pointer("/handoff_to_response_ms/p99").get(p50)) << stats.body;
  EXPECT_GT(init_ms, 0);
  EXPECT_EQ(invocations, 1);
  EXPECT_GT(p50, 0);
  // The invoke line carries both timings with three decimals.
  const auto log = local.log();
  const auto line = log.substr(log.find(R"({"level":"INFO","msg":"invoke",)"));
  EXPECT_NE(line.find(R"("status":200,"mode":"buffered","handoff_to_response_ms":)"), std::string::npos)
      << line;
  EXPECT_NE(line.find(R"("total_ms":)"), std::string::npos) << line;
}

TEST(LocalEmulator, EventHasFunctionUrlShape) {
  local_instance local({});
  const auto r =
      get(local.port(), "/echo/some%20path?a=1&b=%20x&a=2&c=%E2%9C%93",
          "X-Custom: v1\r\nX-Custom: v2\r\nCookie: sid=abc; theme=dark\r\nUser-Agent: tests/1.0\r\n");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_FALSE(r.header("x-amzn-RequestId").empty());
  event_doc e(r.body);
  EXPECT_EQ(e.str("/version"), "2.0");
  EXPECT_EQ(e.str("/routeKey"), "$default");
  EXPECT_EQ(e.str("/rawPath"), "/echo/some%20path");
  EXPECT_EQ(e.str("/rawQueryString"), "a=1&b=%20x&a=2&c=%E2%9C%93");
  EXPECT_EQ(e.str("/queryStringParameters/a"), "1,2");
  EXPECT_EQ(e.str("/queryStringParameters/c"), "\xE2\x9C\x93");
  EXPECT_EQ(e.str("/cookies/0"), "sid=abc");
  EXPECT_EQ(e.str("/cookies/1"), "theme=dark");
  EXPECT_FALSE(e.has("/headers/cookie"));
  EXPECT_EQ(e.str("/headers/x-custom"), "v1,v2");
  EXPECT_EQ(e.str("/headers/user-agent"), "tests/1.0");
  simdjson::dom::object headers;
  ASSERT_FALSE(e.root["headers"].get(headers));
  for (auto [name, value] : headers) {
    for (const char c : name) EXPECT_FALSE(c >= 'A' && c <= 'Z') << name;
  }
  EXPECT_EQ(e.str("/requestContext/accountId"), "anonymous");
  EXPECT_EQ(e.str("/requestContext/domainName"),
            e.str("/requestContext/apiId") + ".lambda-url.us-east-1.on.aws");
  EXPECT_EQ(e.str("/requestContext/domainPrefix"), e.str("/requestContext/apiId"));
  EXPECT_EQ(e.str("/requestContext/http/method"), "GET");
  EXPECT_EQ(e.str("/requestContext/http/path"), "/echo/some%20path");
  EXPECT_EQ(e.str("/requestContext/http/protocol"), "HTTP/1.1");
  EXPECT_EQ(e.str("/requestContext/http/sourceIp"), "127.0.0.1");
  EXPECT_EQ(e.str("/requestContext/http/userAgent"), "tests/1.0");
  EXPECT_EQ(e.str("/requestContext/requestId"), r.header("x-amzn-RequestId"));
  EXPECT_EQ(e.str("/requestContext/requestId").size(), 36u);
  EXPECT_EQ(e.str("/requestContext/requestId")[14], '4');  // UUID v4
  EXPECT_EQ(e.str("/requestContext/stage"), "$default");
  std::int64_t epoch = 0;
  EXPECT_FALSE(e.root.at_pointer("/requestContext/timeEpoch").get(epoch));
  EXPECT_NEAR(static_cast<double>(epoch),
              static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count()),
              60'000.0);
  EXPECT_FALSE(e.has("/body"));
  EXPECT_FALSE(e.boolean("/isBase64Encoded"));
}

TEST(LocalEmulator, BodiesAreTextOrBase64) {
  local_instance local({});
  // Every byte value, declared binary: base64, round-tripping exactly.
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  auto r = post(local.port(), "/upload", "application/octet-stream", all_bytes);
  ASSERT_EQ(r.status, 200) << r.body;
  {
    event_doc e(r.body);
    EXPECT_TRUE(e.boolean("/isBase64Encoded"));
    std::string decoded;
    ASSERT_TRUE(lambda::base64_decode(e.str("/body"), decoded));
    EXPECT_EQ(decoded, all_bytes);
  }
  // Textual type and valid UTF-8: the text itself.
  const std::string json_text = R"({"name":"caf\u00e9","emoji":"✓","quote":"\""})";
  r = post(local.port(), "/json", "application/json; charset=utf-8", json_text);
  ASSERT_EQ(r.status, 200) << r.body;
  {
    event_doc e(r.body);
    EXPECT_FALSE(e.boolean("/isBase64Encoded"));
    EXPECT_EQ(e.str("/body"), json_text);
  }
  // A textual type with bytes that are not UTF-8: base64 after all.
  r = post(local.port(), "/latin1", "text/plain", "caf\xE9");
  ASSERT_EQ(r.status, 200) << r.body;
  {
    event_doc e(r.body);
    EXPECT_TRUE(e.boolean("/isBase64Encoded"));
    EXPECT_EQ(e.str("/body"), "Y2Fm6Q==");
  }
  // A chunked request body, with a trailer.
  r = http_exchange(
      local.port(),
      "POST /chunked HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n"
      "Connection: close\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n");
  ASSERT_EQ(r.status, 200) << r.body;
  {
    event_doc e(r.body);
    EXPECT_EQ(e.str("/body"), "hello, world");
    EXPECT_FALSE(e.has("/headers/transfer-encoding") && e.str("/headers/transfer-encoding") != "chunked");
  }
}

TEST(LocalEmulator, RequestOverSixMegabytesIs413) {
  local_instance local({});
  const auto r = http_exchange(local.port(),
                               "POST /big HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                               "Content-Length: 6291457\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(r.status, 413);
  // Chunked bodies are counted as they arrive.
  std::string chunked =
      "POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
  const std::string piece(1 << 20, 'x');
  for (int i = 0; i < 7; ++i) chunked += "100000\r\n" + piece + "\r\n";
  chunked += "0\r\n\r\n";
  EXPECT_EQ(http_exchange(local.port(), chunked).status, 413);
  EXPECT_EQ(log_number(local.log(), R"("msg":"invoke")", "status"), std::nullopt) << "nothing was invoked";
  EXPECT_EQ(get(local.port(), "/after").status, 200);
}

TEST(LocalEmulator, KeepAliveServesPipelinedRequests) {
  local_instance local({});
  const auto raw = http_exchange_raw(
      local.port(),
      "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  std::size_t offset = 0;
  const auto first = parse_reply(raw, offset);
  const auto second = parse_reply(raw, offset);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(event_doc(first.body).str("/rawPath"), "/one");
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(event_doc(second.body).str("/rawPath"), "/two");
}

TEST(LocalEmulator, BufferedResultsAreDecoded) {
  local_instance local({});
  auto r = get(local.port(), "/custom");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.header("content-type"), "text/plain");
  EXPECT_EQ(r.header("x-test"), "yes");
  EXPECT_EQ(r.all("Set-Cookie"), (std::vector<std::string>{"a=1; Path=/", "b=2; HttpOnly"}));
  EXPECT_EQ(r.body, "custom body");

  r = get(local.port(), "/binary-result");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/octet-stream");
  ASSERT_EQ(r.body.size(), 256u);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(static_cast<unsigned char>(r.body[static_cast<std::size_t>(i)]), i);

  r = get(local.port(), "/plain");  // no statusCode: the whole result, as JSON
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.body, R"({"plain": true})");
}

TEST(LocalEmulator, ErrorResultIs502WithErrorType) {
  local_instance local({});
  const auto r = get(local.port(), "/fail");
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.header("x-amzn-ErrorType"), "Function.TestError");
  EXPECT_EQ(event_doc(r.body).str("/errorMessage"), "failed on purpose");
  // The function goes on serving.
  EXPECT_EQ(get(local.port(), "/next").status, 200);
}

TEST(LocalEmulator, TimeoutIs502SandboxTimedout) {
  local_instance local({"--timeout-ms", "800"});
  ASSERT_TRUE(local.wait_for_init()) << local.log();  // the clock below must not include Python's start
  const auto start = std::chrono::steady_clock::now();
  const auto r = get(local.port(), "/sleep");  // the function answers 0.5 s after its deadline
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.header("x-amzn-ErrorType"), "Sandbox.Timedout") << "the late answer must never be relayed";
  EXPECT_GE(elapsed, 750ms) << "timed out before the function's deadline";
  EXPECT_LT(elapsed, 800ms + 5s) << "the timeout must fire, not wait for the function";
  EXPECT_TRUE(local.wait_for_log(R"({"level":"ERROR","msg":"timeout",)")) << local.log();
  // The late answer is refused like Lambda refuses an unknown request id, and the next request works.
  EXPECT_TRUE(local.wait_for_log(R"({"level":"WARN","msg":"invalid_request_id",)")) << local.log();
  EXPECT_EQ(get(local.port(), "/after").status, 200);
}

TEST(LocalEmulator, StreamingRelaysChunks) {
  local_instance local({"--invoke-mode", "response_stream"});
  const auto r = get(local.port(), "/streamed?x=1");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.chunked);
  EXPECT_TRUE(r.complete);
  EXPECT_GE(r.chunk_count, 2u);  // relayed piece by piece, not buffered
  EXPECT_EQ(r.header("x-streamed"), "yes");
  EXPECT_EQ(r.all("Set-Cookie"), (std::vector<std::string>{"s=1", "t=2"}));
  EXPECT_EQ(event_doc(r.body).str("/rawPath"), "/streamed");
  ASSERT_TRUE(local.wait_for_log(R"("mode":"response_stream")")) << local.log();
}

TEST(LocalEmulator, StreamsTwentyMegabytesInBoundedMemory) {
  local_instance local({"--invoke-mode", "response_stream"});
  ASSERT_EQ(get(local.port(), "/big?bytes=65536").status, 200);  // warm up: buffers and code paths
  const long before_kb = vm_hwm_kb(local.pid());
  constexpr std::size_t total = std::size_t{20} * 1024 * 1024;
  const auto r = get(local.port(), "/big?bytes=" + std::to_string(total));
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.complete);
  ASSERT_EQ(r.body.size(), total);
  bool intact = true;
  for (std::size_t i = 0; i < total && intact; i += 4093)
    intact = static_cast<unsigned char>(r.body[i]) == i % 256;
  EXPECT_TRUE(intact);
  const long peak_kb = vm_hwm_kb(local.pid());
  ASSERT_GT(before_kb, 0);
  // Relaying must not grow with the body: a few pieces in flight at most.
  EXPECT_LT(peak_kb - before_kb, 8 * 1024)
      << "peak RSS grew from " << before_kb << " to " << peak_kb << " kB";
#if !defined(__SANITIZE_ADDRESS__)
  EXPECT_LT(peak_kb, 30 * 1024) << "tsproxy-local peak RSS " << peak_kb
                                << " kB";  // ASan's shadow memory is larger
#endif
}

TEST(LocalEmulator, StreamErrorCutsTheConnection) {
  local_instance local({"--invoke-mode", "response_stream"});
  const auto r = get(local.port(), "/stream-error");
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.chunked);
  EXPECT_FALSE(r.complete) << "the last chunk must not be sent";
  EXPECT_NE(r.body.find("partial body"), std::string::npos);
  EXPECT_TRUE(local.wait_for_log(R"({"level":"ERROR","msg":"stream_error",)")) << local.log();
  EXPECT_NE(local.log().find("Function.Boom"), std::string::npos);
}

TEST(LocalEmulator, ConcurrencyFourOverlapsInvocations) {
  // Each /together invocation waits inside the function until all four are there at once: they can
  // only all answer 200 if the emulator handed out four invocations without waiting for results.
  local_instance local({"--max-concurrency", "4"});
  std::vector<std::thread> callers;
  callers.reserve(4);
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    callers.emplace_back([&] {
      if (get(local.port(), "/together?n=4").status == 200) ++ok;
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(ok, 4) << "four invocations were never inside the function at the same time";
}

TEST(LocalEmulator, ConcurrencyOneNeverOverlapsInvocations) {
  // The converse, so the test above can fail: at concurrency 1 two invocations never meet, even though
  // the function runs two loops (the variable reaches it unchanged at concurrency 1).
  local_instance local({"--max-concurrency", "1", "--timeout-ms", "60000"},
                       {{"AWS_LAMBDA_MAX_CONCURRENCY", "2"}});
  reply first;
  std::thread caller([&] { first = get(local.port(), "/together?n=2&wait_ms=1000"); });
  const auto second = get(local.port(), "/together?n=2&wait_ms=1000");
  caller.join();
  EXPECT_EQ(first.status, 504);
  EXPECT_EQ(second.status, 504);
}

TEST(LocalEmulator, AbandonedNextIsNotHandedAnInvocation) {
  local_instance local({"--timeout-ms", "30000"});
  ASSERT_TRUE(local.wait_for_init()) << local.log();
  reply first;
  std::thread slow([&] { first = get(local.port(), "/slow"); });
  // The function is busy with /slow: no `next` of its own is waiting.
  ASSERT_TRUE(local.wait_for_queue([](const auto& q) { return q.in_flight == 1 && q.next_waiting == 0; }));
  {
    // A "runtime" that long-polls and then goes away: it would be first in line for the next invocation.
    std::error_code ec;
    auto fd = test::connect_tcp(test::loopback_ipv4, local.runtime_port(), 2s, ec);
    ASSERT_TRUE(fd) << ec.message();
    const std::string next = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_EQ(::send(fd.get(), next.data(), next.size(), MSG_NOSIGNAL), static_cast<ssize_t>(next.size()));
    ASSERT_TRUE(local.wait_for_queue([](const auto& q) { return q.next_waiting == 1; }));
  }
  // Closed: the emulator must notice while the long poll waits, before any invocation is handed out.
  ASSERT_TRUE(local.wait_for_queue([](const auto& q) { return q.next_waiting == 0; }));
  const auto second = get(local.port(), "/after-abandoned");
  slow.join();
  EXPECT_EQ(first.status, 200);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(event_doc(second.body).str("/rawPath"), "/after-abandoned");
}

TEST(LocalEmulator, ExtensionGetsInvokeAndShutdownAndSigtermLeavesNothing) {
  test::temp_dir dir("tsproxy-local-ext");
  const auto events = dir / "events.jsonl";
  const auto grandchild = dir / "grandchild.pid";
  local_instance local({"--extension", extension_script},
                       {{"TSPROXY_TEST_EXTENSION_LOG", events.string()},
                        {"TSPROXY_TEST_GRANDCHILD_PID", grandchild.string()}});
  ASSERT_TRUE(local.wait_for_log(R"({"level":"INFO","msg":"init",)")) << local.log();
  EXPECT_EQ(log_number(local.log(), R"({"level":"INFO","msg":"init",)", "extensions"), 1);
  const auto r = get(local.port(), "/with-extension");
  ASSERT_EQ(r.status, 200);
  const auto runtime_pid = log_number(local.log(), R"({"level":"INFO","msg":"runtime_start")", "pid");
  const auto extension_pid = log_number(local.log(), R"({"level":"INFO","msg":"extension_start")", "pid");
  ASSERT_TRUE(runtime_pid && extension_pid) << local.log();
  // The function wrote the file before its first `next`, so it is complete once a request was served.
  const auto grandchild_pid = std::stoi(read_all(grandchild));

  ASSERT_EQ(::kill(local.pid(), SIGTERM), 0);
  const auto code = local.process().wait_for_exit(15s);
  ASSERT_TRUE(code.has_value()) << local.log();
  EXPECT_EQ(*code, 0) << local.log();
  EXPECT_TRUE(wait_gone(static_cast<pid_t>(*runtime_pid)));
  EXPECT_TRUE(wait_gone(static_cast<pid_t>(*extension_pid)));
  EXPECT_TRUE(wait_gone(grandchild_pid)) << "the runtime's own child must go with it";

  const auto lines = read_all(events);
  const auto invoke = lines.find(R"("eventType": "INVOKE")");
  ASSERT_NE(invoke, std::string::npos) << lines;
  EXPECT_NE(lines.find("\"requestId\": \"" + r.header("x-amzn-RequestId") + "\""), std::string::npos)
      << lines;
  EXPECT_NE(lines.find(R"("invokedFunctionArn": "arn:aws:lambda:)"), std::string::npos) << lines;
  const auto shutdown = lines.find(R"("eventType": "SHUTDOWN")");
  ASSERT_NE(shutdown, std::string::npos) << lines;
  EXPECT_GT(shutdown, invoke);
  EXPECT_NE(lines.find(R"("shutdownReason": "spindown")"), std::string::npos) << lines;
}

TEST(LocalEmulator, ManagedInstancesRefuseAnExtensionsInvokeRegistrationAsLambdaDoes) {
  test::temp_dir dir("tsproxy-local-ext-mi");
  const auto events = dir / "events.jsonl";
  local_instance local({"--max-concurrency", "4", "--extension", extension_script},
                       {{"TSPROXY_TEST_EXTENSION_LOG", events.string()}});
  ASSERT_TRUE(local.wait_for_log(R"({"level":"INFO","msg":"extension_exit")")) << local.log();
  EXPECT_NE(local.log().find(R"({"level":"WARN","msg":"extension_register_refused")"), std::string::npos)
      << local.log();
  const auto lines = read_all(events);
  EXPECT_NE(lines.find(R"("register_status": 403)"), std::string::npos) << lines;
  EXPECT_NE(lines.find(R"("errorType": "Extension.InvalidEventType")"), std::string::npos) << lines;
}

TEST(LocalEmulator, ManagedInstancesGiveAShutdownOnlyExtensionItsShutdown) {
  test::temp_dir dir("tsproxy-local-ext-mi");
  const auto events = dir / "events.jsonl";
  local_instance local(
      {"--max-concurrency", "4", "--extension", extension_script},
      {{"TSPROXY_TEST_EXTENSION_LOG", events.string()}, {"TSPROXY_TEST_EXTENSION_EVENTS", "SHUTDOWN"}});
  ASSERT_TRUE(local.wait_for_log(R"({"level":"INFO","msg":"init",)")) << local.log();
  EXPECT_EQ(log_number(local.log(), R"({"level":"INFO","msg":"init",)", "extensions"), 1);
  EXPECT_EQ(get(local.port(), "/managed").status, 200);
  ASSERT_EQ(::kill(local.pid(), SIGTERM), 0);
  const auto code = local.process().wait_for_exit(15s);
  ASSERT_TRUE(code.has_value()) << local.log();
  const auto lines = read_all(events);
  EXPECT_EQ(lines.find(R"("eventType": "INVOKE")"), std::string::npos) << lines;
  EXPECT_NE(lines.find(R"("eventType": "SHUTDOWN")"), std::string::npos) << lines;
}

TEST(LocalEmulator, InitErrorAnswers502AndExits) {
  local_instance local({"--exit-on-init-error"}, {{"TSPROXY_TEST_INIT_ERROR", "1"}});
  const auto r = get(local.port(), "/during-init");  // the function posts /init/error once this is queued
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.header("x-amzn-ErrorType"), "Runtime.TestInitError");
  const auto code = local.process().wait_for_exit(15s);
  ASSERT_TRUE(code.has_value()) << local.log();
  EXPECT_NE(*code, 0);
  EXPECT_NE(local.log().find(R"({"level":"ERROR","msg":"init_error",)"), std::string::npos) << local.log();
}

TEST(LocalEmulator, RuntimeExitAnswers502) {
  local_instance local({}, {}, {"/bin/sh", "-c", "sleep 0.3; exit 3"});
  const auto r = get(local.port(), "/never-served");
  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(r.header("x-amzn-ErrorType"), "Runtime.ExitError");
  EXPECT_TRUE(local.wait_for_log(R"({"level":"INFO","msg":"runtime_exit",)")) << local.log();
  EXPECT_EQ(log_number(local.log(), R"({"level":"INFO","msg":"runtime_exit",)", "exit_code"), 3);
}

// --- Execution environments -------------------------------------------------------------------------

// How many lines of `log` contain `marker`.
std::size_t count_lines(const std::string& log, std::string_view marker) {
  std::size_t n = 0;
  for (auto at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) ++n;
  return n;
}

// /local/stats from any environment still up (each one serves it), newest first; empty if none answers.
std::string any_stats(const local_instance& local) {
  const auto log = local.log();
  std::vector<std::uint16_t> ports;
  const std::string marker = R"("runtime_api":"127.0.0.1:)";
  for (auto at = log.find(R"({"level":"INFO","msg":"environment_start")"); at != std::string::npos;
       at = log.find(R"({"level":"INFO","msg":"environment_start")", at + 1)) {
    const auto p = log.find(marker, at);
    if (p != std::string::npos)
      ports.push_back(static_cast<std::uint16_t>(std::stoi(log.substr(p + marker.size()))));
  }
  for (auto it = ports.rbegin(); it != ports.rend(); ++it) {
    try {
      const auto stats = test::raw_http_get(test::loopback_ipv4, *it, "/local/stats");
      if (stats.status == 200) return stats.body;
    } catch (const std::runtime_error&) {
      // retired since its line was read: its port is closed
    }
  }
  return {};
}

// The environments /local/stats reports: id → state.
std::map<std::int64_t, std::string> environment_states(const local_instance& local) {
  std::map<std::int64_t, std::string> states;
  const auto body = any_stats(local);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array environments;
  if (body.empty() || parser.parse(body).get(root) || root["environments"].get(environments)) return states;
  for (auto env : environments) {
    std::int64_t id = 0;
    std::string_view state;
    if (!env["id"].get(id) && !env["state"].get(state)) states[id] = std::string(state);
  }
  return states;
}

class Environments : public ::testing::TestWithParam<std::string> {};

TEST_P(Environments, AnInvocationFindingEveryEnvironmentBusyStartsANewOne) {
  local_instance local({"--invoke-mode", GetParam(), "--max-environments", "2", "--timeout-ms", "30000"});
  ASSERT_TRUE(local.wait_for_init()) << local.log();
  std::atomic<bool> slow_done{false};
  reply slow;
  std::thread holder([&] {
    slow = get(local.port(), "/slow");  // keeps environment 1 busy for a second
    slow_done = true;
  });
  ASSERT_TRUE(local.wait_for_queue([](const auto& q) { return q.in_flight == 1; }));
  const auto cold = get(local.port(), "/cold");
  const bool overtook = !slow_done;
  holder.join();
  EXPECT_EQ(cold.status, 200) << cold.body;
  EXPECT_EQ(slow.status, 200) << slow.body;
  EXPECT_TRUE(overtook) << "the second caller waited for the first environment instead of a new one";
  const auto log = local.log();
  EXPECT_NE(log.find(R"({"level":"INFO","msg":"init","environment":2,"init_duration_ms":)"),
            std::string::npos)
      << log;
  EXPECT_EQ(count_lines(log, R"({"level":"INFO","msg":"environment_start")"), 2u) << log;
  // Each environment has its own log stream.
  const auto stats = test::raw_http_get(test::loopback_ipv4, local.runtime_port(), "/local/stats");
  event_doc doc(stats.body);
  EXPECT_EQ(doc.str("/environments/0/state"), "idle") << stats.body;
  EXPECT_EQ(doc.str("/environments/1/state"), "idle") << stats.body;
  std::int64_t first = 0, second = 0;
  EXPECT_FALSE(doc.root.at_pointer("/environments/0/invocations").get(first)) << stats.body;
  EXPECT_FALSE(doc.root.at_pointer("/environments/1/invocations").get(second)) << stats.body;
  EXPECT_EQ(first, 1) << stats.body;
  EXPECT_EQ(second, 1) << stats.body;
  EXPECT_NE(doc.str("/environments/0/log_stream"), doc.str("/environments/1/log_stream")) << stats.body;
  double init_ms = -1;
  EXPECT_FALSE(doc.root.at_pointer("/environments/1/init_duration_ms").get(init_ms)) << stats.body;
  EXPECT_GT(init_ms, 0) << stats.body;
}

TEST_P(Environments, EveryEnvironmentBusyAndNoQueueAnswers429AsLambdaThrottles) {
  local_instance local(
      {"--invoke-mode", GetParam(), "--max-environments", "1", "--max-queued", "0", "--timeout-ms", "30000"});
  ASSERT_TRUE(local.wait_for_init()) << local.log();
  reply slow;
  std::thread holder([&] { slow = get(local.port(), "/slow"); });
  ASSERT_TRUE(local.wait_for_queue([](const auto& q) { return q.in_flight == 1; }));
  const auto throttled = get(local.port(), "/throttled");
  holder.join();
  EXPECT_EQ(slow.status, 200);
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.header("x-amzn-ErrorType"), "TooManyRequestsException");
  EXPECT_EQ(throttled.body, R"({"Message":"Rate Exceeded."})");
  EXPECT_FALSE(throttled.header("x-amzn-RequestId").empty());
  EXPECT_TRUE(local.wait_for_log(R"({"level":"WARN","msg":"throttled",)")) << local.log();
  EXPECT_EQ(count_lines(local.log(), R"({"level":"INFO","msg":"environment_start")"), 1u);
  EXPECT_EQ(get(local.port(), "/after").status, 200) << "a free environment serves again";
}

TEST_P(Environments, AnIdleEnvironmentIsRetiredWithShutdownToItsExtensionsAndTheNextCallStartsAnother) {
  test::temp_dir dir("tsproxy-local-retire");
  const auto events = dir / "events.jsonl";
  local_instance local(
      {"--invoke-mode", GetParam(), "--idle-retire-ms", "300", "--extension", extension_script},
      {{"TSPROXY_TEST_EXTENSION_LOG", events.string()}});
  ASSERT_TRUE(local.wait_for_init()) << local.log();
  ASSERT_EQ(get(local.port(), "/before").status, 200);
  const auto runtime_pid = log_number(local.log(), R"({"level":"INFO","msg":"runtime_start")", "pid");
  ASSERT_TRUE(runtime_pid) << local.log();
  ASSERT_TRUE(local.wait_for_log(
      R"({"level":"INFO","msg":"environment_retired","environment":1,"reason":"spindown")"))
      << local.log();
  EXPECT_TRUE(wait_gone(static_cast<pid_t>(*runtime_pid)));
  const auto lines = read_all(events);
  EXPECT_NE(lines.find(R"("eventType": "SHUTDOWN", "shutdownReason": "spindown")"), std::string::npos)
      << lines;
  // A cold start for the next caller.
  const auto r = get(local.port(), "/after");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(local.log().find(R"({"level":"INFO","msg":"init","environment":2,)"), std::string::npos)
      << local.log();
}

INSTANTIATE_TEST_SUITE_P(InvokeModes, Environments, ::testing::Values("buffered", "response_stream"),
                         [](const auto& info) { return info.param; });

TEST(LocalEmulator, ManagedInstancesFillAnEnvironmentBeforeStartingAnother) {
  // Two /together invocations meet only inside one process: they do if the first environment takes both.
  local_instance local({"--max-concurrency", "2", "--max-environments", "2", "--timeout-ms", "30000"});
  ASSERT_TRUE(local.wait_for_init()) << local.log();
  reply first;
  std::thread caller([&] { first = get(local.port(), "/together?n=2&wait_ms=5000"); });
  const auto second = get(local.port(), "/together?n=2&wait_ms=5000");
  caller.join();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(count_lines(local.log(), R"({"level":"INFO","msg":"environment_start")"), 1u) << local.log();
}

// The warmer's round: `count` warmer invocations of the real bootstrap, sent `spread` apart (a round's
// invocations reach Lambda a little apart, not in the same microsecond), all answered.
void warmer_round(const local_instance& local, int count, std::chrono::milliseconds spread) {
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < count; ++i) {
    if (i > 0) std::this_thread::sleep_for(spread);
    callers.emplace_back([&, i] {
      const std::string event = R"({"warmer":true,"warmerIndex":)" + std::to_string(i) + "}";
      if (post(local.port(), "/2015-03-31/functions/function/invocations", "application/json", event)
              .status == 200)
        ++ok;
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(ok, count);
}

// Environments retire after T idle; a warmer round every T/2 must keep `rounds_of` of them warm. The
// bootstrap's TSPROXY_WARMER_HOLD_MS is the variable under test: with 0 (set it in the environment of
// this test to see it fail) one environment serves a whole round and the others retire.
std::size_t warm_after_rounds(int first_round, int later_rounds, bool then_ordinary_calls) {
  constexpr auto idle_retire = 1200ms;
  constexpr auto spread = 20ms;  // well under the default hold of 100 ms
  local_instance local({"--max-environments", "3", "--idle-retire-ms", std::to_string(idle_retire.count())},
                       {}, {bootstrap_binary});
  EXPECT_TRUE(local.wait_for_init()) << local.log();
  warmer_round(local, first_round, spread);
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(idle_retire / 2);  // the warmer's schedule, scaled down
    warmer_round(local, later_rounds, spread);
  }
  const auto log = local.log();
  const auto started = count_lines(log, R"({"level":"INFO","msg":"environment_start")");
  const auto retired = count_lines(log, R"({"level":"INFO","msg":"environment_retired")");
  const auto states = environment_states(local);
  std::size_t warm = 0;
  for (const auto& [id, state] : states) warm += state == "idle" || state == "busy";
  EXPECT_EQ(warm, started - retired) << any_stats(local);
  if (then_ordinary_calls) {
    // Concurrent ordinary calls (they do overlap: with fewer warm environments they start new ones)
    // right after the rounds find warm environments: none starts.
    std::vector<std::thread> callers;
    for (int i = 0; i < 3; ++i) callers.emplace_back([&] { get(local.port(), "/ordinary"); });
    for (auto& t : callers) t.join();
    EXPECT_EQ(count_lines(local.log(), R"({"level":"INFO","msg":"environment_start")"), started)
        << "a cold start";
  }
  return warm;
}

TEST(Warmer, RoundsOfThreeKeepThreeEnvironmentsWarm) {
  EXPECT_EQ(warm_after_rounds(3, 3, true), 3u);
}

TEST(Warmer, RoundsOfOneKeepOne) {
  EXPECT_EQ(warm_after_rounds(3, 1, false), 1u);
}

}  // namespace
}  // namespace tsproxy::local::testing
