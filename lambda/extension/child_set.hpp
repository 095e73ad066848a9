#pragma once
// The processes the extension starts (tailscaled and tailscale CLI commands), each with its output
// forwarded to the log (child_output) and its exit noticed through SIGCHLD (common/process_supervisor).
// Every wait has a deadline; a command that outlives its deadline is killed with its process group.
// Children get SIGKILL if the extension dies, so none outlives it.

#include <sys/types.h>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "common/event_signal.hpp"
#include "common/process_supervisor.hpp"
#include "extension/child_output.hpp"
#include "extension/tailscale_commands.hpp"
#include "tsproxy/engine/deadline.hpp"

namespace tsproxy::extension {

struct command_result {
  std::error_code spawn_error;  // could not be started at all
  bool timed_out = false;       // killed at the deadline
  int exit_code = -1;           // 128 + signal number when killed by a signal
  std::string output;           // the tail of its output, redacted
  bool succeeded() const noexcept { return !spawn_error && !timed_out && exit_code == 0; }
};

class child_set {
 public:
  // `env` is every child's environment (the extension's own).
  child_set(asio::io_context& io, std::vector<std::string> env);

  // Starts `argv`; its output is logged with "from": `source`, with `secret` redacted. `extra_env`
  // (NAME=value) replaces or adds to the shared environment for this child only.
  pid_t start(std::string source, const command_line& argv, std::error_code& ec, std::string secret = {},
              const std::vector<std::string>& extra_env = {});

  bool exited(pid_t pid) const;
  int exit_code(pid_t pid) const;  // valid once exited()
  std::string output_tail(pid_t pid) const;
  // Redacts `secret` from the child's output from now on (it was started before the secret was known).
  void redact(pid_t pid, std::string secret);

  // Waits until the child has exited and its output is read to the end, or `until`; true if it has.
  asio::awaitable<bool> wait_exit(pid_t pid, time_point until);
  // Runs `argv` to its end within `until`, then kills it.
  asio::awaitable<command_result> run(std::string source, const command_line& argv, time_point until,
                                      std::string secret = {});

  // Sends `signal` to the child's process group (nothing once released).
  void signal(pid_t pid, int signal) const;
  // SIGKILL to what is left of the child's group; reaps it.
  void release(pid_t pid);
  // Lets a child that is about to end finish on its own until `until`, then releases it; returns at once.
  void reap_when_done(pid_t pid, time_point until);
  void kill_all();

  // Notified whenever a child exits or its output ends.
  lambda::event_signal& changed() noexcept { return changed_; }

 private:
  struct child {
    std::unique_ptr<child_output> output;
  };

  asio::io_context& io_;
  std::vector<std::string> env_;
  lambda::event_signal changed_;
  lambda::process_supervisor supervisor_;
  std::map<pid_t, child> children_;
};

}  // namespace tsproxy::extension
