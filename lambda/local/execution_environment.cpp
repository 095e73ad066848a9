#include "execution_environment.hpp"

#include <unistd.h>

#include <asio/post.hpp>
#include <csignal>
#include <filesystem>

#include "adapter/error_json.hpp"
#include "child_environment.hpp"
#include "common/log.hpp"
#include "common/monotonic_ns.hpp"
#include "count_guard.hpp"
#include "tsproxy/engine/spawn.hpp"

namespace tsproxy::local {

namespace {

using clock = std::chrono::steady_clock;
using lambda::error_json;

std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

runtime_api_server::settings runtime_settings(const local_options& options) {
  runtime_api_server::settings settings;
  settings.max_result_bytes = options.max_result_bytes;
  settings.stream.max_body_bytes = options.max_stream_bytes;
  return settings;
}

std::string value_of(const std::vector<std::string>& env, std::string_view name) {
  for (const auto& entry : env) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 && entry[name.size()] == '=')
      return entry.substr(name.size() + 1);
  }
  return {};
}

}  // namespace

execution_environment::execution_environment(asio::io_context& io, const local_options& options,
                                             const function_identity& function, id_generator& ids,
                                             lambda::process_supervisor& supervisor, int id, hooks on)
    : io_(io),
      options_(options),
      function_(function),
      ids_(ids),
      supervisor_(supervisor),
      id_(id),
      hooks_(std::move(on)),
      // Never more than max_concurrency are assigned (has_room()), so that is also the queue's bound.
      queue_(options.max_concurrency, options.max_concurrency, options.timeout),
      init_(queue_, id, [this](double ms) { on_init_complete(ms); }),
      extensions_(function, options.max_concurrency > 1, init_, ids,
                  [this](std::string_view type, std::string_view body) { on_init_error(type, body); }),
      server_(io, runtime_settings(options), function, queue_, init_, extensions_, hooks_.stats_json,
              [this](std::string_view type, std::string_view body) { on_init_error(type, body); }),
      last_used_(clock::now()),
      // Managed Instances run on without freezing (lambda-managed-instances-execution-environment.html).
      freezer_(options.max_concurrency > 1 ? freeze_mode::off : options.freeze, id) {
  queue_.on_slot_freed([this] {
    last_used_ = clock::now();
    if (hooks_.changed) hooks_.changed();
  });
  queue_.on_runtime_waiting([this] { schedule_freeze_check(); });
  extensions_.on_extension_waiting([this] { schedule_freeze_check(); });
}

std::string_view execution_environment::state_name() const noexcept {
  switch (state_) {
    case state::initializing:
      return "initializing";
    case state::ready:
      return load() == 0 ? "idle" : "busy";
    case state::retiring:
      return "retiring";
    case state::gone:
      return "gone";
  }
  return "gone";
}

bool execution_environment::has_room() const noexcept {
  return (state_ == state::initializing || state_ == state::ready) && !failed() &&
         load() < options_.max_concurrency;
}

asio::awaitable<bool> execution_environment::start(std::uint16_t runtime_port) {
  count_guard task(live_tasks_);
  const auto began = clock::now();
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), runtime_port);
  if (const auto ec = server_.listen(endpoint)) {
    lambda::log(lambda::log_level::error, "cannot listen on the runtime port",
                {{"environment", std::int64_t{id_}}, {"error", ec.message()}});
    state_ = state::gone;
    co_return false;
  }
  server_.start();
  runtime_api_ = "127.0.0.1:" + std::to_string(server_.port());
  const std::filesystem::path bootstrap = std::filesystem::absolute(options_.bootstrap.front());
  // Each environment writes to its own log stream, as each Lambda execution environment does.
  const auto env =
      build_child_environment(current_environment(), {.runtime_api = runtime_api_,
                                                      .task_root = bootstrap.parent_path().string(),
                                                      .function_name = function_.name,
                                                      .memory_mb = options_.memory_mb,
                                                      .max_concurrency = options_.max_concurrency,
                                                      .invoke_mode = invoke_mode_name(options_.mode),
                                                      .log_stream_suffix = ids_.hex(32),
                                                      .now_epoch_ms = epoch_ms_now()});
  log_stream_ = value_of(env, "AWS_LAMBDA_LOG_STREAM_NAME");
  lambda::log(lambda::log_level::info, "environment_start",
              {{"environment", std::int64_t{id_}},
               {"runtime_api", runtime_api_},
               {"log_stream", log_stream_},
               {"freeze", freeze_mode_name(freezer_.mode())}});
  const auto fail_start = [this](std::string_view message) {
    queue_.fail({502, "Runtime.StartError", error_json("Runtime.StartError", message)});
    for (const pid_t pid : running_pids_) supervisor_.release(pid);
    running_pids_.clear();
    freezer_.close();
    server_.stop();
    extensions_.close();
    queue_.close();
    state_ = state::gone;
  };
  if (!co_await start_extensions(env)) {
    fail_start("an extension could not be started");
    co_return false;
  }

  std::vector<std::string> argv = options_.bootstrap;
  argv.front() = bootstrap.string();
  init_.bootstrap_spawned(began);
  std::error_code ec;
  const auto spawned_at = clock::now();
  runtime_pid_ = supervisor_.spawn("bootstrap", argv, env, ec, child_options());
  if (ec) {
    lambda::log(lambda::log_level::error, "cannot start the bootstrap",
                {{"environment", std::int64_t{id_}}, {"path", argv.front()}, {"error", ec.message()}});
    fail_start("the bootstrap could not be started");
    co_return false;
  }
  running_pids_.insert(runtime_pid_);
  lambda::log(lambda::log_level::info, "runtime_start",
              {{"environment", std::int64_t{id_}},
               {"path", argv.front()},
               {"pid", std::int64_t{runtime_pid_}},
               {"uid", children_uid()},
               // with the bootstrap's start timeline (logged at debug level), the time from spawn to main()
               {"spawned_at_monotonic_ns", lambda::monotonic_ns(spawned_at)}});
  if (!options_.extensions.empty()) spawn_reported(io_.get_executor(), "bound_init", bound_init());
  co_return true;
}

