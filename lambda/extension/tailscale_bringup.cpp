#include "extension/tailscale_bringup.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <cerrno>
#include <cstdint>
#include <memory>

#include "common/log.hpp"
#include "common/tailscale_local_api.hpp"
#include "extension/extension_errors.hpp"
#include "extension/secret_file.hpp"
#include "extension/tailscale_commands.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::extension {

namespace {

using lambda::log;
using lambda::log_level;
using std::chrono::milliseconds;

constexpr const char* key_file_parent = "/tmp";
constexpr milliseconds output_grace{50};  // for a child's last output after its exit
// A failed `up` may be the echo of tailscaled exiting: this long to see whether it was (failure path only).
constexpr milliseconds tailscaled_exit_grace{200};

time_point sooner(time_point a, time_point b) {
  return a < b ? a : b;
}

std::string exit_description(int code) {
  return code > 128 ? "was killed by signal " + std::to_string(code - 128)
                    : "exited with code " + std::to_string(code);
}

std::string with_output(std::string message, const std::string& output) {
  if (!output.empty()) message += ": " + output;
  return message;
}

// mkdir -p with 0700 for each folder it creates (as tailscaled's paths.MkStateDir does for its state
// folder: tailscale/tailscale@v1.102.3 paths/paths.go:108-113); an existing folder is left as it is.
std::error_code make_private_dir(const std::string& path) {
  for (std::size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
    const std::string prefix = path.substr(0, end);
    if (!prefix.empty() && ::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST)
      return {errno, std::generic_category()};
    if (end == std::string::npos) break;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {errno, std::generic_category()};
  if (!S_ISDIR(st.st_mode)) return std::make_error_code(std::errc::not_a_directory);
  if (::access(path.c_str(), W_OK | X_OK) != 0) return {errno, std::generic_category()};
  return {};
}

}  // namespace

tailscale_bringup::tailscale_bringup(asio::io_context& io, const extension_config& config,
                                     child_set& children, key_source keys, time_point started,
                                     lambda::event_signal& local_api_answered)
    : io_(io),
      config_(config),
      children_(children),
      keys_(std::move(keys)),
      started_(started),
      local_api_answered_(local_api_answered) {}

double tailscale_bringup::elapsed_ms() const {
  return std::chrono::duration<double, std::milli>(steady_clock::now() - started_).count();
}

asio::awaitable<void> tailscale_bringup::pause(milliseconds& interval, time_point deadline) {
  co_await children_.changed().wait_until(sooner(deadline, steady_clock::now() + interval));
  interval = std::min(interval * 2, max_poll);
}

std::optional<bringup_failure> tailscale_bringup::tailscaled_gone(std::string_view during) const {
  if (!children_.exited(tailscaled_)) return std::nullopt;
  return bringup_failure{error_types::tailscaled_failed_to_start,
                         with_output("tailscaled " + exit_description(children_.exit_code(tailscaled_)) +
                                         " " + std::string(during),
                                     children_.output_tail(tailscaled_))};
}

asio::awaitable<std::optional<bringup_failure>> tailscale_bringup::run(time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  // tailscaled's folders exist before it starts: it creates neither --statedir with in-memory state (only a
  // state file's folder: ipn/store/stores.go:158-162) nor its logs folder, whose TS_LOGS_DIR it ignores
  // unless it is a directory (logpolicy/logpolicy.go:211-216).
  for (const auto& [variable, dir] : {std::pair{config::vars::tailscale_state_dir.name, &config_.state_dir},
                                      std::pair{config::vars::logs_dir.name, &config_.logs_dir}}) {
    if (dir->empty()) continue;
    if (const auto ec = make_private_dir(*dir)) {
      co_return bringup_failure{
          error_types::invalid_configuration,
          std::string(variable) + "='" + *dir + "' is not a writable folder: " + ec.message()};
    }
  }
  std::error_code ec;
  tailscaled_ =
      children_.start("tailscaled", tailscaled_command(config_), ec, {}, tailscaled_environment(config_));
  if (ec) {
    co_return bringup_failure{error_types::tailscaled_failed_to_start,
                              "cannot start " + config_.tailscaled_path + ": " + ec.message()};
  }
  timings_.tailscaled_started = elapsed_ms();
  log(log_level::debug, "tailscaled started",
      {{"pid", std::int64_t{tailscaled_}}, {"ms", timings_.tailscaled_started}});

  // tailscaled boots while the secret is fetched.
  auto [key, local_api] = co_await (fetch_key(deadline) && wait_for_local_api(deadline));
  if (!key.ok()) co_return bringup_failure{key.error_type, key.message};
  if (local_api) co_return local_api;

  std::string why;
  secret_problem problem = secret_problem::form;
  const auto credential = parse_tailscale_secret(key.secret, why, &problem);
  if (!credential && problem == secret_problem::oauth_attributes) {
    co_return bringup_failure{
        error_types::invalid_oauth_secret,
        "the OAuth client secret " + key_origin() + " has attributes tailscale up refuses: " + why};
  }
  if (!credential)
    co_return bringup_failure{error_types::secret_invalid, "the secret " + key_origin() + ": " + why};
  if (credential->kind == credential_kind::oauth_client_secret && config_.advertise_tags.empty()) {
    co_return bringup_failure{error_types::invalid_configuration,
                              std::string("the secret is an OAuth client secret, which needs ") +
                                  std::string(config::vars::advertise_tags.name) +
                                  " (the tags of the nodes it may create)"};
  }
  const std::string_view raw_key = std::string_view(credential->value).substr(0, credential->value.find('?'));
  // tailscaled is not known to log keys; should a version do so, they stay out of the log all the same.
  children_.redact(tailscaled_, std::string(raw_key));
  if (auto failure = co_await log_in(*credential, raw_key, deadline)) co_return failure;
  if (auto failure = co_await check_exit_node(deadline)) co_return failure;
  co_return std::nullopt;
}

std::string tailscale_bringup::key_origin() const {
  return config_.secret_id.empty() ? "in " + config_.auth_key_file : config_.secret_id;
}

asio::awaitable<key_fetch_result> tailscale_bringup::fetch_key(time_point deadline) {
  auto result = co_await keys_(deadline);
  timings_.key_fetched = elapsed_ms();
  log(log_level::debug, "secret fetched", {{"ms", timings_.key_fetched}, {"ok", result.ok()}});
  co_return result;
}

asio::awaitable<std::optional<bringup_failure>> tailscale_bringup::wait_for_local_api(time_point deadline) {
  const auto interval = local_api_poll;
  for (;;) {
    if (auto gone = tailscaled_gone("before its LocalAPI answered")) co_return gone;
    lambda::tailscale_status status;
    const auto ec = co_await lambda::query_tailscale_status(
        io_.get_executor(), config_.socket_path, sooner(deadline, steady_clock::now() + probe_timeout),
        status);
    if (!ec) {
      last_state_ = status.backend_state;
      last_health_ = status.health;
      timings_.local_api_answered = elapsed_ms();
      local_api_answered_.notify_all();
      log(log_level::debug, "LocalAPI answered",
          {{"ms", timings_.local_api_answered}, {"backend_state", last_state_}});
      co_return std::nullopt;
    }
    last_probe_error_ = ec.message();
    if (steady_clock::now() >= deadline) {
      co_return bringup_failure{error_types::tailscaled_failed_to_start,
                                "tailscaled's LocalAPI on " + config_.socket_path +
                                    " did not answer within " +
                                    std::to_string(config_.ready_timeout.count()) +
                                    " ms of the start (last error: " + last_probe_error_ + ")"};
    }
    co_await children_.changed().wait_until(sooner(deadline, steady_clock::now() + interval));
  }
}

std::string tailscale_bringup::not_up_reason() const {
  std::string out = "BackendState " + (last_state_.empty() ? std::string("unknown") : last_state_);
  if (last_state_ == "NeedsMachineAuth")
    out += " (the node waits for approval in the admin console: use a pre-authorized key)";
  else if (last_state_ == "NeedsLogin")
    out += " (not logged in yet)";
  for (const auto& message : last_health_) out += "; " + message;
  if (!last_probe_error_.empty()) out += " (last LocalAPI error: " + last_probe_error_ + ")";
  return out;
}

asio::awaitable<std::optional<bringup_failure>> tailscale_bringup::log_in(
    const tailscale_credential& credential, std::string_view raw_key, time_point deadline) {
  // Removed as soon as `up` has read it, but after the moment that matters is past: a removal waits for
  // the file system, and the readiness it follows must not (it runs once the handlers in flight ran).
  const auto key_file = std::make_shared<secret_file>();
  const auto remove_key_file_soon = [this, key_file] { asio::post(io_, [key_file] { key_file->remove(); }); };
  if (const auto ec = key_file->create(key_file_parent, credential.value)) {
    co_return bringup_failure{error_types::secret_unavailable,
                              std::string("cannot hand the key to tailscale up: cannot write under ") +
                                  key_file_parent + ": " + ec.message()};
  }
  std::error_code ec;
  const pid_t up =
      children_.start("tailscale up", up_command(config_, key_file->path()), ec, std::string(raw_key));
  if (ec) {
    co_return bringup_failure{error_types::tailscaled_failed_to_start,
                              "cannot start " + config_.tailscale_path + ": " + ec.message()};
  }
  logged_in_ = true;
  timings_.up_started = elapsed_ms();
  log(log_level::debug, "tailscale up started", {{"ms", timings_.up_started}});

  auto interval = first_poll;
  bool up_done = false;
  last_probe_error_.clear();
  for (;;) {
    if (!up_done && children_.exited(up)) {
      co_await children_.wait_exit(up, steady_clock::now() + output_grace);
      remove_key_file_soon();  // read by now
      up_done = true;
      timings_.up_exited = elapsed_ms();
      const int code = children_.exit_code(up);
      const auto output = children_.output_tail(up);
      children_.release(up);
      if (code != 0) {
        // `up` also fails when tailscaled goes away under it: then tailscaled is what failed. Its exit may
        // be noticed a moment after `up`'s.
        co_await children_.wait_exit(tailscaled_, steady_clock::now() + tailscaled_exit_grace);
        if (auto gone = tailscaled_gone("while logging in")) co_return gone;
        co_return bringup_failure{error_types::login_rejected,
                                  with_output("tailscale up " + exit_description(code), output)};
      }
    }
    if (auto gone = tailscaled_gone("while logging in")) {
      if (!up_done) children_.release(up);
      co_return gone;
    }
    lambda::tailscale_status status;
    const auto now = steady_clock::now();
    if (const auto ec2 = co_await lambda::query_tailscale_status(
            io_.get_executor(), config_.socket_path, sooner(deadline, now + probe_timeout), status)) {
      last_probe_error_ = ec2.message();
    } else {
      last_state_ = status.backend_state;
      last_health_ = status.health;
      if (last_state_ == "Running" && timings_.running < 0) timings_.running = elapsed_ms();
    }
    if (last_state_ == "Running") {
      remove_key_file_soon();  // Running: `up` has read it long ago
      // `up` ends on its own once it sees Running; it is reaped (or killed) in the background.
      if (!up_done) children_.reap_when_done(up, steady_clock::now() + cli_slack);
      co_return std::nullopt;
    }
    if (steady_clock::now() >= deadline) {
      if (!up_done) children_.release(up);
      std::string message = "Tailscale was not up within " + std::to_string(config_.ready_timeout.count()) +
                            " ms of the start: " + not_up_reason();
      if (!up_done) message = with_output(std::move(message) + "; tailscale up", children_.output_tail(up));
      co_return bringup_failure{error_types::not_running_in_time, std::move(message)};
    }
    co_await pause(interval, deadline);
  }
}

std::optional<bringup_failure> tailscale_bringup::exit_node_unreachable(std::string message) const {
  if (config_.exit_node_required)
    return bringup_failure{error_types::exit_node_unreachable, std::move(message)};
  log(log_level::warn, "exit node unreachable; continuing (TS_EXIT_NODE_REQUIRED is not true)",
      {{"exit_node", config_.exit_node}, {"error", message}});
  return std::nullopt;
}

asio::awaitable<std::string> tailscale_bringup::exit_node_address(time_point until) {
  // The exit node tailscaled took, as its status names it once the node is in the netmap
  // (tailscale/tailscale@v1.102.3 ipn/ipnlocal/local.go:1489-1501). Until then TS_EXIT_NODE goes to `ping`
  // as written: an IP, which `ping` takes as it is (cmd/tailscale/cli/ping.go:197-199), and which tailscaled
  // does not show as its exit node while no peer has it.
  lambda::tailscale_status status;
  if (!co_await lambda::query_tailscale_status(io_.get_executor(), config_.socket_path, until, status) &&
      !status.exit_node_ip.empty())
    co_return status.exit_node_ip;
  co_return config_.exit_node;
}

asio::awaitable<std::optional<bringup_failure>> tailscale_bringup::check_exit_node(time_point deadline) {
  if (config_.exit_node.empty()) co_return std::nullopt;
  if (config_.exit_node.starts_with("auto:")) {
    log(log_level::info, "exit node chosen by tailscaled; its reachability is not checked",
        {{"exit_node", config_.exit_node}});
    co_return std::nullopt;
  }
  if (!exit_node_known_before_login(config_.exit_node)) {
    const auto set = co_await children_.run("tailscale set", set_exit_node_command(config_), deadline);
    if (!set.succeeded()) {
      co_return exit_node_unreachable(
          with_output("tailscale set --exit-node=" + config_.exit_node +
                          (set.spawn_error ? " could not start: " + set.spawn_error.message()
                           : set.timed_out ? " did not finish in time"
                                           : " " + exit_description(set.exit_code)),
                      set.output));
    }
  }
  auto pause_for = first_ping_pause;
  std::string last_output;
  std::string target;
  unsigned attempts = 0;
  while (attempts < config_.exit_node_ping_retries && steady_clock::now() < deadline) {
    ++attempts;
    const auto attempt_start = steady_clock::now();
    target = co_await exit_node_address(sooner(deadline, attempt_start + probe_timeout));
    const auto ping =
        co_await children_.run("tailscale ping", ping_command(config_, target),
                               sooner(deadline, attempt_start + config_.exit_node_ping_timeout + cli_slack));
    if (ping.succeeded()) {
      timings_.exit_node_checked = elapsed_ms();
      log(log_level::info, "exit node reachable",
          {{"exit_node", config_.exit_node},
           {"address", target},
           {"attempts", std::int64_t{attempts}},
           {"ms", timings_.exit_node_checked}});
      co_return std::nullopt;
    }
    last_output = ping.spawn_error ? "cannot start: " + ping.spawn_error.message() : ping.output;
    if (steady_clock::now() - attempt_start < config_.exit_node_ping_timeout &&
        attempts < config_.exit_node_ping_retries) {
      asio::steady_timer timer(io_.get_executor(), sooner(deadline, steady_clock::now() + pause_for));
      co_await timer.async_wait(use_tuple);
      pause_for = std::min(pause_for * 2, max_ping_pause);
    }
  }
  timings_.exit_node_checked = elapsed_ms();
  const std::string address = target.empty() || target == config_.exit_node ? "" : " (" + target + ")";
  co_return exit_node_unreachable(
      with_output("exit node " + config_.exit_node + address + " did not answer " + std::to_string(attempts) +
                      " ping(s) of " + std::to_string(config_.exit_node_ping_timeout.count()) + " ms",
                  last_output));
}

}  // namespace tsproxy::extension
