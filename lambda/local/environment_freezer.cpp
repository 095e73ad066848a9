#include "environment_freezer.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <fstream>

namespace tsproxy::local {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view cgroup_prefix = "tsproxy-local-";

// This process's cgroup v2 directory: its path from /proc/self/cgroup ("0::/path") below the cgroup2
// mount point from /proc/self/mountinfo. Empty when there is none.
fs::path own_cgroup_directory() {
  std::ifstream cgroups("/proc/self/cgroup");
  std::string line;
  std::string own;
  while (std::getline(cgroups, line)) {
    if (line.starts_with("0::")) own = line.substr(3);
  }
  if (own.empty()) return {};
  std::ifstream mounts("/proc/self/mountinfo");
  while (std::getline(mounts, line)) {
    // "<id> <parent> <dev> <root> <mount point> <options> [fields...] - <type> <source> <options>"
    const auto separator = line.find(" - cgroup2 ");
    if (separator == std::string::npos) continue;
    std::vector<std::string> fields;
    std::size_t at = 0;
    while (fields.size() < 5 && at < separator) {
      const auto end = line.find(' ', at);
      fields.push_back(line.substr(at, end - at));
      at = end + 1;
    }
    if (fields.size() < 5) continue;
    const std::string& root = fields[3];
    if (root != "/" && !own.starts_with(root)) continue;
    return fs::path(fields[4]) / fs::path(root == "/" ? own : own.substr(root.size())).relative_path();
  }
  return {};
}

bool write_file(const fs::path& path, std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// Whether a child can join `cgroup`, as each environment's processes do before exec.
bool child_can_join(const fs::path& cgroup) {
  const std::string procs = (cgroup / "cgroup.procs").string();
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    const int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    ::_exit(fd >= 0 && ::write(fd, "0", 1) == 1 ? 0 : 1);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// Environment cgroups of tsproxy-local processes that no longer exist ("tsproxy-local-<pid>-...").
void remove_abandoned_cgroups(const fs::path& parent) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(cgroup_prefix)) continue;
    pid_t owner = 0;
    const char* digits = name.data() + cgroup_prefix.size();
    const auto [end, error] = std::from_chars(digits, name.data() + name.size(), owner);
    if (error != std::errc() || end == digits) continue;
    if (::kill(owner, 0) != 0 && errno == ESRCH) ::rmdir(entry.path().c_str());
  }
}

fs::path environment_cgroup(std::string_view name) {
  const auto parent = own_cgroup_directory();
  if (parent.empty()) return {};
  return parent / (std::string(cgroup_prefix) + std::to_string(::getpid()) + "-" + std::string(name));
}

// The parent pid from /proc/<pid>/stat: the field after the command, which is in parentheses and may
// itself hold spaces and parentheses.
pid_t parent_of(std::string_view pid) {
  std::ifstream stat("/proc/" + std::string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const auto close = text.rfind(')');
  if (close == std::string::npos || close + 4 >= text.size()) return -1;
  const auto ppid_at = text.find(' ', close + 3);  // ") S <ppid>"
  if (ppid_at == std::string::npos) return -1;
  pid_t parent = -1;
  std::from_chars(text.data() + ppid_at + 1, text.data() + text.size(), parent);
  return parent;
}

// Processes whose parent is in `parents` and that are not in it themselves.
std::vector<pid_t> children_of(const std::set<pid_t>& parents) {
  std::vector<pid_t> children;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return children;
  while (const dirent* entry = ::readdir(proc)) {
    pid_t pid = 0;
    const std::string_view name(entry->d_name);
    const auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (error != std::errc() || end != name.data() + name.size()) continue;
    if (!parents.contains(pid) && parents.contains(parent_of(name))) children.push_back(pid);
  }
  ::closedir(proc);
  return children;
}

}  // namespace

std::string_view freeze_mode_name(freeze_mode mode) noexcept {
  switch (mode) {
    case freeze_mode::off:
      return "off";
    case freeze_mode::automatic:
      return "auto";
    case freeze_mode::cgroup:
      return "cgroup";
    case freeze_mode::signal:
      return "signal";
  }
  return "off";
}

freeze_mode resolve_freeze_mode(freeze_mode requested, std::string& error) {
  if (requested == freeze_mode::off || requested == freeze_mode::signal) return requested;
  const auto probe = environment_cgroup("probe");
  bool usable = false;
  if (!probe.empty()) {
    remove_abandoned_cgroups(probe.parent_path());
    if (::mkdir(probe.c_str(), 0755) == 0) {
      usable = fs::exists(probe / "cgroup.freeze") && child_can_join(probe);
      ::rmdir(probe.c_str());
    }
  }
  if (usable) return freeze_mode::cgroup;
  if (requested == freeze_mode::automatic) return freeze_mode::signal;
  error = probe.empty() ? "--freeze cgroup: no cgroup v2 hierarchy holds this process"
                        : "--freeze cgroup: cannot make a cgroup that a child can join below " +
                              probe.parent_path().string();
  return freeze_mode::off;
}

environment_freezer::environment_freezer(freeze_mode mode, int environment_id) : mode_(mode) {
  if (mode_ != freeze_mode::cgroup) return;
  cgroup_ = environment_cgroup("env-" + std::to_string(environment_id));
  if (cgroup_.empty() || ::mkdir(cgroup_.c_str(), 0755) != 0) {
    cgroup_.clear();
    mode_ = freeze_mode::signal;
    return;
  }
  cgroup_procs_ = (cgroup_ / "cgroup.procs").string();
}

environment_freezer::~environment_freezer() {
  close();
}

void environment_freezer::close() {
  thaw();
  if (!cgroup_.empty() && ::rmdir(cgroup_.c_str()) == 0) cgroup_.clear();
}

std::error_code environment_freezer::freeze(const std::set<pid_t>& processes) {
  if (frozen_ || mode_ == freeze_mode::off) return {};
  if (mode_ == freeze_mode::cgroup) {
    if (!write_file(cgroup_ / "cgroup.freeze", "1")) return {errno, std::system_category()};
    frozen_ = true;
    return {};
  }
  frozen_ = true;
  return stop_tree(processes);
}

std::error_code environment_freezer::stop_tree(const std::set<pid_t>& processes) {
  // Parents first, then their children, until no new ones appear: a stopped process forks no more, and a
  // child forked just before its parent stopped is found in the next pass.
  std::set<pid_t> seen(processes.begin(), processes.end());
  std::vector<pid_t> next(processes.begin(), processes.end());
  std::error_code first_error;
  while (!next.empty()) {
    for (const pid_t pid : next) {
      if (::kill(pid, SIGSTOP) == 0)
        stopped_.push_back(pid);
      else if (errno != ESRCH && !first_error)
        first_error = {errno, std::system_category()};
    }
    next = children_of(seen);
    seen.insert(next.begin(), next.end());
  }
  return first_error;
}

void environment_freezer::thaw() {
  if (!frozen_) return;
  frozen_ = false;
  if (mode_ == freeze_mode::cgroup) {
    write_file(cgroup_ / "cgroup.freeze", "0");
    return;
  }
  for (const pid_t pid : stopped_) ::kill(pid, SIGCONT);
  stopped_.clear();
}

void environment_freezer::kill_remaining() {
  if (!cgroup_.empty()) write_file(cgroup_ / "cgroup.kill", "1");
}

}  // namespace tsproxy::local
