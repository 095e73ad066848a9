#pragma once
// How the programs read their environment: through a lookup that tests replace with a map, so that
// configuration parsing never touches the process environment in a test.

#include <cstdlib>
#include <functional>

namespace tsproxy {

// Reads one environment variable; returns nullptr when unset.
using env_lookup = std::function<const char*(const char*)>;

// The process environment (for mains only).
inline const char* process_env(const char* name) {
  return std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read at start-up, before any thread
}

}  // namespace tsproxy
