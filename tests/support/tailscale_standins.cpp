#include "support/tailscale_standins.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <system_error>

#include "support/net.hpp"
#include "support/wait.hpp"

namespace tsproxy::test {

namespace {

void write_launcher(const std::filesystem::path& path, const std::string& python,
                    const std::filesystem::path& script) {
  write_file(path, "#!/bin/sh\nexec '" + python + "' -S '" + script.string() + "' \"$@\"\n");
  ::chmod(path.c_str(), 0755);
}

}  // namespace

const std::string& python_interpreter() {
  static const std::string interpreter = [] {
    if (const char* python = std::getenv("TSPROXY_TEST_PYTHON")) return std::string(python);
    const auto r = run_command({"python3", "-c", "import sys; print(sys.executable)"});
    std::string path = r.out.substr(0, r.out.find('\n'));
    return r.exit_code == 0 && !path.empty() ? path : std::string("/usr/bin/python3");
  }();
  return interpreter;
}

tailscale_standins::tailscale_standins(tailscale_standin_options options)
    : dir_("tsproxy-tailscale-standins"), options_(std::move(options)), socks5_port_(free_tcp_port()) {
  const std::filesystem::path peers(TSPROXY_TEST_PEERS_DIR);
  const std::string python = options_.python.empty() ? python_interpreter() : options_.python;
  write_launcher(tailscaled(), python, peers / "tailscaled_standin.py");
  write_launcher(tailscale(), python, peers / "tailscale_cli_standin.py");
  write_file(key_file(), options_.auth_key + "\n");
  ::chmod(key_file().c_str(), 0600);
  write_file(dir_ / "record.jsonl", "");
}

const std::string& python_for_sandbox_user() {
  static const std::string found = [] {
    const std::string script = std::string(TSPROXY_TEST_PEERS_DIR) + "/tailscaled_standin.py";
    for (const std::string& python : {python_interpreter(), std::string("/usr/bin/python3")}) {
      // setpriv itself would find a program that user cannot reach: the user's own shell execs it.
      const auto r =
          run_command({"setpriv", "--reuid=" + std::to_string(sandbox_uid),
                       "--regid=" + std::to_string(sandbox_gid), "--clear-groups", "sh", "-c",
                       "exec \"$0\" -S -c \"import json, socketserver; open('$1').close()\"", python, script},
                      std::chrono::seconds(10));
      if (r.exit_code == 0) return python;
    }
    return std::string();
  }();
  return found;
}

bool reachable_by_others(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & S_IROTH) == 0) return false;
  for (auto dir = path.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (::stat(dir.c_str(), &st) != 0 || (st.st_mode & S_IXOTH) == 0) return false;
    if (dir == dir.root_path()) break;
  }
  return true;
}

env_vars tailscale_standins::env() const {
  env_vars env{{"TSPROXY_TAILSCALED_PATH", tailscaled().string()},
               {"TSPROXY_TAILSCALE_PATH", tailscale().string()},
               {"TSPROXY_TAILSCALE_SOCKET", socket_path().string()},
               {"TSPROXY_SOCKS5_ADDRESS", socks5_address()},
               {"TSPROXY_TAILSCALE_AUTH_KEY_FILE", key_file().string()},
               {"TSPROXY_TAILSCALE_STATE_DIR", (dir_ / "state").string()},
               {"TSPROXY_STANDIN_RECORD", (dir_ / "record.jsonl").string()},
               {"TSPROXY_STANDIN_RUNNING_DELAY_MS", std::to_string(options_.running_delay_ms)},
               {"TSPROXY_STANDIN_BACKEND_DELAY_MS", std::to_string(options_.backend_delay_ms)},
               {"PYTHONDONTWRITEBYTECODE", "1"},
               {"PYTHONUNBUFFERED", "1"}};
  if (!options_.valid_keys.empty()) env.emplace_back("TSPROXY_STANDIN_VALID_KEYS", options_.valid_keys);
  if (options_.needs_machine_auth) env.emplace_back("TSPROXY_STANDIN_NEEDS_MACHINE_AUTH", "1");
  if (options_.exit_at_start != 0)
    env.emplace_back("TSPROXY_STANDIN_EXIT_AT_START", std::to_string(options_.exit_at_start));
  if (options_.exit_after_login_ms >= 0)
    env.emplace_back("TSPROXY_STANDIN_EXIT_AFTER_LOGIN_MS", std::to_string(options_.exit_after_login_ms));
  if (options_.ignore_sigterm) env.emplace_back("TSPROXY_STANDIN_IGNORE_SIGTERM", "1");
  if (!options_.peers.empty()) env.emplace_back("TSPROXY_STANDIN_PEERS", options_.peers);
  if (!options_.peer_hostnames.empty())
    env.emplace_back("TSPROXY_STANDIN_PEER_HOSTNAMES", options_.peer_hostnames);
  if (!options_.not_exit_nodes.empty())
    env.emplace_back("TSPROXY_STANDIN_NOT_EXIT_NODES", options_.not_exit_nodes);
  return env;
}

void tailscale_standins::give_to(uid_t uid, gid_t gid) const {
  const auto give = [&](const std::filesystem::path& path) {
    if (::lchown(path.c_str(), uid, gid) != 0)
      throw std::system_error(errno, std::generic_category(), "chown " + path.string());
  };
  give(dir_.path());
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path())) give(entry.path());
}

std::vector<std::string> tailscale_standins::events(std::string_view event) const {
  std::ifstream in(dir_ / "record.jsonl");
  const std::string marker = "{\"event\": \"" + std::string(event) + "\"";
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(marker, 0) == 0) out.push_back(line);
  }
  return out;
}

bool tailscale_standins::wait_for(std::string_view event, std::size_t times) const {
  return wait_until([&] { return count(event) >= times; });
}

std::optional<double> tailscale_standins::time_of(std::string_view event) const {
  const auto lines = events(event);
  if (lines.empty()) return std::nullopt;
  return json_number(lines.front(), "t");
}

int tailscale_standins::tailscaled_pid() const {
  const auto lines = events("started");
  if (lines.empty()) return 0;
  return static_cast<int>(json_number(lines.back(), "pid").value_or(0));
}

std::optional<double> json_number(std::string_view line, std::string_view key) {
  for (const std::string& spaced : {"\"" + std::string(key) + "\": ", "\"" + std::string(key) + "\":"}) {
    const auto at = line.find(spaced);
    if (at == std::string_view::npos) continue;
    const std::string rest(line.substr(at + spaced.size(), 40));
    char* end = nullptr;
    const double value = std::strtod(rest.c_str(), &end);
    if (end != rest.c_str()) return value;
  }
  return std::nullopt;
}

bool process_alive(int pid) {
  if (pid <= 0) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content;
  if (!std::getline(stat, content)) return false;
  const auto close = content.rfind(')');
  return close != std::string::npos && close + 2 < content.size() && content[close + 2] != 'Z';
}

}  // namespace tsproxy::test
