#include "runtime/failure.hpp"

#include "runtime/dialled_address_policy.hpp"
#include "tsproxy/engine/errors.hpp"

namespace tsproxy::lambda {

proxy_failure describe_failure(std::error_code ec, bool buffered_mode) {
  if (ec == engine_error::sink_rejected && buffered_mode) {
    return {502, "ResponseTooLarge",
            "the target's response exceeds Lambda's 6 MB buffered payload limit; use "
            "TSPROXY_INVOKE_MODE=response_stream "
            "with a RESPONSE_STREAM Function URL"};
  }
  if (ec.category() == dial_refusal_category()) {
    switch (static_cast<dial_refusal>(ec.value())) {
      case dial_refusal::target_not_allowed:
        return {403, "TargetNotAllowed", ec.message()};
      case dial_refusal::sandbox_target_not_allowed:
        return {403, "SandboxTargetNotAllowed", ec.message()};
      case dial_refusal::tailscale_dns_unavailable:
        return {502, "TailscaleDnsUnavailable", ec.message()};
    }
  }
  proxy_failure f;
  f.status = is_timeout(ec) ? 504 : 502;
  f.name = std::string(error_name(ec));
  f.message = ec.message();
  return f;
}

}  // namespace tsproxy::lambda
