#pragma once
// Child processes for integration tests: real servers started from a test and guaranteed gone when the
// owning object is destroyed, even if the test fails half-way.
//
// Contract:
//  * Every child is the leader of its own process group; stop() signals the whole group, so helpers a
//    server forks (danted's request/io children) go with it.
//  * A child gets SIGKILL if the thread that spawned it dies (PR_SET_PDEATHSIG), so a crashed or
//    timed-out test binary leaves nothing behind. Spawn from a thread that outlives the child (the
//    gtest main thread does).
//  * The first spawn makes the test process a child subreaper, so members of a child's group that
//    outlive their parent are reparented to us and stop() can reap them instead of leaving zombies.
//  * stdin is /dev/null; stdout and stderr are appended to a log file, whose tail is quoted in every
//    start-up error.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tsproxy::test {

using env_vars = std::vector<std::pair<std::string, std::string>>;
struct command_result;

// Thrown when a child exits while we wait for it to become ready. Distinct from other start-up
// failures because one cause is retryable: see retry_start().
class child_exited_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class child_process {
 public:
  child_process() = default;  // empty: no process, running() is false, stop() does nothing
  // Spawns argv (argv[0] is searched in PATH when it has no '/'), with extra_env added to (or
  // overriding) this process's environment. Throws std::runtime_error if the program cannot be run.
  child_process(std::vector<std::string> argv, std::filesystem::path log_file,
                const env_vars& extra_env = {});
  ~child_process();

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;
  child_process(child_process&& other) noexcept;
  child_process& operator=(child_process&& other) noexcept;

  pid_t pid() const noexcept { return pid_; }
  const std::filesystem::path& log_file() const noexcept { return log_file_; }
  const std::vector<std::string>& argv() const noexcept { return argv_; }

  // True until the child has exited (the exit status is kept, the child stays unreaped until stop()).
  bool running() const;

  // Waits for the child to exit on its own; returns its exit code (128 + signal number when killed by
  // a signal), or nullopt on timeout. Does not signal anything.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);

  // SIGTERM to the group, up to 2 s for the leader to exit, then SIGKILL to the group; reaps the leader
  // and any group members reparented to us. Returns the leader's exit code (as wait_for_exit).
  // Idempotent and safe to call on a child that already exited.
  int stop() noexcept;

  // Polls connect() to host:port until it is accepted. Throws child_exited_error if the child exits
  // first, std::runtime_error on timeout; both quote the log tail.
  void wait_for_tcp_port(const std::string& host, std::uint16_t port,
                         std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

  // Waits until `file` exists and is non-empty (for servers that report readiness by writing a file).
  // Throws like wait_for_tcp_port.
  void wait_for_file(const std::filesystem::path& file,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

  // The last max_bytes of the log file (for error messages).
  std::string log_tail(std::size_t max_bytes = 4096) const;

  // Throws std::runtime_error (child_exited_error if the child has exited) saying why, with the
  // command line and the log tail.
  [[noreturn]] void fail(const std::string& why) const;

 private:
  // Blocks until the leader has exited or the timeout passes, without reaping it (its pid stays
  // reserved, so the group id cannot be reused while we still signal it).
  bool await_exit_unreaped(std::chrono::milliseconds timeout) const;
  void release() noexcept;
  friend command_result run_command(const std::vector<std::string>&, std::chrono::milliseconds,
                                    const env_vars&);

  std::vector<std::string> argv_;
  std::filesystem::path log_file_;
  pid_t pid_ = -1;
  int pidfd_ = -1;  // becomes readable when the child exits; lets waits block instead of sleeping
  std::optional<int> exit_code_;
};

struct command_result {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

// Runs argv to completion and captures stdout and stderr (for openssl, curl). Kills the command and
// throws std::runtime_error if it runs longer than timeout; a non-zero exit is returned, not thrown.
command_result run_command(const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout = std::chrono::seconds(30),
                           const env_vars& extra_env = {});

// As run_command, but throws std::runtime_error with stderr if the exit code is not 0.
std::string run_command_or_throw(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Servers told to listen on a port from free_tcp_port() can lose a race for it to another process
// that binds it in between; they then exit at once with EADDRINUSE. retry_start() calls start() again
// (at most `attempts` times in all) when it throws child_exited_error whose log tail says "Address
// already in use"; start() picks fresh ports each time. Any other failure is thrown at once.
template <class Start>
auto retry_start(Start start, int attempts = 3) -> decltype(start()) {
  for (int attempt = 1;; ++attempt) {
    try {
      return start();
    } catch (const child_exited_error& e) {
      if (attempt >= attempts ||
          std::string_view(e.what()).find("Address already in use") == std::string_view::npos) {
        throw;
      }
    }
  }
}

}  // namespace tsproxy::test