asio::awaitable<bool> execution_environment::start_extensions(const std::vector<std::string>& env) {
  std::vector<pid_t> pids;
  for (const auto& path : options_.extensions) {
    const auto absolute = std::filesystem::absolute(path);
    std::error_code ec;
    const pid_t pid =
        supervisor_.spawn(absolute.filename().string(), {absolute.string()}, env, ec, child_options());
    if (ec) {
      lambda::log(lambda::log_level::error, "cannot start an extension",
                  {{"environment", std::int64_t{id_}}, {"path", absolute.string()}, {"error", ec.message()}});
      co_return false;
    }
    running_pids_.insert(pid);
    lambda::log(lambda::log_level::info, "extension_start",
                {{"environment", std::int64_t{id_}},
                 {"path", absolute.string()},
                 {"pid", std::int64_t{pid}},
                 {"uid", children_uid()}});
    pids.push_back(pid);
  }
  // Like Lambda, the runtime starts once every extension has registered (or the init bound passed).
  const auto deadline = clock::now() + options_.extension_register_timeout;
  for (;;) {
    if (state_ != state::initializing) co_return false;
    if (init_.registered() >= pids.size()) co_return true;
    bool any_alive = false;
    for (const pid_t pid : pids) any_alive = any_alive || running_pids_.contains(pid);
    if (!any_alive || clock::now() >= deadline) {
      lambda::log(lambda::log_level::warn, "extensions_not_registered",
                  {{"environment", std::int64_t{id_}},
                   {"started", static_cast<std::int64_t>(pids.size())},
                   {"registered", static_cast<std::int64_t>(init_.registered())}});
      co_return true;
    }
    co_await init_.changed().wait_until(std::min(deadline, clock::now() + std::chrono::milliseconds(50)));
  }
}

asio::awaitable<void> execution_environment::bound_init() {
  count_guard task(live_tasks_);
  // An extension that registered but never asks for events must not hold every invocation back.
  const auto deadline = clock::now() + options_.extension_register_timeout;
  while (!init_.complete() && state_ == state::initializing && clock::now() < deadline)
    co_await init_.changed().wait_until(deadline);
  if (!init_.complete() && state_ == state::initializing) init_.stop_waiting_for_extensions();
}

void execution_environment::assign(std::shared_ptr<invocation> inv) {
  ++invocations_;
  last_used_ = clock::now();
  // Thawed before the runtime's `next` answers and INVOKE reaches the extensions, as Lambda thaws the
  // environment for the event.
  freezer_.thaw();
  queue_.submit(std::move(inv));
}

void execution_environment::schedule_freeze_check() {
  if (freeze_check_posted_ || freezer_.mode() == freeze_mode::off) return;
  freeze_check_posted_ = true;
  ++live_tasks_;  // so that the environment outlives the posted check
  asio::post(io_, [this] {
    --live_tasks_;
    freeze_check_posted_ = false;
    freeze_if_quiet();
  });
}

