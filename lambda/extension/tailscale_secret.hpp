#pragma once
// The Tailscale credential held by the secret (TS_SECRET_API_KEY), in one of the forms documented in
// the README:
//  - the key itself as plain text: an auth key ("tskey-auth-...", or any key a control server issues)
//    or an OAuth client secret ("tskey-client-...");
//  - a JSON document {"authKey": "..."} (either kind of value) or {"clientSecret": "tskey-client-..."};
//    when both are present, authKey wins, as it does for `tailscale up`.
// An OAuth client secret is exchanged by `tailscale up` itself for a one-off auth key carrying the
// advertised tags, which it therefore requires. Its optional attributes follow a "?"
// (ephemeral, preauthorized, baseURL); tsproxy adds ephemeral=true and preauthorized=true when absent,
// so that the node is removed once offline and needs no approval in the admin console for every cold
// start. Error messages never quote the secret.

#include <optional>
#include <string>
#include <string_view>

namespace tsproxy::extension {

enum class credential_kind { auth_key, oauth_client_secret };

struct tailscale_credential {
  credential_kind kind = credential_kind::auth_key;
  std::string value;  // what `tailscale up --authkey` is given (with the attributes above)
};

inline constexpr std::size_t max_secret_bytes = 64 * 1024;  // Secrets Manager's own limit

// nullopt with `error` saying what is wrong with the secret's form.
std::optional<tailscale_credential> parse_tailscale_secret(std::string_view secret, std::string& error);

}  // namespace tsproxy::extension
