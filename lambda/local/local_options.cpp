#include "local_options.hpp"

#include <charconv>

namespace tsproxy::local {

namespace {

template <typename T>
bool parse_number(std::string_view text, T& out, T min, T max) {
  T value{};
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < min || value > max) return false;
  out = value;
  return true;
}

// "lambda" (Lambda's sandbox user), "UID:GID" (numbers) or "self" (the children run as we do).
bool parse_run_as(std::string_view text, std::optional<lambda::child_user>& out) {
  if (text == "self") {
    out.reset();
    return true;
  }
  if (text == "lambda") {
    out = lambda_sandbox_user;
    return true;
  }
  const auto colon = text.find(':');
  lambda::child_user user;
  if (colon == std::string_view::npos ||
      !parse_number<uid_t>(text.substr(0, colon), user.uid, 0, 0x7fffffff) ||
      !parse_number<gid_t>(text.substr(colon + 1), user.gid, 0, 0x7fffffff))
    return false;
  out = user;
  return true;
}

bool parse_freeze_mode(std::string_view text, freeze_mode& out) {
  for (const auto mode :
       {freeze_mode::automatic, freeze_mode::cgroup, freeze_mode::signal, freeze_mode::off}) {
    if (text == freeze_mode_name(mode)) {
      out = mode;
      return true;
    }
  }
  return false;
}

}  // namespace

std::string_view invoke_mode_name(invoke_mode mode) noexcept {
  return mode == invoke_mode::buffered ? "buffered" : "response_stream";
}

std::string_view local_usage() noexcept {
  return "usage: tsproxy-local [--port P] [--bind ADDR] [--runtime-port R]\n"
         "                     [--invoke-mode buffered|response_stream] [--max-concurrency N]\n"
         "                     [--max-environments N] [--idle-retire-ms T] [--max-queued N]\n"
         "                     [--timeout-ms T] [--memory-mb M] [--extension PATH]...\n"
         "                     [--auth none|aws_iam] [--auth-region REGION]\n"
         "                     [--auth-credentials FILE] [--auth-profile NAME]...\n"
         "                     [--run-as lambda|UID:GID|self] [--freeze auto|cgroup|signal|off]\n"
         "                     [--exit-on-init-error] -- /path/to/bootstrap [args...]\n"
         "\n"
         "--auth aws_iam accepts the keys of the --auth-credentials file's sections that the\n"
         "repeatable --auth-profile names (none: [default]), else tsproxy-local's own AWS_ACCESS_KEY_ID.\n"
         "A section's principal_arn (with optional user_id, principal_org_id) is the signer the function\n"
         "finds in requestContext.authorizer.iam for requests signed with that section's key.\n";
}

std::optional<local_options> parse_local_options(int argc, const char* const* argv, std::string& error) {
  local_options options;
  error.clear();
  int i = 1;
  for (; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "--help" || arg == "-h") return std::nullopt;
    if (arg == "--exit-on-init-error") {
      options.exit_on_init_error = true;
      continue;
    }
    if (i + 1 >= argc) {
      error = "missing value for " + std::string(arg);
      return std::nullopt;
    }
    const std::string_view value = argv[++i];
    bool ok = true;
    if (arg == "--port") {
      ok = parse_number<std::uint16_t>(value, options.port, 0, 65535);
    } else if (arg == "--runtime-port") {
      ok = parse_number<std::uint16_t>(value, options.runtime_port, 0, 65535);
    } else if (arg == "--bind") {
      options.bind_address = std::string(value);
    } else if (arg == "--invoke-mode") {
      if (value == "buffered" || value == "BUFFERED")
        options.mode = invoke_mode::buffered;
      else if (value == "response_stream" || value == "RESPONSE_STREAM")
        options.mode = invoke_mode::response_stream;
      else
        ok = false;
    } else if (arg == "--max-concurrency") {
      ok = parse_number<std::size_t>(value, options.max_concurrency, 1, 1024);
    } else if (arg == "--max-environments") {
      ok = parse_number<std::size_t>(value, options.max_environments, 1, 1000);
    } else if (arg == "--idle-retire-ms") {
      long long ms = 0;
      ok = parse_number<long long>(value, ms, 0, 24LL * 3600 * 1000);
      options.idle_retire = std::chrono::milliseconds(ms);
    } else if (arg == "--max-queued") {
      ok = parse_number<std::size_t>(value, options.max_queued_invocations, 0, 1'000'000);
    } else if (arg == "--timeout-ms") {
      long long ms = 0;
      ok = parse_number<long long>(value, ms, 1, 24LL * 3600 * 1000);
      options.timeout = std::chrono::milliseconds(ms);
    } else if (arg == "--memory-mb") {
      ok = parse_number<unsigned>(value, options.memory_mb, 128, 10240);
    } else if (arg == "--extension") {
      options.extensions.emplace_back(value);
    } else if (arg == "--auth") {
      if (value == "none" || value == "NONE")
        options.auth = auth_mode::none;
      else if (value == "aws_iam" || value == "AWS_IAM")
        options.auth = auth_mode::aws_iam;
      else
        ok = false;
    } else if (arg == "--auth-region") {
      options.auth_region = std::string(value);
      ok = !value.empty();
    } else if (arg == "--auth-credentials") {
      options.auth_credentials_file = std::string(value);
      ok = !value.empty();
    } else if (arg == "--auth-profile") {
      options.auth_profiles.emplace_back(value);
      ok = !value.empty();
    } else if (arg == "--run-as") {
      ok = parse_run_as(value, options.run_as);
    } else if (arg == "--freeze") {
      ok = parse_freeze_mode(value, options.freeze);
    } else {
      error = "unknown option " + std::string(arg);
      return std::nullopt;
    }
    if (!ok) {
      error = "bad value for " + std::string(arg) + ": " + std::string(value);
      return std::nullopt;
    }
  }
  for (; i < argc; ++i) options.bootstrap.emplace_back(argv[i]);
  if (options.auth == auth_mode::none &&
      (!options.auth_region.empty() || !options.auth_credentials_file.empty() ||
       !options.auth_profiles.empty())) {
    error = "--auth-region, --auth-credentials and --auth-profile need --auth aws_iam";
    return std::nullopt;
  }
  if (!options.auth_profiles.empty() && options.auth_credentials_file.empty()) {
    error = "--auth-profile needs --auth-credentials";
    return std::nullopt;
  }
  if (options.bootstrap.empty()) {
    error = "missing '-- /path/to/bootstrap'";
    return std::nullopt;
  }
  return options;
}

}  // namespace tsproxy::local
