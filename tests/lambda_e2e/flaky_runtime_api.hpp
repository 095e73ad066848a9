#pragma once
// A Runtime API on loopback for the bootstrap alone, whose faults a test switches: it long-polls `next`
// and can be "down" (while down it accepts each connection and closes it at once, so the runtime's
// attempts can be counted, and drops the ones it had); it can also cut an event short in the middle of
// its body, or drop a connection after reading a response POST without answering it.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/net.hpp"

namespace tsproxy::test {

class flaky_runtime_api {
 public:
  flaky_runtime_api();
  ~flaky_runtime_api();
  flaky_runtime_api(const flaky_runtime_api&) = delete;
  flaky_runtime_api& operator=(const flaky_runtime_api&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  void set_down(bool down);
  // The next `count` events handed out are cut off halfway through their body (the connection closes).
  void cut_next_events(int count);
  // The next `count` POSTs (responses or errors) are read whole and then the connection closes unanswered.
  void drop_next_posts(int count);

  int refused_while_down() const { return refused_; }
  int nexts_waiting() const { return waiting_; }
  int events_cut() const { return events_cut_; }
  int posts_dropped() const { return posts_dropped_; }
  // Hands the next `next` an invocation; its response body arrives in responses().
  void invoke(std::string event);
  std::vector<std::string> responses() const;

 private:
  void accept_loop();
  void serve(int fd);

  unique_fd listener_;
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::thread> connections_;
  std::vector<int> open_;
  std::vector<std::string> pending_, responses_;
  std::atomic<bool> stopping_{false};
  bool down_ = false;
  int cut_ = 0, drop_ = 0;
  std::atomic<int> refused_{0};
  std::atomic<int> waiting_{0};
  std::atomic<int> events_cut_{0};
  std::atomic<int> posts_dropped_{0};
  int served_ = 0;
};

}  // namespace tsproxy::test
