#pragma once
// What every row of the fault matrix asserts (README, "Fault matrix"): the caller gets the documented
// answer, the runtime is still the same process, and the next request through the whole stack succeeds.

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "local_stack.hpp"

namespace tsproxy::test {

// The proxy's own answer (docs/PROTOCOLS.md section 1.3): `status`, `ts-error-name: name`, a non-empty
// ts-error-message, and the JSON body naming the same error.
::testing::AssertionResult is_proxy_error(const http_reply& reply, int status, std::string_view name);

// The proxy's answer after a target failed mid-body while its body was being handed over (a buffered
// body of at least 64 KiB with a Content-Length, docs/PROTOCOLS.md section 1.3): `status`, `ts-error-name:
// name`, a non-empty ts-error-message, and as body the part that arrived: fewer than `declared` bytes of
// the misbehaving upstream's i % 256 pattern, still described by its content-type.
::testing::AssertionResult is_proxy_error_after_part(const http_reply& reply, int status,
                                                     std::string_view name, std::size_t declared);

// The same for a direct invocation's result: the Function URL response document the runtime posted.
::testing::AssertionResult is_proxy_error_result(const std::string& result, int status,
                                                 std::string_view name);

// A streamed answer cut short after the target's status went out (docs/PROTOCOLS.md section 2.3): curl read
// `status` and then the transfer broke, and the emulator received the runtime's error trailer `error_type`.
::testing::AssertionResult is_cut_stream(const local_stack& stack, const http_reply& reply, int status,
                                         std::string_view error_type);

// The runtime is still process `pid` and serves a POST end to end: the upstream's /echo returns its body
// byte for byte. A POST is never replayed, so a connection left out of step by the fault would show here.
::testing::AssertionResult keeps_serving(const local_stack& stack, pid_t pid,
                                         const python_upstream& upstream);

// The string value of `key` in the emulator's log line `message` about `request_id`; waits for the line.
std::string emulator_log_field(const local_stack& stack, std::string_view message,
                               std::string_view request_id, std::string_view key);

// The runtime's TCP connections to a local port (the SOCKS5 listener's) and what state they are in.
std::vector<tcp_socket_info> runtime_sockets_to(pid_t pid, std::uint16_t remote_port);

// Base of the matrix: a SOCKS5 listener (microsocks) and the misbehaving upstream.
class FaultMatrix : public ::testing::Test {
 protected:
  microsocks_server socks_;
  python_upstream python_;

  std::string socks_address() const { return socks_.host() + ":" + std::to_string(socks_.port()); }
  std::vector<std::string> to_python(std::vector<std::string> extra = {}) const {
    auto args = local_stack::route_to(python_.host(), python_.port());
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
};

}  // namespace tsproxy::test
