#include "emulator.hpp"

#include <asio/co_spawn.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <csignal>
#include <cstdio>

#include "adapter/error_json.hpp"
#include "adapter/json_writer.hpp"
#include "child_environment.hpp"
#include "common/log.hpp"
#include "function_url_auth.hpp"
#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::local {

namespace {

using clock = std::chrono::steady_clock;
using lambda::error_json;

}  // namespace

emulator::emulator(asio::io_context& io, local_options options)
    : io_(io),
      options_(std::move(options)),
      function_{.region = child_region(current_environment()), .url_id = ids_.url_id()},
      supervisor_(io, [this](const lambda::child_info& child) { on_child_exit(child); }),
      environments_(io, options_, function_, ids_, supervisor_, stats_,
                    [this](std::string_view, std::string_view) { on_init_error(); }),
      url_listener_(io, options_, function_, environments_, stats_, ids_),
      signals_(io, SIGINT, SIGTERM) {}

asio::awaitable<int> emulator::run() {
  spawn_reported(io_.get_executor(), "signals", watch_signals());

  if (options_.auth == auth_mode::aws_iam) {
    std::string error;
    auto iam = load_function_url_auth(options_, function_.region, process_env, error);
    if (!iam) {
      lambda::log(lambda::log_level::error, "cannot set up --auth aws_iam", {{"error", error}});
      co_return 1;
    }
    for (const auto& signer : iam->signers) {
      lambda::log(lambda::log_level::info, "auth",
                  {{"mode", std::string_view("aws_iam")},
                   {"region", signer.acceptance.region},
                   {"access_key_id", signer.acceptance.key.access_key_id},
                   {"session_token", !signer.acceptance.key.session_token.empty()},
                   {"principal", signer.principal.user_arn}});
    }
    url_listener_.require_iam(std::move(*iam));
  }

  std::error_code ec;
  const auto bind_address = asio::ip::make_address(options_.bind_address, ec);
  if (!ec) ec = url_listener_.listen({bind_address, options_.port});
  if (ec) {
    lambda::log(lambda::log_level::error, "cannot listen on the Function URL port",
                {{"error", ec.message()}});
    co_return 1;
  }
  url_listener_.start();

  if (!co_await environments_.start(options_.runtime_port)) {
    supervisor_.kill_all();
    co_return 1;
  }

  std::string ready = R"({"event":"ready","url":)";
  const std::string host =
      bind_address.is_v6() ? "[" + bind_address.to_string() + "]" : bind_address.to_string();
  lambda::append_json_string(ready, "http://" + host + ":" + std::to_string(url_listener_.port()));
  ready.append(",\"runtime_api\":");
  lambda::append_json_string(ready, environments_.first_runtime_api());
  ready.append("}\n");
  std::fwrite(ready.data(), 1, ready.size(), stdout);
  std::fflush(stdout);

  while (!stop_requested_) co_await stop_signal_.wait();
  co_await shutdown();
  co_return exit_code_;
}

asio::awaitable<void> emulator::watch_signals() {
  auto [ec, signal] = co_await signals_.async_wait(use_tuple);
  if (ec) co_return;
  lambda::log(lambda::log_level::info, "signal", {{"signal", std::int64_t{signal}}});
  request_stop(0);
}

void emulator::request_stop(int exit_code) {
  if (stop_requested_) return;
  stop_requested_ = true;
  exit_code_ = exit_code;
  stop_signal_.notify_all();
}

void emulator::on_child_exit(const lambda::child_info& child) {
  if (!environments_.on_child_exit(child)) supervisor_.release(child.pid);
}

void emulator::on_init_error() {
  if (options_.exit_on_init_error && !exiting_after_init_error_) {
    exiting_after_init_error_ = true;
    spawn_reported(io_.get_executor(), "exit_after_init_error", exit_after_init_error());
  }
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
  url_listener_.stop();
  const auto began = clock::now();
  // A named value: a temporary built inside the co_await expression is destroyed twice by GCC.
  invocation_failure failure{502, "Sandbox.Shutdown",
                             error_json("Sandbox.Shutdown", "the function is shutting down")};
  const bool clean = co_await environments_.shutdown(std::move(failure));
  // Callers that were answered just now get their response before the process ends.
  const auto deadline = began + options_.shutdown_grace;
  while (url_listener_.active_requests() > 0 && clock::now() < deadline)
    co_await sleep_for(std::chrono::milliseconds(10));
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - began);
  supervisor_.kill_all();
  // How long the processes took to exit, against the grace they had: a test can see the margin they left.
  lambda::log(lambda::log_level::info, "shutdown",
              {{"exit_code", std::int64_t{exit_code_}},
               {"killed", !clean},
               {"ms", took.count()},
               {"grace_ms", options_.shutdown_grace.count()}});
}

}  // namespace tsproxy::local
