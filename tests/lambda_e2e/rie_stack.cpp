#include "rie_stack.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/net.hpp"
#include "support/wait.hpp"

namespace tsproxy::test {
namespace {

// Run by `unshare --mount --propagation private sh -c`, with the emulator's layout and address as $1..$6:
// /opt becomes the layers' folder, /var an overlay whose upper layer holds task/ (the function), and the
// shell becomes the emulator, so that its pid is the one the test signals.
constexpr const char* namespace_script =
    "mount --bind \"$1\" /opt && "
    "mount -t overlay overlay -o \"lowerdir=/var,upperdir=$2,workdir=$3\" /var && "
    "cd /var/task && exec \"$4\" --runtime-interface-emulator-address \"$5\" --runtime-api-address \"$6\"";

struct layout {
  std::filesystem::path opt, var_upper, var_work;
};

layout make_layout(const std::filesystem::path& dir) {
  layout l{dir / "opt", dir / "var-upper", dir / "var-work"};
  std::filesystem::create_directories(l.opt / "extensions");
  std::filesystem::create_directories(l.var_upper / "task");
  std::filesystem::create_directories(l.var_work);
  // The mount roots stand for /opt and /var: readable by every user, as theirs are (the runtime and the
  // extensions may run as another user).
  constexpr auto open = std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                        std::filesystem::perms::group_exec | std::filesystem::perms::others_read |
                        std::filesystem::perms::others_exec;
  for (const auto& d : {l.opt, l.opt / "extensions", l.var_upper, l.var_upper / "task"})
    std::filesystem::permissions(d, open);
  return l;
}

void install(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::permissions(to, std::filesystem::perms::owner_all | std::filesystem::perms::group_read |
                                       std::filesystem::perms::group_exec |
                                       std::filesystem::perms::others_read |
                                       std::filesystem::perms::others_exec);
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The parent pid of a process (field 4 of /proc/<pid>/stat, after the parenthesised name), 0 if gone.
pid_t parent_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return 0;
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(stat.substr(close + 2));
  char state = 0;
  pid_t parent = 0;
  rest >> state >> parent;
  return parent;
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
      out.push_back(std::atoi(name.c_str()));
  }
  return out;
}

std::vector<pid_t> descendants_of(pid_t root) {
  std::vector<std::pair<pid_t, pid_t>> parents;  // (pid, parent)
  for (const pid_t pid : all_pids()) parents.emplace_back(pid, parent_of(pid));
  std::vector<pid_t> out{root};
  for (std::size_t i = 0; i < out.size(); ++i) {
    for (const auto& [pid, parent] : parents) {
      if (parent == out[i]) out.push_back(pid);
    }
  }
  out.erase(out.begin());
  return out;
}

}  // namespace

std::filesystem::path rie_binary() {
  if (const char* path = std::getenv("TSPROXY_RIE"); path != nullptr && *path != '\0') return path;
  return TSPROXY_RIE_BIN;
}

const std::string& rie_unavailable() {
  static const std::string reason = []() -> std::string {
    const auto rie = rie_binary();
    if (::access(rie.c_str(), X_OK) != 0)
      return "AWS's Runtime Interface Emulator is not at " + rie.string() +
             " (set TSPROXY_RIE to its aws-lambda-rie executable)";
    if (::geteuid() != 0)
      return "the emulator finds extensions only in /opt/extensions and the function in /var/task: giving it "
             "those in a private mount namespace needs root";
    // The same mounts as a stack makes, with `true` as the emulator.
    const temp_dir dir("tsproxy-rie-probe");
    const auto l = make_layout(dir.path());
    const auto r = run_command(
        {"unshare", "--mount", "--propagation", "private", "sh", "-c", namespace_script, "sh", l.opt.string(),
         l.var_upper.string(), l.var_work.string(), "true", "127.0.0.1:1", "127.0.0.1:2"},
        std::chrono::seconds(10));
    if (r.exit_code != 0)
      return "cannot give the emulator /opt and /var/task in a private mount namespace (unshare, mount "
             "--bind, "
             "overlay): " +
             r.err;
    return {};
  }();
  return reason;
}

rie_stack::rie_stack(rie_options options) : dir_("tsproxy-rie") {
  // A port from free_tcp_port() can be taken before the emulator binds it: then it exits at once, and the
  // next attempt takes other ports.
  for (int attempt = 1;; ++attempt) {
    try {
      start(options);
      return;
    } catch (const child_exited_error& e) {
      if (attempt >= 3 || lowercase(e.what()).find("address already in use") == std::string::npos) throw;
    }
  }
}