void execution_environment::freeze_if_quiet() {
  // "when the runtime and each extension have completed and there are no pending events"
  const bool quiet = state_ == state::ready && !failed() && load() == 0 && queue_.next_waiting() > 0 &&
                     extensions_.all_waiting();
  if (!quiet || freezer_.frozen()) return;
  if (const auto ec = freezer_.freeze(running_pids_)) {
    lambda::log(lambda::log_level::error, "cannot freeze",
                {{"environment", std::int64_t{id_}}, {"error", ec.message()}});
  }
  ++freezes_;
}

void execution_environment::withdraw(const invocation& inv) {
  queue_.withdraw(inv);
}

void execution_environment::on_init_complete(double ms) {
  init_duration_ms_ = ms;
  if (state_ == state::initializing) state_ = state::ready;
  if (hooks_.initialized) hooks_.initialized(ms);
  last_used_ = clock::now();
  if (hooks_.changed) hooks_.changed();
}

void execution_environment::on_init_error(std::string_view error_type, std::string_view body) {
  lambda::log(lambda::log_level::error, "init_error",
              {{"environment", std::int64_t{id_}}, {"error_type", error_type}, {"body", body}});
  // The invocations waiting for this init get its error, as Lambda returns it to the invoking caller.
  queue_.fail({502, std::string(error_type), std::string(body)});
  if (hooks_.init_error) hooks_.init_error(error_type, body);
  if (hooks_.changed) hooks_.changed();
}

bool execution_environment::on_child_exit(const lambda::child_info& child) {
  if (!running_pids_.erase(child.pid)) return false;
  supervisor_.release(child.pid);
  exited_.notify_all();
  if (child.pid == runtime_pid_) {
    lambda::log(lambda::log_level::info, "runtime_exit",
                {{"environment", std::int64_t{id_}},
                 {"pid", std::int64_t{child.pid}},
                 {"exit_code", std::int64_t{child.exit_code}}});
    if (state_ == state::initializing || state_ == state::ready) {
      // Lambda resets an environment whose runtime exits; its invocations fail with Runtime.ExitError.
      queue_.fail({502, "Runtime.ExitError",
                   error_json("Runtime.ExitError",
                              "Runtime exited with error: exit status " + std::to_string(child.exit_code))});
      if (hooks_.changed) hooks_.changed();
    }
  } else {
    lambda::log(lambda::log_level::info, "extension_exit",
                {{"environment", std::int64_t{id_}},
                 {"name", child.name},
                 {"pid", std::int64_t{child.pid}},
                 {"exit_code", std::int64_t{child.exit_code}}});
  }
  return true;
}

bool execution_environment::processes_exited() const {
  return running_pids_.empty();
}

asio::awaitable<bool> execution_environment::retire(std::string_view reason, invocation_failure failure) {
  if (state_ == state::retiring || state_ == state::gone) co_return true;
  count_guard task(live_tasks_);
  state_ = state::retiring;
  init_.changed().notify_all();  // bound_init() and start_extensions() see the new state and end
  freezer_.thaw();               // SHUTDOWN and SIGTERM reach running processes
  queue_.fail(std::move(failure));
  queue_.close();
  const auto began = clock::now();
  const auto deadline = began + options_.shutdown_grace;
  // The Shutdown phase: SHUTDOWN to the extensions, SIGTERM to the runtime, SIGKILL after the grace
  // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html#runtimes-lifecycle-shutdown).
  extensions_.deliver_shutdown(epoch_ms_now() + options_.shutdown_grace.count(), reason);
  if (running_pids_.contains(runtime_pid_)) supervisor_.signal_group(runtime_pid_, SIGTERM);
  while (!processes_exited() && clock::now() < deadline) co_await exited_.wait_until(deadline);
  const bool clean = processes_exited();
  if (!clean) freezer_.kill_remaining();
  for (const pid_t pid : std::set<pid_t>(running_pids_)) supervisor_.release(pid);
  running_pids_.clear();
  freezer_.close();
  server_.stop();
  extensions_.close();
  state_ = state::gone;
  lambda::log(lambda::log_level::info, "environment_retired",
              {{"environment", std::int64_t{id_}},
               {"reason", reason},
               {"killed", !clean},
               {"ms", std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - began).count()},
               {"invocations", static_cast<std::int64_t>(invocations_)}});
  if (hooks_.changed) hooks_.changed();
  co_return clean;
}

lambda::spawn_options execution_environment::child_options() const {
  return {.user = options_.run_as, .cgroup_procs = freezer_.cgroup_procs()};
}

std::int64_t execution_environment::children_uid() const {
  return options_.run_as ? options_.run_as->uid : ::geteuid();
}

}  // namespace tsproxy::local
