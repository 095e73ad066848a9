#include "support/process.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <system_error>

#include "support/net.hpp"

extern char** environ;  // NOLINT: POSIX global, not declared by any header in C++ mode

namespace tsproxy::test {
namespace {

using clock_type = std::chrono::steady_clock;

std::chrono::milliseconds remaining(clock_type::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()));
}

std::string join_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !arg.empty() && arg.find_first_of(" \t'\"\\$;&|<>") == std::string::npos;
    out += plain ? arg : "'" + arg + "'";
  }
  return out;
}

// execve does not search PATH, and execvpe may allocate after fork, so resolve before forking.
std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    auto colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  throw std::runtime_error("cannot run '" + name + "': not found in PATH");
}

std::vector<std::string> build_environment(const env_vars& extra_env) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::string_view key = text.substr(0, text.find('='));
    bool overridden =
        std::any_of(extra_env.begin(), extra_env.end(), [&](const auto& kv) { return kv.first == key; });
    if (!overridden) env.emplace_back(text);
  }
  for (const auto& [key, value] : extra_env) env.push_back(std::string(key).append("=").append(value));
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Without this, helpers forked by a server (danted's children) that outlive it would be reparented
// to init, and we could neither wait for nor reap them.
void become_subreaper_once() {
  static std::once_flag once;
  std::call_once(once, [] { ::prctl(PR_SET_CHILD_SUBREAPER, 1); });
}

int exit_code_from_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Forks and execs argv; returns once exec succeeded, so the child is already its own group leader.
pid_t spawn(const std::vector<std::string>& argv, const env_vars& extra_env, int out_fd, int err_fd) {
  if (argv.empty()) throw std::invalid_argument("child_process: empty argv");
  become_subreaper_once();
  const std::string program = resolve_program(argv[0]);
  std::vector<std::string> args = argv;
  std::vector<std::string> env = build_environment(extra_env);
  std::vector<char*> arg_ptrs = pointers(args);
  std::vector<char*> env_ptrs = pointers(env);

  int exec_error_pipe[2];
  if (::pipe2(exec_error_pipe, O_CLOEXEC) != 0)
    throw std::system_error(errno, std::generic_category(), "pipe2");
  unique_fd error_read(exec_error_pipe[0]);
  unique_fd error_write(exec_error_pipe[1]);
  unique_fd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here to execve: the test process is multithreaded.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    ::setpgid(0, 0);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig)
      ::sigaction(sig, &default_action, nullptr);  // ignored ones survive exec
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    const int targets[3] = {0, 1, 2};
    const int sources[3] = {dev_null.get(), out_fd, err_fd};
    for (int i = 0; i < 3; ++i) {
      if (sources[i] == targets[i])
        ::fcntl(targets[i], F_SETFD, 0);
      else
        ::dup2(sources[i], targets[i]);
    }
    // Descriptors the test process opened without CLOEXEC (sockets under test) must not live on in a
    // server, or closing them in the test would not close the connection.
    ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execve(program.c_str(), arg_ptrs.data(), env_ptrs.data());
    int error = errno;
    [[maybe_unused]] auto ignored = ::write(error_write.get(), &error, sizeof error);
    ::_exit(127);
  }
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  error_write.reset();

  int error = 0;
  ssize_t n;
  do {
    n = ::read(error_read.get(), &error, sizeof error);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    ::waitpid(pid, nullptr, 0);
    throw std::runtime_error("cannot exec '" + join_command(argv) + "': " + std::strerror(error));
  }
  return pid;
}

int open_log(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open log file " + path.string());
  return fd;
}

std::string read_all(int fd) {
  std::string out;
  ::lseek(fd, 0, SEEK_SET);
  char buffer[8192];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

}  // namespace

child_process::child_process(std::vector<std::string> argv, std::filesystem::path log_file,
                             const env_vars& extra_env)
    : argv_(std::move(argv)), log_file_(std::move(log_file)) {
  unique_fd log(open_log(log_file_));
  pid_ = spawn(argv_, extra_env, log.get(), log.get());
  // -1 on kernels without pidfd; waits then fall back to short polls.
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
}

child_process::~child_process() {
  stop();
}

child_process::child_process(child_process&& other) noexcept
    : argv_(std::move(other.argv_)),
      log_file_(std::move(other.log_file_)),
      pid_(std::exchange(other.pid_, -1)),
      pidfd_(std::exchange(other.pidfd_, -1)),
      exit_code_(other.exit_code_) {}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    stop();
    argv_ = std::move(other.argv_);
    log_file_ = std::move(other.log_file_);
    pid_ = std::exchange(other.pid_, -1);
    pidfd_ = std::exchange(other.pidfd_, -1);
    exit_code_ = other.exit_code_;
  }
  return *this;
}

namespace {

// The exit code of an exited but unreaped child, without reaping it.
std::optional<int> peek_exit(pid_t pid) {
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD ? std::optional<int>(-1) : std::nullopt;  // reaped behind our back
  }
  if (info.si_pid != pid) return std::nullopt;
  return info.si_code == CLD_EXITED ? info.si_status : 128 + info.si_status;
}

}  // namespace

bool child_process::running() const {
  return pid_ > 0 && !peek_exit(pid_);
}

bool child_process::await_exit_unreaped(std::chrono::milliseconds timeout) const {
  const auto deadline = clock_type::now() + timeout;
  while (true) {
    if (peek_exit(pid_)) return true;
    auto left = remaining(deadline);
    if (left.count() == 0) return false;
    if (pidfd_ >= 0) {
      pollfd pfd{pidfd_, POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(left.count()));
    } else {
      ::poll(nullptr, 0, static_cast<int>(std::min<long long>(left.count(), 5)));
    }
  }
}

