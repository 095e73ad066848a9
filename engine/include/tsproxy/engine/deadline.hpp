#pragma once
// Deadlines: every wait in the engine is bounded by the sooner of its phase's own timeout and the
// deadline of the request it serves, and reports which of the two ran out.

#include <asio/awaitable.hpp>
#include <chrono>
#include <system_error>

#include "tsproxy/engine/errors.hpp"

namespace tsproxy {

using steady_clock = std::chrono::steady_clock;
using time_point = steady_clock::time_point;

struct phase_bound {
  time_point until;
  engine_error on_timeout;
};

// The bound for a phase that may last `phase_timeout` within a request that must end by `request_deadline`.
inline phase_bound bound_phase(time_point request_deadline, std::chrono::milliseconds phase_timeout,
                               engine_error phase_error) {
  const auto phase_end = steady_clock::now() + phase_timeout;
  if (phase_end < request_deadline) return {phase_end, phase_error};
  return {request_deadline, engine_error::request_deadline};
}

// Runs `op`; when `bound.until` passes first, `op` is cancelled and `bound.on_timeout` returned.
asio::awaitable<std::error_code> within(phase_bound bound, asio::awaitable<std::error_code> op);

}  // namespace tsproxy
