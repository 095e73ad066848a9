#pragma once
// The whole product on one machine, as real processes: tsproxy-local (playing Lambda and the
// Function URL) running the `bootstrap` runtime, a SOCKS5 listener, and upstreams. Requests are
// made with curl, exactly as a caller's HTTP client would.

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/peers.hpp"

namespace tsproxy::test {

struct stack_options {
  std::string invoke_mode = "buffered";
  int max_concurrency = 1;
  int timeout_ms = 10000;
  env_vars env;  // extra environment for the runtime (TSPROXY_*)
};

struct http_reply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;
  std::string header(std::string_view name) const;
  std::vector<std::string> all(std::string_view name) const;
};

class local_stack {
 public:
  local_stack(const std::string& socks_address, stack_options options = {});
  ~local_stack();

  // curl against the Function URL; `args` are extra curl arguments (headers, -X, --data-binary ...).
  http_reply request(const std::string& target, const std::vector<std::string>& args = {}) const;
  // Starts the request in the background; `wait` returns its reply.
  struct pending {
    child_process curl;
    std::filesystem::path head, body;
  };
  pending start_request(const std::string& target, const std::vector<std::string>& args = {}) const;
  static http_reply wait(pending& p);

  // Raw invocation with an arbitrary event (not a Function URL request), as `aws lambda invoke` does.
  std::string invoke_raw(const std::string& event_json) const;

  const std::string& url() const { return url_; }
  const std::string& runtime_api() const { return runtime_api_; }
  pid_t bootstrap_pid() const;     // the runtime process started by tsproxy-local
  std::string log() const;         // everything tsproxy-local and the runtime logged
  std::string stats_json() const;  // GET /local/stats on the Runtime API port
  // A number from the emulator's invoke log line for `request_id` (e.g. "handoff_to_response_ms",
  // timed by the emulator from handoff to result, so no process start-up is in it); waits for the
  // line, which is written just after the response.
  std::optional<double> invoke_timing(const std::string& request_id, std::string_view key) const;

  static std::vector<std::string> route_to(const std::string& host, std::uint16_t port, bool https = false);

 private:
  temp_dir dir_;
  child_process local_;
  std::string url_;
  std::string runtime_api_;
};

// Peak (VmHWM) and current (VmRSS) resident memory of a process, in KiB.
long peak_rss_kib(pid_t pid);
long current_rss_kib(pid_t pid);

}  // namespace tsproxy::test
