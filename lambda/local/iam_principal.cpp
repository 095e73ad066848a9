#include "iam_principal.hpp"

#include <algorithm>
#include <array>

#include "aws/sigv4_signer.hpp"

namespace tsproxy::local {

namespace {

constexpr std::size_t unique_id_digits = 17;  // AROA/AIDA and 17 more characters, as IAM's ids are

bool is_account_id(std::string_view s) noexcept {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE"; the resource may itself hold ':'.
struct arn_parts {
  std::string_view partition, service, region, account, resource;
};

std::optional<arn_parts> split_arn(std::string_view arn) {
  std::array<std::string_view, 5> head;
  for (auto& part : head) {
    const auto colon = arn.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    part = arn.substr(0, colon);
    arn.remove_prefix(colon + 1);
  }
  if (head[0] != "arn") return std::nullopt;
  return arn_parts{head[1], head[2], head[3], head[4], arn};
}

}  // namespace

std::string placeholder_unique_id(std::string_view prefix, std::string_view arn) {
  auto digits = aws::sha256_hex(arn).substr(0, unique_id_digits);
  std::transform(digits.begin(), digits.end(), digits.begin(),
                 [](char c) { return c >= 'a' && c <= 'f' ? static_cast<char>(c - 'a' + 'A') : c; });
  return std::string(prefix) + digits;
}

std::optional<iam_principal> make_iam_principal(std::string_view access_key,
                                                const principal_declaration& declared, std::string& error) {
  iam_principal out;
  out.access_key = std::string(access_key);
  out.principal_org_id = std::string(declared.principal_org_id);
  if (declared.principal_arn.empty()) {
    if (!declared.account_id.empty() && !is_account_id(declared.account_id)) {
      error = "aws_account_id " + std::string(declared.account_id) + " is not 12 digits";
      return std::nullopt;
    }
    out.account_id = std::string(declared.account_id);
    return out;
  }
  const auto arn = split_arn(declared.principal_arn);
  if (!arn || !arn->region.empty() || !is_account_id(arn->account)) {
    error = "principal_arn " + std::string(declared.principal_arn) +
            " is not arn:PARTITION:SERVICE::ACCOUNT:RESOURCE with a 12-digit account";
    return std::nullopt;
  }
  if (!declared.account_id.empty() && declared.account_id != arn->account) {
    error = "aws_account_id " + std::string(declared.account_id) + " is not the account of principal_arn " +
            std::string(declared.principal_arn);
    return std::nullopt;
  }
  out.account_id = std::string(arn->account);
  out.user_arn = std::string(declared.principal_arn);
  const auto id_or_placeholder = [&](std::string_view prefix, std::string_view of_arn) {
    return declared.user_id.empty() ? placeholder_unique_id(prefix, of_arn) : std::string(declared.user_id);
  };
  constexpr std::string_view assumed_role = "assumed-role/";
  constexpr std::string_view user = "user/";
  if (arn->service == "sts" && arn->resource.starts_with(assumed_role)) {
    // assumed-role/ROLE/SESSION: IAM names the session "<role id>:<session>" (the role's path is not in
    // this ARN, so the placeholder is derived from the role's name).
    const auto role_and_session = arn->resource.substr(assumed_role.size());
    const auto slash = role_and_session.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == role_and_session.size()) {
      error = "principal_arn " + std::string(declared.principal_arn) + " names no role and session";
      return std::nullopt;
    }
    const auto role_arn = "arn:" + std::string(arn->partition) + ":iam::" + std::string(arn->account) +
                          ":role/" + std::string(role_and_session.substr(0, slash));
    out.user_id = id_or_placeholder("AROA", role_arn) + ":" + std::string(role_and_session.substr(slash + 1));
  } else if (arn->service == "iam" && arn->resource.starts_with(user)) {
    out.user_id = id_or_placeholder("AIDA", declared.principal_arn);
  } else if (arn->service == "iam" && arn->resource == "root") {
    out.user_id = out.account_id;
  } else {
    error = "principal_arn " + std::string(declared.principal_arn) +
            " is neither an assumed role (sts ... assumed-role/ROLE/SESSION), an IAM user (iam ... user/NAME)"
            " nor the account's root";
    return std::nullopt;
  }
  out.caller_id = out.user_id;
  return out;
}

}  // namespace tsproxy::local
