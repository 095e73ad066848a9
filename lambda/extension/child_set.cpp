#include "extension/child_set.hpp"

#include <unistd.h>

#include <algorithm>

#include "tsproxy/engine/spawn.hpp"

namespace tsproxy::extension {

child_set::child_set(asio::io_context& io, std::vector<std::string> env)
    : io_(io),
      env_(std::move(env)),
      supervisor_(io, [this](const lambda::child_info&) { changed_.notify_all(); }) {}

pid_t child_set::start(std::string source, const command_line& argv, std::error_code& ec, std::string secret,
                       const std::vector<std::string>& extra_env) {
  int output_fd = -1;
  std::vector<std::string> env;
  if (!extra_env.empty()) {
    env.reserve(env_.size() + extra_env.size());
    for (const auto& entry : env_) {
      const std::string_view name = std::string_view(entry).substr(0, entry.find('='));
      const bool replaced = std::any_of(extra_env.begin(), extra_env.end(), [&](const std::string& extra) {
        return std::string_view(extra).substr(0, extra.find('=')) == name;
      });
      if (!replaced) env.push_back(entry);
    }
    env.insert(env.end(), extra_env.begin(), extra_env.end());
  }
  const pid_t pid =
      supervisor_.spawn(source, argv, extra_env.empty() ? env_ : env, ec, {.output = &output_fd});
  if (ec) return -1;
  auto output =
      std::make_unique<child_output>(io_.get_executor(), output_fd, std::move(source), std::move(secret));
  auto* reader = output.get();
  children_[pid] = child{std::move(output)};
  spawn_reported(io_.get_executor(), "child output",
                 [](child_output& out, lambda::event_signal& changed) -> asio::awaitable<void> {
                   co_await out.run();
                   changed.notify_all();
                 }(*reader, changed_));
  return pid;
}

bool child_set::exited(pid_t pid) const {
  const auto* info = supervisor_.find(pid);
  return info == nullptr || info->exited;
}

int child_set::exit_code(pid_t pid) const {
  const auto* info = supervisor_.find(pid);
  return info == nullptr ? -1 : info->exit_code;
}

std::string child_set::output_tail(pid_t pid) const {
  const auto found = children_.find(pid);
  return found == children_.end() ? std::string() : found->second.output->tail();
}

void child_set::redact(pid_t pid, std::string secret) {
  const auto found = children_.find(pid);
  if (found != children_.end()) found->second.output->redact(std::move(secret));
}

asio::awaitable<bool> child_set::wait_exit(pid_t pid, time_point until) {
  const auto found = children_.find(pid);
  for (;;) {
    const bool output_done = found == children_.end() || found->second.output->finished();
    if (exited(pid) && output_done) co_return true;
    if (steady_clock::now() >= until) co_return false;
    co_await changed_.wait_until(until);
  }
}

asio::awaitable<command_result> child_set::run(std::string source, const command_line& argv, time_point until,
                                               std::string secret) {
  command_result result;
  const pid_t pid = start(std::move(source), argv, result.spawn_error, std::move(secret));
  if (result.spawn_error) co_return result;
  if (!co_await wait_exit(pid, until)) {
    result.timed_out = true;
    release(pid);
    // The output ends with the group: give the reader the moment it needs to see the end.
    co_await wait_exit(pid, steady_clock::now() + std::chrono::milliseconds(50));
  }
  result.exit_code = exit_code(pid);
  result.output = output_tail(pid);
  release(pid);
  co_return result;
}

void child_set::signal(pid_t pid, int signal) const {
  supervisor_.signal_group(pid, signal);
}

void child_set::release(pid_t pid) {
  supervisor_.release(pid);
}

void child_set::reap_when_done(pid_t pid, time_point until) {
  spawn_reported(io_.get_executor(), "reap child",
                 [](child_set& self, pid_t child, time_point by) -> asio::awaitable<void> {
                   co_await self.wait_exit(child, by);
                   self.release(child);
                 }(*this, pid, until));
}

void child_set::kill_all() {
  supervisor_.kill_all();
}

}  // namespace tsproxy::extension
