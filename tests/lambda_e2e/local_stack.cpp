#include "local_stack.hpp"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace tsproxy::test {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Parses the header block(s) curl wrote with -D; keeps the last response (after interim ones).
void parse_head_file(const std::filesystem::path& file, http_reply& out) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("HTTP/", 0) == 0) {
      out.headers.clear();
      const auto sp = line.find(' ');
      out.status = std::stoi(line.substr(sp + 1, 3));
    } else if (const auto colon = line.find(':'); colon != std::string::npos) {
      auto value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      out.headers.emplace_back(lower(line.substr(0, colon)), value);
    }
  }
}

std::vector<std::string> curl_argv(const std::string& url, const std::vector<std::string>& args,
                                   const std::filesystem::path& head, const std::filesystem::path& body) {
  std::vector<std::string> argv{"curl", "-sS", "--max-time", "60", "-D", head.string(), "-o", body.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  return argv;
}

bool threaded_variant() {
  const char* text = std::getenv("TSPROXY_E2E_THREADED");
  return text != nullptr && std::string_view(text) == "1";
}

}  // namespace

int e2e_default_concurrency() {
  return threaded_variant() ? 8 : 1;
}

int e2e_threads() {
  return threaded_variant() ? 2 : 1;
}

std::string http_reply::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

std::vector<std::string> http_reply::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k == name) out.push_back(v);
  }
  return out;
}

local_stack::local_stack(const std::string& socks_address, stack_options options) : dir_("tsproxy-e2e") {
  std::vector<std::string> argv{TSPROXY_LOCAL_BIN,
                                "--port",
                                "0",
                                "--runtime-port",
                                "0",
                                "--invoke-mode",
                                options.invoke_mode,
                                "--max-concurrency",
                                std::to_string(options.max_concurrency),
                                "--timeout-ms",
                                std::to_string(options.timeout_ms)};
  argv.insert(argv.end(), options.local_args.begin(), options.local_args.end());
  for (const auto& extension : options.extensions) argv.insert(argv.end(), {"--extension", extension});
  if (options.exit_on_init_error) argv.push_back("--exit-on-init-error");
  argv.emplace_back("--");
  if (options.bootstrap_command.empty())
    argv.emplace_back(TSPROXY_BOOTSTRAP_BIN);
  else
    argv.insert(argv.end(), options.bootstrap_command.begin(), options.bootstrap_command.end());
  env_vars env = options.env;
  // The peers stand in for tailnet machines on loopback, a sandbox address tsproxy refuses unless named.
  if (std::none_of(env.begin(), env.end(),
                   [](const auto& kv) { return kv.first == "TSPROXY_ALLOWED_TARGETS"; }))
    env.emplace_back("TSPROXY_ALLOWED_TARGETS", "127.0.0.1:*,[::1]:*");
  if (std::none_of(env.begin(), env.end(), [](const auto& kv) { return kv.first == "TSPROXY_THREADS"; }))
    env.emplace_back("TSPROXY_THREADS", std::to_string(std::min(e2e_threads(), options.max_concurrency)));
  if (std::none_of(env.begin(), env.end(),
                   [](const auto& kv) { return kv.first == "TSPROXY_SOCKS5_ADDRESS"; }))
    env.emplace_back("TSPROXY_SOCKS5_ADDRESS", socks_address);
  env.emplace_back("TSPROXY_INVOKE_MODE", options.invoke_mode);
  local_ = child_process(argv, dir_ / "local.log", env);
  // tsproxy-local announces itself with one JSON line: {"event":"ready","url":...,"runtime_api":...}
  const auto field = [](const std::string& text, std::string_view key) {
    const std::string marker = "\"" + std::string(key) + "\":\"";
    const auto at = text.find(marker);
    if (at == std::string::npos) return std::string();
    const auto begin = at + marker.size();
    return text.substr(begin, text.find('"', begin) - begin);
  };
  bool exited = false;
  const bool ready = wait_until([&] {
    const std::string text = log();
    if (text.find("\"event\":\"ready\"") != std::string::npos) {
      url_ = field(text, "url");
      runtime_api_ = field(text, "runtime_api");
      return true;
    }
    exited = !local_.running();
    return exited;
  });
  if (!ready || exited) local_.fail("tsproxy-local did not report ready");
}

local_stack::~local_stack() = default;

std::string local_stack::log() const {
  return read_file(local_.log_file());
}

bool local_stack::wait_for_log(std::string_view marker) const {
  return wait_until([&] { return log().find(marker) != std::string::npos; });
}

