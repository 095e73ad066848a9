#include "environment_pool.hpp"

#include <asio/post.hpp>
#include <limits>

#include "adapter/error_json.hpp"
#include "adapter/json_writer.hpp"
#include "invoke_stats.hpp"
#include "tsproxy/engine/spawn.hpp"

namespace tsproxy::local {

namespace {

using clock = std::chrono::steady_clock;
using lambda::error_json;

// How often retired environments are checked for whether they can be freed, when nothing else wakes the
// reaper (their last connections close a moment after their processes are gone).
constexpr std::chrono::milliseconds release_check_interval{1000};

}  // namespace

environment_pool::environment_pool(asio::io_context& io, const local_options& options,
                                   const function_identity& function, id_generator& ids,
                                   lambda::process_supervisor& supervisor, invoke_stats& stats,
                                   init_error_handler on_init_error)
    : io_(io),
      options_(options),
      function_(function),
      ids_(ids),
      supervisor_(supervisor),
      stats_(stats),
      on_init_error_(std::move(on_init_error)) {}

asio::awaitable<bool> environment_pool::start(std::uint16_t runtime_port) {
  auto* first = create_environment();
  spawn_reported(io_.get_executor(), "environment_reaper", reap_idle());
  co_return co_await first->start(runtime_port);
}

std::string environment_pool::first_runtime_api() const {
  return environments_.empty() ? std::string() : environments_.front()->runtime_api();
}

execution_environment* environment_pool::create_environment() {
  execution_environment::hooks hooks{.changed = [this] { schedule_dispatch(); },
                                     .initialized = [this](double ms) { stats_.set_init_duration(ms); },
                                     .init_error =
                                         [this](std::string_view type, std::string_view body) {
                                           if (on_init_error_) on_init_error_(type, body);
                                         },
                                     .stats_json = [this] { return stats_json(); }};
  environments_.push_back(std::make_unique<execution_environment>(io_, options_, function_, ids_, supervisor_,
                                                                  next_id_++, std::move(hooks)));
  return environments_.back().get();
}

asio::awaitable<void> environment_pool::initialize(execution_environment& env) {
  co_await env.start(0);
  schedule_dispatch();
}

std::size_t environment_pool::live_environments() const {
  std::size_t live = 0;
  for (const auto& env : environments_) {
    const auto s = env->current_state();
    if (s == execution_environment::state::initializing || s == execution_environment::state::ready) ++live;
  }
  return live;
}

execution_environment* environment_pool::with_room() {
  // A warm environment before one still in its init; among those, the most recently used, as Lambda
  // reuses a warm environment for the next invocation.
  execution_environment* best = nullptr;
  for (const auto& env : environments_) {
    if (!env->has_room()) continue;
    if (!best) {
      best = env.get();
      continue;
    }
    const bool ready = env->current_state() == execution_environment::state::ready;
    const bool best_ready = best->current_state() == execution_environment::state::ready;
    if ((ready && !best_ready) || (ready == best_ready && env->last_used() > best->last_used()))
      best = env.get();
  }
  return best;
}

environment_pool::admission environment_pool::submit(std::shared_ptr<invocation> inv) {
  if (failure_) return admission::failed;
  const bool can_run_now =
      waiting_.empty() && (with_room() || live_environments() < options_.max_environments);
  if (!can_run_now && waiting_.size() >= options_.max_queued_invocations) return admission::full;
  waiting_.push_back(std::move(inv));
  dispatch();
  return admission::queued;
}

void environment_pool::withdraw(const invocation& inv) {
  const auto queued =
      std::find_if(waiting_.begin(), waiting_.end(), [&](const auto& p) { return p.get() == &inv; });
  if (queued != waiting_.end()) {
    waiting_.erase(queued);
    return;
  }
  for (const auto& env : environments_) env->withdraw(inv);
}

void environment_pool::schedule_dispatch() {
  changed_.notify_all();
  if (dispatch_scheduled_) return;
  dispatch_scheduled_ = true;
  // Posted: environments report changes from inside their queue's operations.
  asio::post(io_, [this] {
    dispatch_scheduled_ = false;
    dispatch();
  });
}

void environment_pool::dispatch() {
  if (stopping_) return;
  // An environment whose init failed or whose runtime exited is reset, as Lambda resets it; the next
  // invocation that needs one gets a new environment.
  for (const auto& env : environments_) {
    const auto s = env->current_state();
    if (env->failed() &&
        (s == execution_environment::state::initializing || s == execution_environment::state::ready)) {
      spawn_reported(io_.get_executor(), "environment_retire", retire(*env, "failure"));
    }
  }
  while (!waiting_.empty()) {
    auto* env = with_room();
    if (!env && live_environments() < options_.max_environments) {
      // A cold start: the invocation waits in the new environment's queue while it initialises.
      env = create_environment();
      spawn_reported(io_.get_executor(), "environment_start", initialize(*env));
    }
    if (!env) break;
    auto inv = std::move(waiting_.front());
    waiting_.pop_front();
    env->assign(std::move(inv));
  }
  changed_.notify_all();
}

asio::awaitable<void> environment_pool::retire(execution_environment& env, std::string_view reason) {
  // A named value: a temporary built inside the co_await expression is destroyed twice by GCC.
  invocation_failure failure{502, "Sandbox.Shutdown",
                             error_json("Sandbox.Shutdown", "the environment is shutting down")};
  co_await env.retire(reason, std::move(failure));
  schedule_dispatch();
}

asio::awaitable<void> environment_pool::reap_idle() {
  while (!stopping_) {
    release_drained();
    const auto now = clock::now();
    auto wake = now + release_check_interval;
    if (options_.idle_retire.count() > 0) {
      for (const auto& env : environments_) {
        if (!env->idle()) continue;
        const auto due = env->last_used() + options_.idle_retire;
        if (due <= now)
          spawn_reported(io_.get_executor(), "environment_retire", retire(*env, "spindown"));
        else
          wake = std::min(wake, due);
      }
    }
    co_await changed_.wait_until(wake);
  }
}

void environment_pool::release_drained() {
  std::erase_if(environments_, [](const auto& env) { return env->drained(); });
}

bool environment_pool::on_child_exit(const lambda::child_info& child) {
  for (const auto& env : environments_) {
    if (env->on_child_exit(child)) return true;
  }
  return false;
}

asio::awaitable<bool> environment_pool::shutdown(invocation_failure failure) {
  stopping_ = true;
  failure_ = failure;
  const auto result = make_error_result(failure.status, failure.error_type, failure.body);
  for (auto& inv : waiting_) inv->fail(result, failure.error_type);
  waiting_.clear();
  changed_.notify_all();
  // Every environment spins down at once, each with the full grace, as Lambda's are independent.
  std::size_t retiring = 0;
  bool clean = true;
  for (const auto& env : environments_) {
    ++retiring;
    asio::co_spawn(io_, env->retire("spindown", failure),
                   [this, &retiring, &clean](const std::exception_ptr& failed, bool exited) {
                     if (failed) report_coroutine_exception("environment_shutdown", failed);
                     clean = clean && exited && !failed;
                     --retiring;
                     changed_.notify_all();
                   });
  }
  while (retiring > 0) co_await changed_.wait();
  co_return clean;
}

std::string environment_pool::stats_json() const {
  invoke_stats::queue_state queue;
  queue.queued = waiting_.size();
  for (const auto& env : environments_) {
    queue.in_flight += env->queue().in_flight();
    queue.queued += env->queue().queued();
    queue.next_waiting += env->queue().next_waiting();
  }
  std::string out = stats_.to_json(queue);
  out.pop_back();  // the closing brace: the environments follow
  out.append(",\"environments\":[");
  bool first = true;
  for (const auto& env : environments_) {
    if (env->current_state() == execution_environment::state::gone) continue;
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"id\":");
    lambda::append_json_int(out, env->id());
    out.append(",\"state\":");
    lambda::append_json_string(out, env->state_name());
    out.append(",\"invocations\":");
    lambda::append_json_int(out, static_cast<std::int64_t>(env->invocations()));
    out.append(",\"init_duration_ms\":");
    if (const auto ms = env->init_duration_ms())
      lambda::append_json_fixed(out, *ms, 3);
    else
      out.append("null");
    out.append(",\"frozen\":");
    out.append(env->frozen() ? "true" : "false");
    out.append(",\"freezes\":");
    lambda::append_json_int(out, static_cast<std::int64_t>(env->freezes()));
    out.append(",\"runtime_api\":");
    lambda::append_json_string(out, env->runtime_api());
    out.append(",\"log_stream\":");
    lambda::append_json_string(out, env->log_stream());
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

}  // namespace tsproxy::local
