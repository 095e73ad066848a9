// tsproxy-local: plays AWS Lambda on one machine (Runtime API, Extensions API, a Function URL).
//   tsproxy-local [options] -- /path/to/bootstrap [args...]

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "emulator.hpp"
#include "local_options.hpp"
#include "tsproxy/engine/spawn.hpp"

// NOLINTNEXTLINE(bugprone-exception-escape): an exception here is a bug; std::terminate names it and aborts
int main(int argc, char** argv) {
  std::string error;
  auto options = tsproxy::local::parse_local_options(argc, argv, error);
  if (!options) {
    if (!error.empty()) std::fprintf(stderr, "tsproxy-local: %s\n", error.c_str());
    const auto usage = tsproxy::local::local_usage();
    std::fwrite(usage.data(), 1, usage.size(), stderr);
    return error.empty() ? 0 : 2;
  }
  options->freeze = tsproxy::local::resolve_freeze_mode(options->freeze, error);
  if (!error.empty()) {
    std::fprintf(stderr, "tsproxy-local: %s\n", error.c_str());
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);
  asio::io_context io(1);
  tsproxy::local::emulator emulator(io, std::move(*options));
  int exit_code = 1;
  asio::co_spawn(io, emulator.run(), [&](const std::exception_ptr& failure, int code) {
    if (failure)
      tsproxy::report_coroutine_exception("emulator", failure);
    else
      exit_code = code;
    io.stop();
  });
  io.run();
  // Children are gone by now. Suspended connection coroutines still refer to the emulator, and the
  // io_context would destroy them only after it: end the process here instead of unwinding.
  std::fflush(nullptr);
  std::_Exit(exit_code);
}
