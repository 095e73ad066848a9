#pragma once
// Getting Tailscale up inside the execution environment, as fast as the network allows and without a
// single fixed sleep (docs/PROTOCOLS.md section 5):
//  1. tailscaled starts (userspace networking, SOCKS5 listener, LocalAPI socket, in-memory state) while
//     the secret is fetched;
//  2. once its LocalAPI answers, `tailscale up` logs in with the key (read from a private file);
//  3. the LocalAPI status is polled, at short growing intervals and at once when a child exits, until
//     BackendState is Running. tailscaled binds its SOCKS5 listener before it creates the backend that
//     LocalAPI requests wait for (tailscale/tailscale@v1.102.3 cmd/tailscaled/tailscaled.go:657-659 and
//     :713, cmd/tailscaled/proxy.go:48-52), so an answer proves the listener open; a probe connection
//     would not be harmless: tailscaled logs every connection that ends before its SOCKS5 request as a
//     failed client (net/socks5/socks5.go:131-136);
//  4. with TS_EXIT_NODE, the exit node is set (by name, once peers are known) and its address, as
//     tailscaled's status gives the exit node it selected, is pinged.
// Every step is bounded by one deadline; a failure says which step failed and why, with the error type
// an operator acts on (extension_errors.hpp). tailscaled exiting ends the wait at once.

#include <sys/types.h>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/event_signal.hpp"
#include "extension/child_set.hpp"
#include "extension/extension_config.hpp"
#include "extension/key_source.hpp"
#include "extension/tailscale_secret.hpp"
#include "tsproxy/engine/deadline.hpp"

namespace tsproxy::extension {

struct bringup_failure {
  std::string_view error_type;
  std::string message;
};

// When each step was reached, in milliseconds since the extension started (-1: not reached).
struct bringup_timings {
  double tailscaled_started = -1;
  double key_fetched = -1;
  double local_api_answered = -1;
  double up_started = -1;
  double up_exited = -1;
  double running = -1;
  double exit_node_checked = -1;
};

class tailscale_bringup {
 public:
  // While waiting for a state: the first poll after this, doubling up to max_poll, which bounds the time
  // from a change to its notice (measured: bench/extension-readiness). A child's exit (the end of
  // `tailscale up` above all) makes the next poll happen at once. A status question costs tailscaled a
  // fraction of a millisecond, a connect to a socket that does not exist yet less.
  static constexpr std::chrono::milliseconds first_poll{5};
  static constexpr std::chrono::milliseconds max_poll{20};
  // Until tailscaled's LocalAPI socket exists, a connect fails with one cheap system call: tried at this
  // fixed interval, so that `up` starts within it of tailscaled being able to take it.
  static constexpr std::chrono::milliseconds local_api_poll{5};
  // One LocalAPI question.
  static constexpr std::chrono::milliseconds probe_timeout{1000};
  // A tailscale CLI command's own start-up on top of its work (a ping's timeout).
  static constexpr std::chrono::milliseconds cli_slack{2000};
  // Between exit-node pings that failed at once (the peer not in the netmap yet).
  static constexpr std::chrono::milliseconds first_ping_pause{10};
  static constexpr std::chrono::milliseconds max_ping_pause{200};

  // `local_api_answered` is notified when tailscaled's LocalAPI first answers (its listener is open then).
  tailscale_bringup(asio::io_context& io, const extension_config& config, child_set& children,
                    key_source keys, time_point started, lambda::event_signal& local_api_answered);

  // Brings Tailscale up by `deadline`: nullopt once it is (Running, exit node checked).
  asio::awaitable<std::optional<bringup_failure>> run(time_point deadline);

  // tailscaled's pid (-1 before it started).
  pid_t tailscaled_pid() const noexcept { return tailscaled_; }
  // `tailscale up` was started, so a node may exist in the tailnet and a logout is worth it.
  bool logged_in() const noexcept { return logged_in_; }
  const bringup_timings& timings() const noexcept { return timings_; }

 private:
  asio::awaitable<key_fetch_result> fetch_key(time_point deadline);
  asio::awaitable<std::optional<bringup_failure>> wait_for_local_api(time_point deadline);
  asio::awaitable<std::optional<bringup_failure>> log_in(const tailscale_credential& credential,
                                                         std::string_view raw_key, time_point deadline);
  asio::awaitable<std::optional<bringup_failure>> check_exit_node(time_point deadline);
  // The address to ping for the exit node: the one tailscaled selected (its status), else TS_EXIT_NODE.
  asio::awaitable<std::string> exit_node_address(time_point until);
  // Where the key came from, for messages: the secret's id or "in <key file>".
  std::string key_origin() const;
  // Waits for the next poll (or a child's exit) and grows the interval.
  asio::awaitable<void> pause(std::chrono::milliseconds& interval, time_point deadline);
  std::optional<bringup_failure> tailscaled_gone(std::string_view during) const;
  std::optional<bringup_failure> exit_node_unreachable(std::string message) const;
  std::string not_up_reason() const;
  double elapsed_ms() const;

  asio::io_context& io_;
  const extension_config& config_;
  child_set& children_;
  key_source keys_;
  time_point started_;
  pid_t tailscaled_ = -1;
  bool logged_in_ = false;
  std::string last_state_;                // the last BackendState read
  std::vector<std::string> last_health_;  // and the health messages with it
  lambda::event_signal& local_api_answered_;
  std::string last_probe_error_;  // why the last LocalAPI question failed
  bringup_timings timings_;
};

}  // namespace tsproxy::extension
