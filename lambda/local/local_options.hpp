#pragma once
// tsproxy-local's configuration: one struct, parsed once from the command line. Tests and other
// callers build it directly.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/process_supervisor.hpp"
#include "environment_freezer.hpp"

namespace tsproxy::local {

enum class invoke_mode { buffered, response_stream };

// How the Function URL authenticates callers: none (AuthType NONE) or SigV4 (AuthType AWS_IAM).
enum class auth_mode { none, aws_iam };

std::string_view invoke_mode_name(invoke_mode mode) noexcept;

// Lambda runs the runtime and its extensions as this user and group, in both modes, and so does the
// official emulator (aws/aws-lambda-runtime-interface-emulator@v1.30
// internal/lambda-managed-instances/supervisor/local/process.go:65-67).
inline constexpr lambda::child_user lambda_sandbox_user{.uid = 993, .gid = 990};

struct local_options {
  std::string bind_address = "127.0.0.1";  // Function URL listener address
  std::uint16_t port = 8080;               // Function URL listener port (0: ephemeral)
  std::uint16_t runtime_port = 0;          // Runtime and Extensions API port on 127.0.0.1 (0: ephemeral)
  invoke_mode mode = invoke_mode::buffered;
  std::size_t max_concurrency = 1;  // invocations one environment's runtime takes at once
  // Execution environments at once (Lambda's concurrency limit when max_concurrency is 1). 1 by default:
  // one environment, as before, with concurrent callers queued behind it.
  std::size_t max_environments = 1;
  // An environment idle this long is spun down (SHUTDOWN "spindown"); 0: never (the default, so that the
  // Runtime API in the ready line stays up).
  std::chrono::milliseconds idle_retire{0};
  std::chrono::milliseconds timeout{900'000};  // the function timeout (the tsproxy construct uses 15 min)
  unsigned memory_mb = 256;
  bool exit_on_init_error = false;
  std::vector<std::string> extensions;  // executables started before the bootstrap
  std::vector<std::string> bootstrap;   // argv of the runtime; bootstrap[0] is its path
  auth_mode auth = auth_mode::none;
  std::string auth_region;            // empty: the function's region
  std::string auth_credentials_file;  // empty: AWS_ACCESS_KEY_ID etc. of tsproxy-local's environment
  // The sections of auth_credentials_file whose keys are accepted (repeatable); empty: [default].
  std::vector<std::string> auth_profiles;
  std::optional<lambda::child_user> run_as;  // the runtime's and extensions' user; nullopt: ours
  // Freezing an environment between invocations, as Lambda does (never with max_concurrency > 1, as
  // Managed Instances do not). main() resolves `automatic` to the mechanism this machine has.
  freeze_mode freeze = freeze_mode::automatic;

  // Limits (named so they can be tuned in one place).
  std::size_t max_request_body_bytes = 6 * 1024 * 1024;   // Function URL request payload limit
  std::size_t max_result_bytes = 6 * 1024 * 1024;         // buffered response payload limit
  std::uint64_t max_stream_bytes = 200ull * 1024 * 1024;  // streamed response limit
  // Invocations waiting while every environment is busy and no more may start; beyond this callers get
  // 429 TooManyRequestsException. 0 is Lambda's behaviour at its concurrency limit: 429 at once.
  std::size_t max_queued_invocations = 1000;
  std::chrono::milliseconds extension_register_timeout{10'000};  // like Lambda's init bound
  std::chrono::milliseconds shutdown_grace{2'000};               // SIGTERM/SHUTDOWN to SIGKILL
  std::chrono::milliseconds client_idle_timeout{60'000};         // keep-alive wait for the next request
  std::chrono::milliseconds client_read_timeout{60'000};         // reading one request's head and body
};

// Parses `tsproxy-local [options] -- /path/to/bootstrap [args...]`. On failure returns nullopt
// and sets `error`; `--help` also returns nullopt with an empty `error`.
std::optional<local_options> parse_local_options(int argc, const char* const* argv, std::string& error);

std::string_view local_usage() noexcept;

}  // namespace tsproxy::local
