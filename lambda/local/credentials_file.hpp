#pragma once
// The keys tsproxy-local --auth aws_iam accepts, from a file in the format of AWS's shared credentials
// file (docs/PROTOCOLS.md section 6.3): `[name]` sections of `key = value` lines, `#` and `;` comments.
// Each section holds aws_access_key_id, aws_secret_access_key, optionally aws_session_token, and what
// tsproxy-local tells the function of the key's principal: principal_arn, user_id, principal_org_id,
// aws_account_id (iam_principal.hpp). Other keys (region, ...) are ignored, so an ordinary AWS
// credentials file works as it is.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/sigv4_signer.hpp"

namespace tsproxy::local {

struct credentials_section {
  std::string name;  // empty for a file without sections
  aws::credentials key;
  std::string principal_arn;
  std::string user_id;
  std::string principal_org_id;
  std::string account_id;  // aws_account_id
};

// The sections named in `profiles`, in that order; no names: the [default] section, as AWS's tools read
// the file without a profile. A file without sections is one key whatever the names. nullopt with a
// sentence in `error` naming the section when one is missing, lacks its key or secret, or repeats another
// section's access key id.
std::optional<std::vector<credentials_section>> parse_credentials_file(
    std::string_view text, const std::vector<std::string>& profiles, std::string& error);

}  // namespace tsproxy::local
