#include "common/process_supervisor.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::lambda {

namespace {

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

[[noreturn]] void report_and_exit(int error_pipe) {
  const int error = errno;
  [[maybe_unused]] auto n = ::write(error_pipe, &error, sizeof error);
  ::_exit(127);
}

// Runs in the forked child: only async-signal-safe calls until execve (one thread: setgroups touches no
// other). `output` is the write end of the caller's pipe, or -1 for our stderr.
[[noreturn]] void exec_child(char* const* argv, char* const* envp, int error_pipe, int output, pid_t parent,
                             const child_user* user, const char* cgroup_procs) {
  ::setpgid(0, 0);
  if (*cgroup_procs != '\0') {
    // Before the uid change: the cgroup's files belong to the user who made it.
    const int fd = ::open(cgroup_procs, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0", 1) != 1) report_and_exit(error_pipe);
    ::close(fd);
  }
  if (user != nullptr) {
    // Groups first: once the uid is dropped, they can no longer be changed.
    if (::setgroups(0, nullptr) != 0 || ::setgid(user->gid) != 0 || ::setuid(user->uid) != 0)
      report_and_exit(error_pipe);
  }
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);       // after the uid change, which clears it
  if (::getppid() != parent) ::_exit(127);  // the parent died before the line above
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::signal(SIGPIPE, SIG_DFL);  // ignored in tsproxy-local; an ignored disposition survives exec
  if (output >= 0) {
    ::dup2(output, STDERR_FILENO);
    if (output != STDERR_FILENO) ::close(output);
  }
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  // Keep 0-2 and the error pipe (moved to 3, close-on-exec); close every other inherited descriptor.
  if (error_pipe != 3) {
    ::dup2(error_pipe, 3);
    ::close(error_pipe);
  }
  ::fcntl(3, F_SETFD, FD_CLOEXEC);
  if (::close_range(4, ~0U, 0) != 0) {
    const long max_fd = ::sysconf(_SC_OPEN_MAX);
    for (int fd = 4; fd < (max_fd > 0 && max_fd < 65536 ? max_fd : 65536); ++fd) ::close(fd);
  }
  ::execve(argv[0], argv, envp);
  report_and_exit(3);
}

}  // namespace

process_supervisor::process_supervisor(asio::io_context& io, exit_handler on_exit)
    : io_(io), on_exit_(std::move(on_exit)), sigchld_(io, SIGCHLD) {
  spawn_reported(io_.get_executor(), "process_supervisor", watch());
}

process_supervisor::~process_supervisor() {
  kill_all();
}

pid_t process_supervisor::spawn(std::string name, const std::vector<std::string>& argv,
                                const std::vector<std::string>& env, std::error_code& ec,
                                const spawn_options& options) {
  int* const output = options.output;
  ec.clear();
  if (argv.empty()) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return -1;
  }
  auto args = c_strings(argv);
  auto envp = c_strings(env);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    ec = std::error_code(errno, std::system_category());
    return -1;
  }
  int output_fds[2] = {-1, -1};  // read end for the caller, write end for the child
  if (output != nullptr && ::pipe2(output_fds, O_CLOEXEC) != 0) {
    ec = std::error_code(errno, std::system_category());
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return -1;
  }
  const auto close_output = [&output_fds] {
    for (int& fd : output_fds) {
      if (fd >= 0) ::close(fd);
      fd = -1;
    }
  };
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ec = std::error_code(errno, std::system_category());
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    close_output();
    return -1;
  }
  if (pid == 0) {
    ::close(pipe_fds[0]);
    exec_child(args.data(), envp.data(), pipe_fds[1], output_fds[1], parent,
               options.user ? &*options.user : nullptr, options.cgroup_procs.c_str());
  }
  ::setpgid(pid, pid);  // also from the parent, so signal_group works before the child runs
  ::close(pipe_fds[1]);
  if (output_fds[1] >= 0) ::close(output_fds[1]);
  output_fds[1] = -1;
  int child_errno = 0;
  ssize_t n;
  do {
    n = ::read(pipe_fds[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  ::close(pipe_fds[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {  // exec failed
    int status = 0;
    ::waitpid(pid, &status, 0);
    ec = std::error_code(child_errno, std::system_category());
    close_output();
    return -1;
  }
  if (output != nullptr) {
    ::fcntl(output_fds[0], F_SETFL, ::fcntl(output_fds[0], F_GETFL) | O_NONBLOCK);
    *output = output_fds[0];
  }
  children_.push_back({std::move(name), pid});
  return pid;
}

void process_supervisor::signal_group(pid_t pid, int signal) const {
  const auto* child = find(pid);
  if (child && !child->released) ::kill(-pid, signal);
}

void process_supervisor::release(pid_t pid) {
  for (auto& child : children_) {
    if (child.pid != pid || child.released) continue;
    ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!child.exited) {
      child.exited = true;
      child.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    child.released = true;
  }
}

void process_supervisor::kill_all() {
  for (auto& child : children_) {
    if (!child.released) release(child.pid);
  }
}

bool process_supervisor::all_exited() const {
  for (const auto& child : children_) {
    if (!child.exited) return false;
  }
  return true;
}

const child_info* process_supervisor::find(pid_t pid) const {
  // Newest first: a released child's pid may have been given to a new one.
  for (auto child = children_.rbegin(); child != children_.rend(); ++child) {
    if (child->pid == pid) return &*child;
  }
  return nullptr;
}

void process_supervisor::poll_exits() {
  // Released children were reaped: their records go, so that a long life of short children (tsproxy-local's
  // retired environments) keeps none. Only here, never while the loop below runs its handlers.
  std::erase_if(children_, [](const child_info& child) { return child.released; });
  for (std::size_t i = 0; i < children_.size(); ++i) {
    auto& child = children_[i];
    if (child.exited) continue;
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(child.pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid != child.pid) {
      continue;
    }
    child.exited = true;
    child.exit_code = info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
    const child_info copy = child;  // the handler may spawn and grow children_
    if (on_exit_) on_exit_(copy);
  }
}

asio::awaitable<void> process_supervisor::watch() {
  for (;;) {
    auto [ec, signal] = co_await sigchld_.async_wait(use_tuple);
    if (ec == asio::error::operation_aborted) co_return;
    poll_exits();
  }
}

}  // namespace tsproxy::lambda
