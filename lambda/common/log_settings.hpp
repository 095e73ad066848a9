#pragma once
// How the runtime and the extension log, from their environment in one order: Lambda's advanced logging
// controls (AWS_LAMBDA_LOG_LEVEL, AWS_LAMBDA_LOG_FORMAT), then DEBUG set (debug, as the Node proxy had it),
// then TSPROXY_LOG_LEVEL, which overrides both level settings. The variables are the contract's
// (config/config_contract.hpp).

#include "common/log.hpp"
#include "config/config_reader.hpp"

namespace tsproxy::lambda {

struct log_settings {
  log_level level = log_level::info;
  log_format format = log_format::text;
};

void read_log_settings(config::config_reader& r, log_settings& out);
// Makes them the process's (set_log_level, set_log_format).
void apply_log_settings(const log_settings& settings) noexcept;

}  // namespace tsproxy::lambda
