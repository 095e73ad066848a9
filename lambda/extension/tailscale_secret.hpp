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
// start. Those attributes are checked as `tailscale up` checks them (tailscale/tailscale@v1.102.3
// feature/oauthkey/oauthkey.go:78-115): url.ParseQuery of what follows the first "?" (a bad %-escape or a
// ";" is an error), only the three names above, and ephemeral and preauthorized empty (the default) or a
// strconv.ParseBool spelling (1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False); the error is the
// CLI's own words, e.g. `invalid attribute boolean attribute ephemeral value "yes"`, which quote an
// attribute's name or value, never the secret before the "?". Error messages never quote the secret.

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

// What is wrong with a secret: its form, or (for an OAuth client secret) the attributes up would refuse.
enum class secret_problem { form, oauth_attributes };

// nullopt with `error` saying what is wrong with the secret, and `problem` (if given) which kind of thing.
std::optional<tailscale_credential> parse_tailscale_secret(std::string_view secret, std::string& error,
                                                           secret_problem* problem = nullptr);

}  // namespace tsproxy::extension
