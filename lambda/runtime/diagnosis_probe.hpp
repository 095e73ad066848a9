#pragma once
// Gathers what diagnosis_report.hpp judges, for a caller who sent ts-diagnose: true (docs/PROTOCOLS.md
// section 1.6): tailscaled's status with peers, the target's resolution through tailscaled, a disco ping
// of its tailnet address, a trial connection through the SOCKS5 listener (and TLS) that is closed
// afterwards, and the pool's warm connections to it. Every step ends by `until` (the request's deadline);
// a step that cannot tell anything after an earlier one failed is skipped.

#include <asio/awaitable.hpp>

#include "runtime/diagnosis_report.hpp"
#include "runtime/runtime_config.hpp"
#include "tsproxy/engine/upstream_client.hpp"

namespace tsproxy::lambda {

asio::awaitable<diagnosis_facts> probe_target(const runtime_config& config, upstream_client& upstream,
                                              const upstream_target& target, time_point until);

}  // namespace tsproxy::lambda
