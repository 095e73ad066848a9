#pragma once
// Child processes started without a shell (tsproxy-local's runtime and extensions, the extension's
// tailscaled and tailscale commands). Each child leads its own process group (so helpers it forks are
// signalled with it), gets SIGKILL if its parent dies (PR_SET_PDEATHSIG), and writes its stdout and
// stderr to our stderr, or to a pipe the caller reads. Exits are noticed through SIGCHLD without
// reaping, so a group id stays reserved until release() has killed what is left of the group.

#include <sys/types.h>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <functional>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace tsproxy::lambda {

// The user and group a child runs as (no supplementary groups).
struct child_user {
  uid_t uid = 0;
  gid_t gid = 0;
};

// How a child starts, beyond its argv and environment.
struct spawn_options {
  // Where its stdout and stderr go: with it, a new pipe whose read end (non-blocking, close-on-exec) is
  // stored there and belongs to the caller; without, our stderr.
  int* output = nullptr;
  // The user and group it drops to before exec (which needs the privilege to: else spawn fails, EPERM).
  std::optional<child_user> user;
  // A cgroup.procs file it writes "0" into before exec (and before dropping privileges), so that it and
  // everything it forks live in that cgroup. Empty: ours.
  std::string cgroup_procs;
};

struct child_info {
  std::string name;
  pid_t pid = -1;
  bool exited = false;
  int exit_code = 0;  // 128 + signal number when killed by a signal
  bool released = false;
};

class process_supervisor {
 public:
  using exit_handler = std::function<void(const child_info&)>;

  process_supervisor(asio::io_context& io, exit_handler on_exit);
  ~process_supervisor();

  // Starts argv[0] (a path) with `env`. Fails when the program cannot be executed (or cannot join its
  // cgroup or take its user).
  pid_t spawn(std::string name, const std::vector<std::string>& argv, const std::vector<std::string>& env,
              std::error_code& ec, const spawn_options& options = {});

  // Sends `signal` to the child's whole group (if it has not been released).
  void signal_group(pid_t pid, int signal) const;
  // Kills what is left of an exited child's group and reaps the child.
  void release(pid_t pid);
  // SIGKILL to every group, then reaps every child.
  void kill_all();

  bool all_exited() const;
  // The newest record of `pid`: a released child's record goes once the next exit is noticed (nullptr).
  const child_info* find(pid_t pid) const;

 private:
  asio::awaitable<void> watch();
  void poll_exits();

  asio::io_context& io_;
  exit_handler on_exit_;
  asio::signal_set sigchld_;
  std::vector<child_info> children_;
};

}  // namespace tsproxy::lambda
