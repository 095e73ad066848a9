// bootstrap: the tsproxy custom runtime for provided.al2023. All policy lives in the runtime library.

#include <malloc.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <cstdio>
#include <string_view>

#include "common/log.hpp"
#include "runtime/proxy_runtime.hpp"
#include "runtime/runtime_api_client.hpp"
#include "runtime/start_timeline.hpp"
#include "tsproxy/engine/io_backend.hpp"
#include "tsproxy/engine/spawn.hpp"
#include "tsproxy/version.hpp"

// NOLINTNEXTLINE(bugprone-exception-escape): an exception here is a bug; std::terminate names it and aborts
int main(int argc, char** argv) {
  using namespace tsproxy::lambda;
  stamp_start(start_phase::main_entered);
  if (argc == 2 && std::string_view(argv[1]) == "--version") {
    std::printf("bootstrap (tsproxy) %.*s\n", static_cast<int>(tsproxy::version.size()),
                tsproxy::version.data());
    return 0;
  }
  tsproxy::ensure_io_backend(argv);
  stamp_start(start_phase::io_backend);
  // glibc raises its mmap threshold to the size of every large block freed, after which large event
  // buffers come from the heap and their memory is never returned. A fixed threshold keeps every
  // block above it in its own mapping, unmapped when freed: memory returns after a burst. 256 KiB
  // keeps the per-exchange read buffers (128 KiB) on the heap.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);

  std::string error;
  std::optional<asio::ip::tcp::endpoint> runtime_api;
  auto config = load_runtime_config(tsproxy::process_env, error, runtime_api);
  if (!config) {
    log(log_level::error, "invalid configuration", {{"error", error}});
    if (runtime_api) {  // tell Lambda, so the failure shows in the console instead of a timeout
      asio::io_context io(1);
      runtime_api_client api(io.get_executor(), *runtime_api);
      // Stopped once posted: the connection's deadline timer stays armed and would hold run() until it fires.
      tsproxy::spawn_reported(io.get_executor(), "init error",
                              [](runtime_api_client& client, std::string message,
                                 asio::io_context& context) -> asio::awaitable<void> {
                                const auto until = tsproxy::steady_clock::now() + std::chrono::seconds(10);
                                co_await client.post_init_error("Runtime.InvalidConfiguration", message,
                                                                until);
                                context.stop();
                              }(api, error, io));
      io.run();
    }
    return 1;
  }
  apply_log_settings(config->logging);
  stamp_start(start_phase::configuration);

  proxy_runtime runtime(std::move(*config));
  stamp_start(start_phase::runtime_built);
  asio::signal_set signals(runtime.main_io(), SIGTERM, SIGINT);
  signals.async_wait([&](const asio::error_code& ec, int signal) {
    if (ec) return;
    log(log_level::info, "shutting down", {{"signal", std::int64_t{signal}}});
    runtime.stop();
  });
  return runtime.run();
}
