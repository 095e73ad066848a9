#pragma once
// AWS's Runtime Interface Emulator (aws-lambda-rie, github.com/aws/aws-lambda-runtime-interface-emulator,
// tag v1.30) running this tree's `bootstrap` and external extensions, laid out as Lambda lays out a zip
// function and its layers: the function at /var/task/bootstrap, each extension at /opt/extensions/<name>.
//
// The emulator looks only there: extensions in the hard-coded /opt/extensions
// (internal/lambda/rapid/handlers.go:38 and :296, internal/lambda-managed-instances/agents/agent.go:15),
// the function, when no command is given, at /var/task/bootstrap (classic:
// internal/lambda/rie/run.go:107-130; managed instances search /var/runtime, /var/task and /opt whatever
// the command line says, and need /var/task as working directory:
// internal/lambda-managed-instances/rapid/handlers.go:162-186). So it runs in a private mount namespace
// (unshare(1), root only) where /opt is a folder of the test's and /var an overlay that adds task/; the
// host's /opt and /var are never touched, and the namespace goes with the emulator's last process.
//
// Two modes, chosen by the emulator's own environment (cmd/aws-lambda-rie/main.go:15-19):
//  * classic (AWS_LAMBDA_MAX_CONCURRENCY unset): one invocation at a time; init (extensions, then the
//    runtime) runs at the first invocation, not at start (internal/lambda/rie/handlers.go:104-116); runtime
//    and extensions run as the emulator's own user (internal/lambda/supervisor/local_supervisor.go:82 sets
//    no credential).
//  * managed instances (AWS_LAMBDA_MAX_CONCURRENCY set): init runs at start
//    (internal/lambda-managed-instances/aws-lambda-rie/run/run.go:22), an invocation waits for it
//    (internal/lambda-managed-instances/aws-lambda-rie/internal/app.go:30-37, 57-61), and runtime and
//    extensions run as uid 993, gid 990 (internal/lambda-managed-instances/supervisor/local/process.go:65-67,
//    106-109).
// Both pass the emulator's own environment on to the runtime and the extensions (classic:
// internal/lambda/rie/handlers.go:204-210; managed instances: .../aws-lambda-rie/internal/init.go:41,
// less names starting with "_" and Lambda's reserved ones: .../rapidcore/env/environment.go:154-173), so
// the function's configuration is given to the emulator. Their output goes to the emulator's stdout,
// line by line, with its own log.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace tsproxy::test {

enum class rie_mode { classic, managed_instances };

struct invocation_result {
  int status = 0;  // -1 when curl failed (then `body` is curl's error)
  std::string body;
};
// POSTs an event to `base_url` + /2015-03-31/functions/function/invocations, the invoke endpoint of the
// emulator and of tsproxy-local alike; `scratch` is a folder for curl's files.
invocation_result post_invocation(const std::string& base_url, const std::string& event_json,
                                  const std::filesystem::path& scratch);

struct rie_options {
  rie_mode mode = rie_mode::classic;
  int max_concurrency = 2;                        // AWS_LAMBDA_MAX_CONCURRENCY, managed instances only
  env_vars env;                                   // the function's environment (TSPROXY_*, ...)
  std::vector<std::filesystem::path> extensions;  // copied to /opt/extensions/<file name>
  std::filesystem::path bootstrap = TSPROXY_BOOTSTRAP_BIN;  // the function: tsproxy's, or a user's own
};

// The emulator's executable: TSPROXY_RIE when set, else where this machine keeps it (TSPROXY_RIE_BIN).
std::filesystem::path rie_binary();
// Why the emulator cannot run here (its executable missing, not root, no private mount namespace or
// overlay); empty when it can. Found out once per process.
const std::string& rie_unavailable();

class rie_stack {
 public:
  // Starts the emulator and returns once its invoke endpoint accepts connections. Throws
  // std::runtime_error with the log tail if it exits or never listens.
  explicit rie_stack(rie_options options);
  ~rie_stack();
  rie_stack(const rie_stack&) = delete;
  rie_stack& operator=(const rie_stack&) = delete;

  // POST /2015-03-31/functions/function/invocations with the event, as a caller of the emulator does
  // (classic: internal/lambda/rie/http.go:20; managed instances: .../aws-lambda-rie/internal/app.go:40).
  invocation_result invoke(const std::string& event_json) const;

  pid_t pid() const noexcept { return rie_.pid(); }
  bool running() const { return rie_.running(); }
  std::string log() const;  // the emulator's log with the runtime's and the extensions' output
  // Waits until the log holds `marker`; false if the emulator exited first or after the state bound.
  bool wait_for_log(std::string_view marker) const;
  // SIGTERM to the emulator alone, as at the end of an environment; its exit code (nullopt: still running
  // after 30 s).
  std::optional<int> terminate();
  // The processes the emulator started (the runtime and each extension).
  std::vector<pid_t> children() const;

 private:
  void start(const rie_options& options);

  temp_dir dir_;
  child_process rie_;
  std::uint16_t port_ = 0;
  std::vector<pid_t> started_;  // the emulator's descendants when it was told to stop
};

// The real user and group of a running process (from /proc/<pid>/status), nullopt if it is gone.
struct process_owner {
  uid_t uid = 0;
  gid_t gid = 0;
};
std::optional<process_owner> owner_of(pid_t pid);
// A process's executable name (/proc/<pid>/comm), empty if it is gone.
std::string command_of(pid_t pid);

}  // namespace tsproxy::test
