#pragma once
// The engine's configuration as the runtime reads it from the environment, through the configuration
// contract. The engine itself reads no environment: it is handed the engine_config built here.

#include <optional>
#include <string>

#include "config/environment.hpp"
#include "tsproxy/engine/engine_config.hpp"

namespace tsproxy {

// Parses the engine's variables over the contract's defaults. On a bad value returns nullopt and sets
// `error` to a sentence naming the variable and what it accepts.
std::optional<engine_config> load_engine_config(const env_lookup& env, std::string& error);

// The CA source the environment names for tls_settings::ca_file: SSL_CERT_FILE when that file exists,
// else SSL_CERT_DIR when that folder exists, else empty (the engine then tries the system's bundles).
// Read here, not by OpenSSL, whose default paths in a static build are the build machine's.
std::string ca_source_from_environment(const env_lookup& env);

}  // namespace tsproxy
