#include "init_tracker.hpp"

#include "common/log.hpp"
#include "common/monotonic_ns.hpp"
#include "invocation_queue.hpp"

namespace tsproxy::local {

void init_tracker::extension_registered(std::string_view id) {
  registered_.emplace(id);
  changed_.notify_all();
}

void init_tracker::extension_ready(std::string_view id) {
  ready_.emplace(id);
  check();
}

void init_tracker::runtime_ready() {
  runtime_ready_ = true;
  check();
}

void init_tracker::stop_waiting_for_extensions() {
  if (complete_) return;
  lambda::log(lambda::log_level::warn, "init_extensions_not_ready",
              {{"environment", std::int64_t{environment_id_}},
               {"registered", static_cast<std::int64_t>(registered_.size())},
               {"ready", static_cast<std::int64_t>(ready_.size())}});
  ignore_extensions_ = true;
  check();
}

void init_tracker::check() {
  changed_.notify_all();
  if (complete_ || !runtime_ready_) return;
  for (const auto& id : registered_) {
    if (!ignore_extensions_ && !ready_.contains(id)) return;
  }
  complete_ = true;
  const auto now = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - spawned_at_).count();
  lambda::log(lambda::log_level::info, "init",
              {{"environment", std::int64_t{environment_id_}},
               {"init_duration_ms", ms},
               {"monotonic_ns", lambda::monotonic_ns(now)},
               {"extensions", static_cast<std::int64_t>(registered_.size())}});
  queue_.open();
  if (on_complete_) on_complete_(ms);
}

}  // namespace tsproxy::local
