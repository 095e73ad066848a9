#include "init_tracker.hpp"

#include "invocation_queue.hpp"
#include "json_log.hpp"

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
  log_line("init_extensions_not_ready")
      .num("environment", environment_id_)
      .num("registered", static_cast<std::int64_t>(registered_.size()))
      .num("ready", static_cast<std::int64_t>(ready_.size()))
      .emit();
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
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - spawned_at_).count();
  log_line("init")
      .num("environment", environment_id_)
      .ms("init_duration_ms", ms)
      .num("extensions", static_cast<std::int64_t>(registered_.size()))
      .emit();
  queue_.open();
  if (on_complete_) on_complete_(ms);
}

}  // namespace tsproxy::local
