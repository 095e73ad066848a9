#include "emulator.hpp"

#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>

#include "adapter/error_json.hpp"
#include "adapter/json_writer.hpp"
#include "child_environment.hpp"
#include "function_url_auth.hpp"
#include "json_log.hpp"
#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::local {

namespace {

using clock = std::chrono::steady_clock;

std::int64_t epoch_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using lambda::error_json;

runtime_api_server::settings runtime_settings(const local_options& options) {
  runtime_api_server::settings settings;
  settings.max_result_bytes = options.max_result_bytes;
  settings.stream.max_body_bytes = options.max_stream_bytes;
  return settings;
}

}  // namespace

emulator::emulator(asio::io_context& io, local_options options)
    : io_(io),
      options_(std::move(options)),
      function_{.region = child_region(current_environment()), .url_id = ids_.url_id()},
      queue_(options_.max_concurrency, options_.max_queued_invocations, options_.timeout),
      init_(queue_, stats_),
      extensions_(function_, options_.max_concurrency > 1, init_, ids_,
                  [this](std::string_view type, std::string_view body) { on_init_error(type, body); }),
      supervisor_(io, [this](const lambda::child_info& child) { on_child_exit(child); }),
      runtime_server_(io, runtime_settings(options_), function_, queue_, init_, extensions_, stats_,
                      [this](std::string_view type, std::string_view body) { on_init_error(type, body); }),
      url_listener_(io, options_, function_, queue_, stats_, ids_),
      signals_(io, SIGINT, SIGTERM) {}

asio::awaitable<int> emulator::run() {
  spawn_reported(io_.get_executor(), "signals", watch_signals());

  if (options_.auth == auth_mode::aws_iam) {
    std::string error;
    auto acceptance = load_function_url_auth(options_, function_.region, process_env, error);
    if (!acceptance) {
      log_line("error").str("msg", "cannot set up --auth aws_iam").str("error", error).emit();
      co_return 1;
    }
    log_line("auth")
        .str("mode", "aws_iam")
        .str("region", acceptance->region)
        .str("access_key_id", acceptance->key.access_key_id)
        .boolean("session_token", !acceptance->key.session_token.empty())
        .emit();
    url_listener_.require_iam(std::move(*acceptance));
  }

  const asio::ip::tcp::endpoint runtime_endpoint(asio::ip::make_address_v4("127.0.0.1"),
                                                 options_.runtime_port);
  if (const auto ec = runtime_server_.listen(runtime_endpoint)) {
    log_line("error").str("msg", "cannot listen on the runtime port").str("error", ec.message()).emit();
    co_return 1;
  }
  std::error_code ec;
  const auto bind_address = asio::ip::make_address(options_.bind_address, ec);
  if (!ec) ec = url_listener_.listen({bind_address, options_.port});
  if (ec) {
    log_line("error").str("msg", "cannot listen on the Function URL port").str("error", ec.message()).emit();
    co_return 1;
  }
  runtime_server_.start();
  url_listener_.start();

  const std::string runtime_api = "127.0.0.1:" + std::to_string(runtime_server_.port());
  const std::filesystem::path bootstrap = std::filesystem::absolute(options_.bootstrap.front());
  const auto env =
      build_child_environment(current_environment(), {.runtime_api = runtime_api,
                                                      .task_root = bootstrap.parent_path().string(),
                                                      .function_name = function_.name,
                                                      .memory_mb = options_.memory_mb,
                                                      .max_concurrency = options_.max_concurrency,
                                                      .invoke_mode = invoke_mode_name(options_.mode),
                                                      .log_stream_suffix = ids_.hex(32),
                                                      .now_epoch_ms = epoch_ms_now()});
  if (!co_await start_extensions(env)) {
    supervisor_.kill_all();
    co_return 1;
  }

  std::vector<std::string> argv = options_.bootstrap;
  argv.front() = bootstrap.string();
  init_.bootstrap_spawned(clock::now());
  runtime_pid_ = supervisor_.spawn("bootstrap", argv, env, ec, nullptr, options_.run_as);
  if (ec) {
    log_line("error")
        .str("msg", "cannot start the bootstrap")
        .str("path", argv.front())
        .str("error", ec.message())
        .emit();
    supervisor_.kill_all();
    co_return 1;
  }
  log_line("runtime_start")
      .str("path", argv.front())
      .num("pid", runtime_pid_)
      .num("uid", children_uid())
      .emit();
  if (!options_.extensions.empty()) spawn_reported(io_.get_executor(), "bound_init", bound_init());

  std::string ready = R"({"event":"ready","url":)";
  const std::string host =
      bind_address.is_v6() ? "[" + bind_address.to_string() + "]" : bind_address.to_string();
  lambda::append_json_string(ready, "http://" + host + ":" + std::to_string(url_listener_.port()));
  ready.append(",\"runtime_api\":");
  lambda::append_json_string(ready, runtime_api);
  ready.append("}\n");
  std::fwrite(ready.data(), 1, ready.size(), stdout);
  std::fflush(stdout);

  while (!stop_requested_) co_await stop_signal_.wait();
  co_await shutdown();
  co_return exit_code_;
}

