#include "runtime/proxy_runtime.hpp"

#include <thread>

#include "common/log.hpp"
#include "runtime/start_timeline.hpp"

namespace tsproxy::lambda {

proxy_runtime::proxy_runtime(runtime_config config)
    : config_(std::move(config)), liveness_(config_.runtime_api_patience) {
  unsigned first_loop = 0;
  for (unsigned t = 0; t < config_.threads; ++t) {
    auto share = config_for_thread(config_, t);
    const unsigned loops = share.concurrency;
    workers_.push_back(std::make_unique<runtime_worker>(std::move(share), first_loop, liveness_,
                                                        listener_readiness_, [this] { give_up(); }));
    first_loop += loops;
  }
}

int proxy_runtime::run() {
  // The first `next` of every loop goes out before anything else is done; then each worker prewarms
  // its share of the prewarm connections into its own pool.
  for (auto& w : workers_) w->start(true);
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < workers_.size(); ++i)
    threads.emplace_back([w = workers_[i].get()] { w->io().run(); });
  stamp_start(start_phase::threads_started);
  workers_.front()->io().run();
  for (auto& t : threads) t.join();
  pool_stats total;
  for (auto& w : workers_) {
    const auto s = w->pool_counters();
    total.hits += s.hits;
    total.misses += s.misses;
    total.opened += s.opened;
  }
  log(log_level::info, "stopped",
      {{"threads", std::int64_t{config_.threads}},
       {"pool_hits", static_cast<std::int64_t>(total.hits)},
       {"pool_misses", static_cast<std::int64_t>(total.misses)},
       {"connections_opened", static_cast<std::int64_t>(total.opened)}});
  return exit_status_.load();
}

void proxy_runtime::stop() {
  for (auto& w : workers_) w->stop(config_.shutdown_grace);
}

void proxy_runtime::give_up() {
  exit_status_.store(1);
  for (auto& w : workers_) w->io().stop();
}

}  // namespace tsproxy::lambda