void rie_stack::start(const rie_options& options) {
  const auto l = make_layout(dir_.path());
  install(options.bootstrap, l.var_upper / "task" / "bootstrap");
  for (const auto& extension : options.extensions)
    install(extension, l.opt / "extensions" / extension.filename());
  port_ = free_tcp_port();
  const std::string address = std::string(loopback_ipv4) + ":" + std::to_string(port_);
  const std::string runtime_api = std::string(loopback_ipv4) + ":" + std::to_string(free_tcp_port());
  std::vector<std::string> argv;
  env_vars env = options.env;
  if (options.mode == rie_mode::managed_instances) {
    env.emplace_back("AWS_LAMBDA_MAX_CONCURRENCY", std::to_string(options.max_concurrency));
  } else {
    argv = {"env", "-u", "AWS_LAMBDA_MAX_CONCURRENCY"};  // its presence alone means managed instances
  }
  argv.insert(argv.end(), {"unshare", "--mount", "--propagation", "private", "sh", "-c", namespace_script,
                           "sh", l.opt.string(), l.var_upper.string(), l.var_work.string(),
                           rie_binary().string(), address, runtime_api});
  rie_ = child_process(argv, dir_ / "rie.log", env);
  rie_.wait_for_tcp_port(loopback_ipv4, port_);
}

rie_stack::~rie_stack() {
  // The emulator starts its children in process groups of their own (Setpgid: local_supervisor.go:82,
  // process.go:107), out of reach of child_process's group signal: let it stop them, and kill whatever it
  // left, by the pids it had started.
  if (rie_.running()) terminate();
  rie_.stop();
  for (const pid_t pid : started_) {
    if (::kill(pid, SIGKILL) == 0) ::waitpid(pid, nullptr, 0);  // ours once the emulator is gone (subreaper)
  }
}

invocation_result post_invocation(const std::string& base_url, const std::string& event_json,
                                  const std::filesystem::path& scratch) {
  static int counter = 0;
  const auto id = std::to_string(++counter);
  const auto event_file = scratch / ("event" + id);
  const auto result_file = scratch / ("result" + id);
  write_file(event_file, event_json);  // from a file: an event may be larger than an argument can be
  const auto r = run_command(
      {"curl", "-sS", "--max-time", "60", "-o", result_file.string(), "-w", "%{http_code}", "--data-binary",
       "@" + event_file.string(), base_url + "/2015-03-31/functions/function/invocations"},
      std::chrono::seconds(70));
  if (r.exit_code != 0) return {-1, "curl failed: " + r.err};
  return {std::atoi(r.out.c_str()),
          std::filesystem::exists(result_file) ? read_file(result_file) : std::string()};
}

invocation_result rie_stack::invoke(const std::string& event_json) const {
  return post_invocation("http://" + std::string(loopback_ipv4) + ":" + std::to_string(port_), event_json,
                         dir_.path());
}

std::string rie_stack::log() const {
  return read_file(rie_.log_file());
}

bool rie_stack::wait_for_log(std::string_view marker) const {
  bool found = false;
  wait_until([&] {
    found = log().find(marker) != std::string::npos;
    return found || !rie_.running();
  });
  return found || log().find(marker) != std::string::npos;
}

std::optional<int> rie_stack::terminate() {
  for (const pid_t pid : descendants_of(rie_.pid())) {
    if (std::find(started_.begin(), started_.end(), pid) == started_.end()) started_.push_back(pid);
  }
  if (::kill(rie_.pid(), SIGTERM) != 0) return std::nullopt;
  return rie_.wait_for_exit(std::chrono::seconds(30));
}

std::vector<pid_t> rie_stack::children() const {
  std::vector<pid_t> out;
  for (const pid_t pid : all_pids()) {
    if (parent_of(pid) == rie_.pid()) out.push_back(pid);
  }
  return out;
}

std::optional<process_owner> owner_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  process_owner owner;
  bool uid = false, gid = false;
  for (std::string line; std::getline(in, line);) {
    // "Uid:\treal\teffective\tsaved\tfs"
    if (line.rfind("Uid:", 0) == 0) uid = static_cast<bool>(std::istringstream(line.substr(4)) >> owner.uid);
    if (line.rfind("Gid:", 0) == 0) gid = static_cast<bool>(std::istringstream(line.substr(4)) >> owner.gid);
  }
  if (!uid || !gid) return std::nullopt;
  return owner;
}

std::string command_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

}  // namespace tsproxy::test
