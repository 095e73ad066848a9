#pragma once
// The Lambda-Extension-Function-Error-Type values the extension reports (README, "Tailscale extension").
// Each names what an operator has to fix.

#include <string_view>

namespace tsproxy::extension::error_types {

// A TS_* or TSPROXY_* variable has an invalid value (the message names it).
inline constexpr std::string_view invalid_configuration = "Extension.InvalidConfiguration";
// The secret does not exist (Secrets Manager ResourceNotFoundException, or no such key file).
inline constexpr std::string_view secret_missing = "Extension.SecretMissing";
// The function's role may not read the secret or decrypt it, or its credentials were refused.
inline constexpr std::string_view secret_access_denied = "Extension.SecretAccessDenied";
// Secrets Manager could not be asked (network, throttling, its own failure, no answer in time).
inline constexpr std::string_view secret_unavailable = "Extension.SecretUnavailable";
// The secret holds nothing usable as a Tailscale key (see tailscale_secret.hpp for the forms).
inline constexpr std::string_view secret_invalid = "Extension.SecretInvalid";
// The secret is an OAuth client secret whose attributes (after "?") `tailscale up` would refuse: an
// unknown one, a boolean that is not one, a bad %-escape; the message gives the CLI's own words.
inline constexpr std::string_view invalid_oauth_secret = "Extension.InvalidOAuthSecret";
// tailscaled could not be executed, exited, or its LocalAPI never answered.
inline constexpr std::string_view tailscaled_failed_to_start = "Extension.TailscaledFailedToStart";
// `tailscale up` failed: the key was refused (invalid, expired, used up) or the login failed.
inline constexpr std::string_view login_rejected = "Extension.LoginRejected";
// Tailscale was not Running with its SOCKS5 listener accepting within the ready timeout.
inline constexpr std::string_view not_running_in_time = "Extension.NotRunningInTime";
// TS_EXIT_NODE_REQUIRED and the exit node could not be set or did not answer a ping.
inline constexpr std::string_view exit_node_unreachable = "Extension.ExitNodeUnreachable";
// After init: tailscaled exited, so the environment can no longer reach the tailnet (exit/error).
inline constexpr std::string_view tailscaled_exited = "Extension.TailscaledExited";

}  // namespace tsproxy::extension::error_types
