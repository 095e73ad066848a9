#pragma once
// How long opening an upstream connection took, phase by phase: what a latency metric split by phase
// reports for a request that needed a new connection (a pooled one has all three at zero).

#include "tsproxy/engine/deadline.hpp"

namespace tsproxy {

struct open_phases {
  // From the start of opening until the listener accepted the TCP connection that got through: the
  // dialled name's lookup and the pauses while Tailscale was not ready yet are part of it.
  steady_clock::duration connect{};
  steady_clock::duration socks5{};  // that connection's SOCKS5 handshake
  steady_clock::duration tls{};     // the TLS handshake; zero for a plain-HTTP target
};

}  // namespace tsproxy
