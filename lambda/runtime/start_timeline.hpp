#pragma once
// The bootstrap's start, phase by phase, so a cold start can be broken into its parts. The end of each phase
// is stamped on the monotonic clock (the clock tsproxy-local stamps the spawn with), the first and the last
// with the page faults so far; once the first `next` is on the wire, the timeline is logged as one debug
// line. Stamping costs a clock read per phase and two getrusage calls, so it always runs; only the line
// depends on the log level.

namespace tsproxy::lambda {

enum class start_phase {
  main_entered,     // exec, the loading of the binary's pages and static initialisation
  io_backend,       // the io_uring probe (an io_uring build only)
  configuration,    // the environment read and checked, log settings applied
  runtime_built,    // every worker's event loop, pool and dial policy
  threads_started,  // the event-loop threads beyond the first
  first_next_sent,  // the first invocation loop's first `GET /next` written
};

// Main thread only. A phase stamped twice keeps its first stamp; stamping first_next_sent logs the
// timeline, once.
void stamp_start(start_phase phase) noexcept;

}  // namespace tsproxy::lambda
