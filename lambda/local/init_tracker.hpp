#pragma once
// The init phase: it ends when the runtime has called its first `next` and every registered extension
// has called its first `next`. Then init_duration_ms (from spawning the bootstrap) is logged with the
// environment's id, like Lambda's INIT_REPORT line, handed to `on_complete`, and the queue starts
// handing out invocations.

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "common/event_signal.hpp"

namespace tsproxy::local {

class invocation_queue;

class init_tracker {
 public:
  using completion_handler = std::function<void(double init_duration_ms)>;
  init_tracker(invocation_queue& queue, int environment_id, completion_handler on_complete)
      : queue_(queue), environment_id_(environment_id), on_complete_(std::move(on_complete)) {}

  void bootstrap_spawned(std::chrono::steady_clock::time_point at) { spawned_at_ = at; }
  void extension_registered(std::string_view id);
  void extension_ready(std::string_view id);  // its first `next`
  void runtime_ready();                       // the runtime's first `next`
  // The init bound passed with extensions still not ready: init completes with the runtime alone.
  void stop_waiting_for_extensions();

  bool complete() const noexcept { return complete_; }
  std::size_t registered() const noexcept { return registered_.size(); }
  // Notified on every registration and readiness change.
  lambda::event_signal& changed() noexcept { return changed_; }

 private:
  void check();

  invocation_queue& queue_;
  int environment_id_;
  completion_handler on_complete_;
  std::chrono::steady_clock::time_point spawned_at_{};
  std::set<std::string, std::less<>> registered_;
  std::set<std::string, std::less<>> ready_;
  bool runtime_ready_ = false;
  bool ignore_extensions_ = false;
  bool complete_ = false;
  lambda::event_signal changed_;
};

}  // namespace tsproxy::local
