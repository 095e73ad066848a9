#include "adapter/caller_policy.hpp"

#include <simdjson.h>

#include <algorithm>

namespace tsproxy::lambda {

namespace {

bool is_account_id(std::string_view text) {
  return text.size() == 12 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "arn:<partition>:<service>:<region>:<account>:<resource>" split into its six fields.
struct arn_fields {
  std::string_view partition, service, account, resource;
};
std::optional<arn_fields> split_arn(std::string_view arn) {
  std::string_view parts[6];
  for (int i = 0; i < 5; ++i) {
    const auto colon = arn.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    parts[i] = arn.substr(0, colon);
    arn.remove_prefix(colon + 1);
  }
  parts[5] = arn;
  if (parts[0] != "arn" || parts[1].empty() || parts[2].empty() || parts[5].empty()) return std::nullopt;
  return arn_fields{parts[1], parts[2], parts[4], parts[5]};
}

// The role's name: the last segment of "role/[path/]Name".
std::string_view role_name(std::string_view resource) {
  return resource.substr(resource.rfind('/') + 1);
}

}  // namespace

std::optional<caller_policy> caller_policy::parse(std::string_view json, std::string& error) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array array;
  if (parser.parse(json.data(), json.size()).get(root) || root.get_array().get(array)) {
    error = "not a JSON array of {\"principal\", \"allowedTargets\"} entries";
    return std::nullopt;
  }
  caller_policy policy;
  for (auto item : array) {
    std::string_view principal;
    std::string_view targets;
    if (item["principal"].get_string().get(principal) || item["allowedTargets"].get_string().get(targets)) {
      error = "an entry without the strings \"principal\" and \"allowedTargets\"";
      return std::nullopt;
    }
    std::string why;
    auto allowed = allow_list::parse(targets, why);
    if (!allowed) {
      error = "the allowedTargets of " + std::string(principal) + ": " + why;
      return std::nullopt;
    }
    entry e{.targets = std::move(*allowed)};
    if (auto diagnose = item["diagnose"]; diagnose.error() != simdjson::NO_SUCH_FIELD) {
      if (diagnose.get_bool().get(e.diagnose)) {
        error = "the diagnose of " + std::string(principal) + " is not true or false";
        return std::nullopt;
      }
    }
    if (is_account_id(principal)) {
      e.account = principal;
    } else if (const auto arn = split_arn(principal)) {
      if (arn->service == "iam" && arn->resource.starts_with("role/"))
        e.role_arn = principal;
      else
        e.exact_arn = principal;
    } else {
      error = "the principal '" + std::string(principal) + "' is neither an account id nor an ARN";
      return std::nullopt;
    }
    policy.entries_.push_back(std::move(e));
  }
  if (policy.entries_.empty()) {
    error = "no entry";
    return std::nullopt;
  }
  return policy;
}

bool caller_policy::names(const entry& e, const iam_caller& caller) {
  if (!e.account.empty()) return caller.account_id == e.account;
  if (!e.exact_arn.empty()) return caller.user_arn == e.exact_arn;
  if (caller.user_arn == e.role_arn) return true;
  // arn:<p>:iam::<a>:role/[path/]Name names arn:<p>:sts::<a>:assumed-role/Name/<session>
  const auto role = split_arn(e.role_arn);
  const auto session = split_arn(caller.user_arn);
  if (!role || !session || session->service != "sts" || session->partition != role->partition ||
      session->account != role->account || !session->resource.starts_with("assumed-role/"))
    return false;
  const auto rest = session->resource.substr(std::string_view("assumed-role/").size());
  const auto slash = rest.find('/');
  return slash != std::string_view::npos && rest.substr(0, slash) == role_name(role->resource);
}

caller_policy::verdict caller_policy::check(const iam_caller& caller, const upstream_target& target) const {
  bool named = false;
  for (const auto& e : entries_) {
    if (!names(e, caller)) continue;
    named = true;
    if (e.targets.allows(target)) return verdict::allowed;
  }
  return named ? verdict::target_not_allowed : verdict::caller_not_named;
}

bool caller_policy::may_diagnose(const iam_caller& caller, const upstream_target& target) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const entry& e) {
    return e.diagnose && names(e, caller) && e.targets.allows(target);
  });
}

std::optional<routing_error> check_caller(const caller_policy& policy, const iam_caller& caller,
                                          const upstream_target& target) {
  const std::string who = caller.present() ? std::string(caller.user_arn) : "an unauthenticated caller";
  switch (policy.check(caller, target)) {
    case caller_policy::verdict::allowed:
      return std::nullopt;
    case caller_policy::verdict::caller_not_named:
      return routing_error{403, "CallerNotAllowed", who + " is not named in TSPROXY_CALLER_POLICY"};
    case caller_policy::verdict::target_not_allowed:
      return routing_error{403, "TargetNotAllowed", who + " may not reach " + target.describe()};
  }
  return std::nullopt;
}

}  // namespace tsproxy::lambda
