#pragma once
// TSPROXY_CALLER_POLICY: which verified callers may reach which targets, for a proxy that several teams
// share. Tailscale's ACLs see one node and IAM sees one Function URL; this names the caller. The caller
// is the one AWS verified for the Function URL (AuthType AWS_IAM): requestContext.authorizer.iam.
//
// Syntax: a JSON array of entries {"principal": P, "allowedTargets": T[, "diagnose": true]}, T in
// TSPROXY_ALLOWED_TARGETS's syntax (allow_list.hpp); "diagnose" lets the caller ask for a diagnosis
// (ts-diagnose: true) of the targets T admits (default false). P is one of:
//   "111122223333"                                 every principal of that account
//   "arn:aws:iam::111122223333:role/[path/]Name"   the role's sessions: the userArn of a caller that assumed
//                                                  it is
//                                                  arn:aws:sts::111122223333:assumed-role/Name/<session>
//                                                  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns)
//   any other ARN                                  exactly that userArn (an IAM user, one session)
// A caller may reach a target when an entry naming it admits the target. The global allow-list and the
// sandbox rules apply as well: the policy only narrows.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapter/allow_list.hpp"
#include "adapter/function_url_event.hpp"
#include "adapter/routing.hpp"
#include "tsproxy/engine/upstream_target.hpp"

namespace tsproxy::lambda {

class caller_policy {
 public:
  // nullopt with a one-line `error` when `json` is not such an array, names no entry, or an entry's
  // principal or targets are malformed.
  static std::optional<caller_policy> parse(std::string_view json, std::string& error);

  enum class verdict { allowed, caller_not_named, target_not_allowed };
  verdict check(const iam_caller& caller, const upstream_target& target) const;
  // Whether an entry that names `caller` and admits `target` allows diagnosing it.
  bool may_diagnose(const iam_caller& caller, const upstream_target& target) const;
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct entry {
    std::string account;    // a 12-digit account id: any principal of it
    std::string role_arn;   // its sessions, by partition, account and role name
    std::string exact_arn;  // that userArn
    allow_list targets;
    bool diagnose = false;  // may ask for a diagnosis of those targets
  };
  static bool names(const entry& e, const iam_caller& caller);
  std::vector<entry> entries_;
};

// The answer for a request the policy refuses: 403 CallerNotAllowed for a caller no entry names (or no
// verified caller at all), 403 TargetNotAllowed for a named caller whose entries do not admit the target;
// nullopt when allowed.
std::optional<routing_error> check_caller(const caller_policy& policy, const iam_caller& caller,
                                          const upstream_target& target);

}  // namespace tsproxy::lambda