asio::awaitable<bool> emulator::start_extensions(const std::vector<std::string>& env) {
  std::vector<pid_t> pids;
  for (const auto& path : options_.extensions) {
    const auto absolute = std::filesystem::absolute(path);
    std::error_code ec;
    const pid_t pid = supervisor_.spawn(absolute.filename().string(), {absolute.string()}, env, ec, nullptr,
                                        options_.run_as);
    if (ec) {
      log_line("error")
          .str("msg", "cannot start an extension")
          .str("path", absolute.string())
          .str("error", ec.message())
          .emit();
      co_return false;
    }
    log_line("extension_start")
        .str("path", absolute.string())
        .num("pid", pid)
        .num("uid", children_uid())
        .emit();
    pids.push_back(pid);
  }
  // Like Lambda, the runtime starts once every extension has registered (or the init bound passed).
  const auto deadline = clock::now() + options_.extension_register_timeout;
  for (;;) {
    if (stop_requested_) co_return false;
    if (init_.registered() >= pids.size()) co_return true;
    bool any_alive = false;
    for (const pid_t pid : pids) any_alive = any_alive || !supervisor_.find(pid)->exited;
    if (!any_alive || clock::now() >= deadline) {
      log_line("extensions_not_registered")
          .num("started", static_cast<std::int64_t>(pids.size()))
          .num("registered", static_cast<std::int64_t>(init_.registered()))
          .emit();
      co_return true;
    }
    co_await init_.changed().wait_until(std::min(deadline, clock::now() + std::chrono::milliseconds(50)));
  }
}

asio::awaitable<void> emulator::bound_init() {
  // An extension that registered but never asks for events must not hold every invocation back.
  const auto deadline = clock::now() + options_.extension_register_timeout;
  while (!init_.complete() && !stop_requested_ && clock::now() < deadline)
    co_await init_.changed().wait_until(deadline);
  if (!init_.complete() && !stop_requested_) init_.stop_waiting_for_extensions();
}

asio::awaitable<void> emulator::watch_signals() {
  auto [ec, signal] = co_await signals_.async_wait(use_tuple);
  if (ec) co_return;
  log_line("signal").num("signal", signal).emit();
  request_stop(0);
}

void emulator::request_stop(int exit_code) {
  if (stop_requested_) return;
  stop_requested_ = true;
  exit_code_ = exit_code;
  stop_signal_.notify_all();
}

std::int64_t emulator::children_uid() const {
  return options_.run_as ? options_.run_as->uid : ::geteuid();
}

void emulator::on_child_exit(const lambda::child_info& child) {
  if (stopping_) return;  // shutdown() reaps everything
  if (child.pid == runtime_pid_) {
    log_line("runtime_exit").num("pid", child.pid).num("exit_code", child.exit_code).emit();
    supervisor_.release(child.pid);
    queue_.fail({502, "Runtime.ExitError",
                 error_json("Runtime.ExitError",
                            "Runtime exited with error: exit status " + std::to_string(child.exit_code))});
  } else {
    log_line("extension_exit")
        .str("name", child.name)
        .num("pid", child.pid)
        .num("exit_code", child.exit_code)
        .emit();
    supervisor_.release(child.pid);
  }
}

void emulator::on_init_error(std::string_view error_type, std::string_view body) {
  log_line("init_error").str("error_type", error_type).str("body", body).emit();
  queue_.fail({502, std::string(error_type), std::string(body)});
  if (options_.exit_on_init_error)
    spawn_reported(io_.get_executor(), "exit_after_init_error", exit_after_init_error());
}

asio::awaitable<void> emulator::exit_after_init_error() {
  // Let the callers that were waiting receive their 502 first.
  const auto deadline = clock::now() + options_.shutdown_grace;
  while (url_listener_.active_requests() > 0 && clock::now() < deadline)
    co_await sleep_for(std::chrono::milliseconds(10));
  request_stop(1);
}

asio::awaitable<void> emulator::sleep_for(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, duration);
  co_await timer.async_wait(use_tuple);
}

asio::awaitable<void> emulator::shutdown() {
  stopping_ = true;
  url_listener_.stop();
  queue_.fail({502, "Sandbox.Shutdown", error_json("Sandbox.Shutdown", "the function is shutting down")});
  queue_.close();
  const auto began = clock::now();
  const auto deadline = began + options_.shutdown_grace;
  extensions_.deliver_shutdown(epoch_ms_now() + options_.shutdown_grace.count(), "spindown");
  if (runtime_pid_ > 0) supervisor_.signal_group(runtime_pid_, SIGTERM);
  while (clock::now() < deadline && (!supervisor_.all_exited() || url_listener_.active_requests() > 0)) {
    co_await sleep_for(std::chrono::milliseconds(10));
  }
  const bool clean = supervisor_.all_exited();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - began);
  supervisor_.kill_all();
  runtime_server_.stop();
  // How long the processes took to exit, against the grace they had: a test can see the margin they left.
  log_line("shutdown")
      .num("exit_code", exit_code_)
      .boolean("killed", !clean)
      .num("ms", took.count())
      .num("grace_ms", options_.shutdown_grace.count())
      .emit();
}

}  // namespace tsproxy::local
