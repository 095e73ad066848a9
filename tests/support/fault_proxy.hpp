#pragma once
// A TCP proxy on 127.0.0.1 that fails connections on purpose, for the retry tests of AWS clients. Per
// accepted connection it reads one HTTP/1.1 request (head, then a Content-Length body), counts it, and
// then does what its plan says for that connection: answers as a throttled or failing AWS endpoint,
// resets the connection, or forwards it to the upstream (moto) and relays both ways until either side
// closes. Runs in this process on its own threads, so its count is exact the moment a client has its
// answer: a request is counted before anything is sent back.
//
// The answers imitate AWS's JSON protocol (as botocore 1.43.67 reads them, botocore/parsers.py:727-760):
// the error's name in the body's "__type" and in an x-amzn-ErrorType header, the text in "message".
// Status and name go together as botocore/data/_retry.json:11-18 and :35-41 record them.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/net.hpp"

namespace tsproxy::test {

enum class proxy_fault {
  forward,               // the request and everything after it, both ways, to the upstream
  throttling_exception,  // 400 {"__type":"ThrottlingException","message":"Rate exceeded"}
  too_many_requests,     // 429 {"__type":"TooManyRequestsException",...}
  internal_error,        // 500 {"__type":"InternalServiceError",...}, Secrets Manager's own 5xx
  service_unavailable,   // 503 with a plain-text body and no error name, as a load balancer answers
  reset,                 // no answer: RST (SO_LINGER 0) once the request is read
};

class fault_proxy {
 public:
  // Listens at once (port 0, so no race for a port). Connection n (from 0) gets plan[n]; every
  // connection after the plan's end gets its last entry. Throws std::system_error if it cannot listen.
  fault_proxy(std::uint16_t upstream_port, std::vector<proxy_fault> plan);
  // Stops accepting, cuts every connection still open and joins every thread.
  ~fault_proxy();
  fault_proxy(const fault_proxy&) = delete;
  fault_proxy& operator=(const fault_proxy&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string endpoint() const;  // http://127.0.0.1:<port>
  // Requests read in full so far, whatever was done with them.
  std::size_t requests() const noexcept { return requests_.load(); }

 private:
  void accept_loop();
  void serve(unique_fd client, proxy_fault fault);
  void forward(int client, const std::string& request_bytes);
  // Connections are registered while open so that the destructor can cut them (shutdown wakes a thread
  // blocked reading them); a thread unregisters a descriptor before closing it.
  void track(int fd);
  void untrack(int fd);

  std::uint16_t upstream_port_;
  std::vector<proxy_fault> plan_;
  unique_fd listener_;
  std::uint16_t port_ = 0;
  std::atomic<std::size_t> requests_{0};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::set<int> open_fds_;
  std::vector<std::thread> connection_threads_;
  std::thread accept_thread_;
};

}  // namespace tsproxy::test