std::optional<int> child_process::wait_for_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return exit_code_;
  if (!await_exit_unreaped(timeout)) return std::nullopt;
  return peek_exit(pid_);
}

int child_process::stop() noexcept {
  if (pid_ <= 0) return exit_code_.value_or(-1);
  if (!peek_exit(pid_)) {
    ::kill(-pid_, SIGTERM);
    await_exit_unreaped(std::chrono::seconds(2));
  }
  // The leader is a zombie or still alive, so its pid (our group id) cannot have been reused yet.
  ::kill(-pid_, SIGKILL);
  int status = 0;
  pid_t reaped;
  do {
    reaped = ::waitpid(pid_, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  int code = reaped == pid_ ? exit_code_from_status(status) : -1;

  // Group members that outlived the leader were reparented to us (we are a subreaper): reap them.
  const auto deadline = clock_type::now() + std::chrono::seconds(2);
  while (true) {
    while (::waitpid(-pid_, nullptr, WNOHANG) > 0) {
    }
    if (::kill(-pid_, 0) != 0 || remaining(deadline).count() == 0) break;
    ::poll(nullptr, 0, 1);
  }
  release();
  exit_code_ = code;
  return code;
}

void child_process::release() noexcept {
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  pid_ = -1;
}

void child_process::wait_for_tcp_port(const std::string& host, std::uint16_t port,
                                      std::chrono::milliseconds timeout) const {
  const std::string where = host + " port " + std::to_string(port);
  const auto deadline = clock_type::now() + timeout;
  std::error_code last_error;
  while (true) {
    if (auto code = peek_exit(pid_))
      fail("exited with code " + std::to_string(*code) + " before listening on " + where);
    unique_fd fd = connect_tcp(
        host, port,
        std::clamp(remaining(deadline), std::chrono::milliseconds(1), std::chrono::milliseconds(250)),
        last_error);
    if (fd) {
      // Losing a port race to another listener also connects; make sure it is still our child.
      if (auto code = peek_exit(pid_))
        fail("exited with code " + std::to_string(*code) + " while starting on " + where);
      return;
    }
    if (remaining(deadline).count() == 0) {
      fail("not listening on " + where + " after " + std::to_string(timeout.count()) +
           " ms (last connect error: " + last_error.message() + ")");
    }
    await_exit_unreaped(
        std::min(remaining(deadline), std::chrono::milliseconds(10)));  // a sleep that ends early on exit
  }
}

void child_process::wait_for_file(const std::filesystem::path& file,
                                  std::chrono::milliseconds timeout) const {
  const auto deadline = clock_type::now() + timeout;
  while (true) {
    std::error_code ec;
    if (std::filesystem::file_size(file, ec) > 0 && !ec) return;
    if (auto code = peek_exit(pid_)) {
      fail("exited with code " + std::to_string(*code) + " before writing " + file.string());
    }
    if (remaining(deadline).count() == 0) {
      fail(file.string() + " not written after " + std::to_string(timeout.count()) + " ms");
    }
    await_exit_unreaped(std::min(remaining(deadline), std::chrono::milliseconds(5)));
  }
}

std::string child_process::log_tail(std::size_t max_bytes) const {
  std::ifstream in(log_file_, std::ios::binary | std::ios::ate);
  if (!in) return "(no log file " + log_file_.string() + ")";
  const auto size = static_cast<std::size_t>(in.tellg());
  const std::size_t start = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string tail(size - start, '\0');
  in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  if (start > 0) {
    auto newline = tail.find('\n');
    if (newline != std::string::npos) tail.erase(0, newline + 1);  // start at a whole line
  }
  return tail.empty() ? "(log is empty)" : tail;
}

void child_process::fail(const std::string& why) const {
  std::ostringstream message;
  message << (argv_.empty() ? "child" : argv_[0]) << " (pid " << pid_ << "): " << why
          << "\n  command: " << join_command(argv_) << "\n  --- end of " << log_file_.string() << " ---\n"
          << log_tail();
  if (pid_ > 0 && peek_exit(pid_)) throw child_exited_error(message.str());
  throw std::runtime_error(message.str());
}

command_result run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                           const env_vars& extra_env) {
  // Unlinked temporary files rather than pipes: no reader thread, and no deadlock on large output.
  auto make_capture = [] {
    char name[] = "/tmp/tsproxy-capture-XXXXXX";
    int fd = ::mkostemp(name, O_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkostemp");
    ::unlink(name);
    return unique_fd(fd);
  };
  unique_fd out = make_capture();
  unique_fd err = make_capture();

  child_process child;
  child.argv_ = argv;
  child.log_file_ = "/dev/null";
  child.pid_ = spawn(argv, extra_env, out.get(), err.get());
  child.pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, child.pid_, 0));

  std::optional<int> code = child.wait_for_exit(timeout);
  child.stop();  // reaps, and kills anything the command left running in its group
  command_result result{code.value_or(-1), read_all(out.get()), read_all(err.get())};
  if (!code) {
    throw std::runtime_error("'" + join_command(argv) + "' timed out after " +
                             std::to_string(timeout.count()) + " ms; stderr:\n" + result.err);
  }
  return result;
}

std::string run_command_or_throw(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  command_result result = run_command(argv, timeout);
  if (result.exit_code != 0) {
    throw std::runtime_error("'" + join_command(argv) + "' exited with code " +
                             std::to_string(result.exit_code) + "; stderr:\n" + result.err);
  }
  return std::move(result.out);
}

}  // namespace tsproxy::test
