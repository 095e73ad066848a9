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

// The e2e suite runs twice: as written, and as its threaded variant, for which ctest sets
// TSPROXY_E2E_THREADED=1: every stack whose test does not choose its own concurrency then runs 8
// invocation loops (AWS_LAMBDA_MAX_CONCURRENCY) on 2 event-loop threads (TSPROXY_THREADS), each thread
// with its own pool.
int e2e_default_concurrency();
// The event-loop threads of a stack at the default concurrency: 2 in the threaded variant, else 1. Each
// has its own pool, so "one warm connection" becomes "one per thread".
int e2e_threads();

struct stack_options {
  std::string invoke_mode = "buffered";
  int max_concurrency = e2e_default_concurrency();
  int timeout_ms = 10000;
  env_vars env;                         // extra environment for the runtime and extensions (TSPROXY_*)
  std::vector<std::string> local_args;  // extra tsproxy-local options, e.g. {"--auth", "aws_iam", ...}
  std::vector<std::string> extensions;  // started before the runtime, as Lambda starts /opt/extensions/*
  // The command tsproxy-local starts as the runtime; empty means this tree's `bootstrap`. The package
  // tests run a packaged bootstrap through chroot or qemu with it.
  std::vector<std::string> bootstrap_command;
  bool exit_on_init_error = false;
};

struct http_reply {
  int status = 0;  // -1 when curl failed (then `body` is curl's log)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased; kept when curl failed
  std::string body;
  // When curl failed after the head arrived (a stream cut short): curl's exit code, the status it had
  // read and how many body bytes it had received.
  int curl_exit = 0;
  int status_before_failure = 0;
  std::size_t body_bytes_before_failure = 0;
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
  const std::filesystem::path& dir() const { return dir_.path(); }  // the stack's scratch directory
  const std::string& runtime_api() const { return runtime_api_; }
  pid_t bootstrap_pid() const;  // the runtime process started by tsproxy-local
  std::string log() const;      // everything tsproxy-local, the runtime and the extensions logged
  // Waits until the log holds `marker` (false after the generous state bound).
  bool wait_for_log(std::string_view marker) const;
  // Whether (and where) `marker` is in the log; std::string::npos if not.
  std::size_t log_position(std::string_view marker) const { return log().find(marker); }
  // SIGTERM to tsproxy-local, as at the end of an environment; its exit code (nullopt: still running).
  std::optional<int> terminate();
  // The pid tsproxy-local logged for the extension it started from `path` (0 if none).
  int extension_pid() const;
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
