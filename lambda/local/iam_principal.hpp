#pragma once
// Who signed a Function URL request, as a real Function URL with AuthType AWS_IAM tells the function in
// requestContext.authorizer.iam (docs/PROTOCOLS.md section 6.3). AWS's documented example event
// (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-request-payload) gives accessKey,
// accountId, callerId, cognitoIdentity (null), principalOrgId (null outside an organization), userArn and
// userId. tsproxy-local cannot ask IAM, so the credentials file names each key's principal and this
// derives the rest the way IAM forms it.

#include <optional>
#include <string>
#include <string_view>

namespace tsproxy::local {

// requestContext.authorizer.iam; an empty field is written as null.
struct iam_principal {
  std::string access_key;
  std::string account_id;
  std::string caller_id;
  std::string user_arn;
  std::string user_id;
  std::string principal_org_id;
};

// What a credentials file section says of its key's principal; every field may be empty.
struct principal_declaration {
  std::string_view principal_arn;     // arn:PARTITION:sts::ACCOUNT:assumed-role/ROLE/SESSION, ...:iam::...
  std::string_view user_id;           // the role's or user's unique id (AROA..., AIDA...)
  std::string_view principal_org_id;  // o-...
  std::string_view account_id;        // aws_account_id, for a key without principal_arn
};

// The principal of `access_key`. With a principal_arn: accountId from the ARN; userArn the ARN; userId
// and callerId as IAM forms them: "<role id>:<session>" for an assumed role, the user's id for a user, the
// account id for the root user, where the role or user id is `user_id`, or else a stable placeholder
// derived from the role's or user's ARN (placeholder_unique_id). Without one: accessKey and the account
// id, if declared. nullopt with a sentence in `error` for an ARN of another form or an account that is not
// 12 digits.
std::optional<iam_principal> make_iam_principal(std::string_view access_key,
                                                const principal_declaration& declared, std::string& error);

// A made-up unique id for an ARN the file gives no id for: `prefix` (AROA for a role, AIDA for a user)
// and 17 upper-case hex digits of the ARN's SHA-256, so the same ARN always gets the same id.
std::string placeholder_unique_id(std::string_view prefix, std::string_view arn);

}  // namespace tsproxy::local
