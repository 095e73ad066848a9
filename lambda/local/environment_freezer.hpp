#pragma once
// Lambda freezes an execution environment "when the runtime and each extension have completed and there
// are no pending events", and thaws it for the next event
// (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-invoke);
// Managed Instances never freeze ("continuous operation", lambda-managed-instances-execution-environment).
// While frozen none of the environment's processes runs: timers fire late, peers close idle connections.
//
// Two mechanisms. cgroup v2's freezer: each process joins the environment's own cgroup before exec, so
// whatever it forks later (tailscaled) is frozen with it. Where no cgroup can be made (not root, no
// cgroup2 mount): SIGSTOP to each process and every descendant, SIGCONT to thaw.

#include <sys/types.h>

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace tsproxy::local {

// `automatic`: cgroup where one can be made, else signal.
enum class freeze_mode { off, automatic, cgroup, signal };

std::string_view freeze_mode_name(freeze_mode mode) noexcept;

// The mechanism `requested` gets on this machine (never `automatic`); `cgroup` requested where no cgroup
// can be made is an error (set in `error`, the mode returned is `off`). Also removes environment cgroups
// that earlier tsproxy-local processes left behind (they died before removing them).
freeze_mode resolve_freeze_mode(freeze_mode requested, std::string& error);

class environment_freezer {
 public:
  // `mode` from resolve_freeze_mode(). A cgroup that cannot be made falls back to signal.
  environment_freezer(freeze_mode mode, int environment_id);
  ~environment_freezer();
  environment_freezer(const environment_freezer&) = delete;
  environment_freezer& operator=(const environment_freezer&) = delete;

  freeze_mode mode() const noexcept { return mode_; }
  // The cgroup.procs file a child writes "0" into before exec to join the environment's cgroup; empty
  // without a cgroup.
  const std::string& cgroup_procs() const noexcept { return cgroup_procs_; }

  // Stops `processes` and everything they forked. Nothing when off or already frozen.
  std::error_code freeze(const std::set<pid_t>& processes);
  // Lets them run again. Nothing when not frozen.
  void thaw();
  bool frozen() const noexcept { return frozen_; }
  // SIGKILL to whatever is left in the environment's cgroup (descendants that left their parent's process
  // group); nothing without a cgroup.
  void kill_remaining();
  // The environment is gone: thaws what is left and removes its cgroup (which fails while a process is
  // still inside: the next tsproxy-local removes it then).
  void close();

 private:
  std::error_code stop_tree(const std::set<pid_t>& processes);

  freeze_mode mode_;
  std::filesystem::path cgroup_;
  std::string cgroup_procs_;
  bool frozen_ = false;
  std::vector<pid_t> stopped_;  // signal: what SIGCONT goes to, parents first
};

}  // namespace tsproxy::local