std::optional<int> local_stack::terminate() {
  if (::kill(local_.pid(), SIGTERM) != 0) return std::nullopt;
  return local_.wait_for_exit(std::chrono::seconds(30));
}

int local_stack::extension_pid() const {
  const std::string text = log();
  const auto at = text.find("{\"level\":\"INFO\",\"msg\":\"extension_start\"");
  if (at == std::string::npos) return 0;
  const auto pid = text.find("\"pid\":", at);
  return pid == std::string::npos ? 0 : std::atoi(text.c_str() + pid + 6);
}

http_reply local_stack::request(const std::string& target, const std::vector<std::string>& args) const {
  auto p = start_request(target, args);
  return wait(p);
}

local_stack::pending local_stack::start_request(const std::string& target,
                                                const std::vector<std::string>& args) const {
  static int counter = 0;
  const auto id = std::to_string(++counter);
  pending p{child_process(), dir_ / ("head" + id), dir_ / ("body" + id)};
  p.curl = child_process(curl_argv(url_ + target, args, p.head, p.body), dir_ / ("curl" + id + ".log"));
  return p;
}

http_reply local_stack::wait(pending& p) {
  const auto code = p.curl.wait_for_exit(std::chrono::seconds(90));
  http_reply reply;
  if (!code || *code != 0) {
    if (std::filesystem::exists(p.head)) parse_head_file(p.head, reply);
    reply.status_before_failure = reply.status;
    reply.status = -1;
    reply.curl_exit = code ? *code : -1;
    reply.body_bytes_before_failure =
        std::filesystem::exists(p.body) ? std::filesystem::file_size(p.body) : 0;
    reply.body = read_file(p.curl.log_file());
    return reply;
  }
  parse_head_file(p.head, reply);
  reply.body = std::filesystem::exists(p.body) ? read_file(p.body) : std::string();
  return reply;
}

std::string local_stack::invoke_raw(const std::string& event_json) const {
  const auto body = dir_ / "invoke-result";
  // From a file: an event may be far larger than one command-line argument can be.
  const auto event_file = dir_ / "invoke-event";
  write_file(event_file, event_json);
  const auto r =
      run_command({"curl", "-sS", "--max-time", "30", "-o", body.string(), "--data-binary",
                   "@" + event_file.string(), url_ + "/2015-03-31/functions/function/invocations"});
  if (r.exit_code != 0) return "curl failed: " + r.err;
  return read_file(body);
}

std::string local_stack::stats_json() const {
  const auto r = run_command({"curl", "-sS", "--max-time", "10", "http://" + runtime_api_ + "/local/stats"});
  return r.out;
}

std::optional<double> local_stack::invoke_timing(const std::string& request_id, std::string_view key) const {
  const std::string line_marker =
      "{\"level\":\"INFO\",\"msg\":\"invoke\",\"request_id\":\"" + request_id + "\"";
  const std::string key_marker = "\"" + std::string(key) + "\":";
  std::optional<double> value;
  wait_until([&] {
    const std::string text = log();
    const auto at = text.find(line_marker);
    const auto end = at == std::string::npos ? at : text.find('\n', at);
    if (end == std::string::npos) return false;  // not written (whole) yet
    const auto k = text.find(key_marker, at);
    if (k != std::string::npos && k < end) value = std::strtod(text.c_str() + k + key_marker.size(), nullptr);
    return true;
  });
  return value;
}

pid_t local_stack::bootstrap_pid() const {
  // The runtime is tsproxy-local's child whose command is the bootstrap binary.
  std::ifstream children("/proc/" + std::to_string(local_.pid()) + "/task/" + std::to_string(local_.pid()) +
                         "/children");
  pid_t pid = 0;
  while (children >> pid) {
    std::ifstream cmd("/proc/" + std::to_string(pid) + "/cmdline");
    std::string argv0;
    std::getline(cmd, argv0, '\0');
    if (argv0.find("bootstrap") != std::string::npos) return pid;
  }
  return 0;
}

std::vector<std::string> local_stack::route_to(const std::string& host, std::uint16_t port, bool https) {
  std::vector<std::string> args{"-H", "ts-target-ip: " + host, "-H",
                                "ts-target-port: " + std::to_string(port)};
  if (https) args.insert(args.end(), {"-H", "ts-https: true"});
  return args;
}

namespace {
long status_kib(pid_t pid, std::string_view field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  }
  return -1;
}
}  // namespace

long peak_rss_kib(pid_t pid) {
  return status_kib(pid, "VmHWM:");
}
long current_rss_kib(pid_t pid) {
  return status_kib(pid, "VmRSS:");
}

}  // namespace tsproxy::test
