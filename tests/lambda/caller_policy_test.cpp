#include "adapter/caller_policy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tsproxy::lambda {
namespace {

constexpr std::string_view policy_json = R"([
  {"principal": "arn:aws:iam::111122223333:role/service/billing-reader", "allowedTargets": "100.64.0.5:443"},
  {"principal": "arn:aws:iam::111122223333:user/ops", "allowedTargets": "100.64.0.0/10:*"},
  {"principal": "444455556666", "allowedTargets": "metrics.tailnet.ts.net:9090"},
  {"principal": "arn:aws:sts::111122223333:assumed-role/deploy/ci-run-1", "allowedTargets": "100.64.0.9:22"}
])";

caller_policy policy() {
  std::string error;
  auto parsed = caller_policy::parse(policy_json, error);
  EXPECT_TRUE(parsed) << error;
  return std::move(*parsed);
}

iam_caller caller(std::string_view account, std::string_view arn) {
  return {.account_id = account, .user_arn = arn};
}

const upstream_target billing{"100.64.0.5", 443, true, {}};
const upstream_target metrics{"metrics.tailnet.ts.net", 9090, false, {}};
const upstream_target ssh{"100.64.0.9", 22, false, {}};

using verdict = caller_policy::verdict;

TEST(CallerPolicy, ARoleNamesItsSessionsWhateverTheSessionNameAndThePath) {
  const auto p = policy();
  const auto session =
      caller("111122223333", "arn:aws:sts::111122223333:assumed-role/billing-reader/lambda-1");
  EXPECT_EQ(p.check(session, billing), verdict::allowed);
  EXPECT_EQ(p.check(session, metrics), verdict::target_not_allowed);
  for (const auto* other :
       {"arn:aws:sts::111122223333:assumed-role/billing-reader2/x",    // another role
        "arn:aws:sts::999999999999:assumed-role/billing-reader/x",     // another account
        "arn:aws-cn:sts::111122223333:assumed-role/billing-reader/x",  // another partition
        "arn:aws:sts::111122223333:assumed-role/billing-reader",       // no session
        "arn:aws:iam::111122223333:user/billing-reader"}) {
    EXPECT_EQ(p.check(caller("111122223333", other), billing), verdict::caller_not_named) << other;
  }
}

TEST(CallerPolicy, AUserOrASessionArnNamesExactlyThatPrincipal) {
  const auto p = policy();
  EXPECT_EQ(p.check(caller("111122223333", "arn:aws:iam::111122223333:user/ops"), ssh), verdict::allowed);
  EXPECT_EQ(p.check(caller("111122223333", "arn:aws:iam::111122223333:user/ops2"), ssh),
            verdict::caller_not_named);
  EXPECT_EQ(p.check(caller("111122223333", "arn:aws:sts::111122223333:assumed-role/deploy/ci-run-1"), ssh),
            verdict::allowed);
  EXPECT_EQ(p.check(caller("111122223333", "arn:aws:sts::111122223333:assumed-role/deploy/ci-run-2"), ssh),
            verdict::caller_not_named);
}

TEST(CallerPolicy, AnAccountNamesEveryPrincipalOfIt) {
  const auto p = policy();
  EXPECT_EQ(p.check(caller("444455556666", "arn:aws:iam::444455556666:user/anyone"), metrics),
            verdict::allowed);
  EXPECT_EQ(p.check(caller("444455556666", "arn:aws:iam::444455556666:user/anyone"), billing),
            verdict::target_not_allowed);
  EXPECT_EQ(p.check(iam_caller{}, metrics), verdict::caller_not_named) << "no verified caller";
}

TEST(CallerPolicy, RefusalsAre403WithTheirNames) {
  const auto p = policy();
  const auto not_named = check_caller(p, caller("1", "arn:aws:iam::1:user/x"), billing);
  ASSERT_TRUE(not_named);
  EXPECT_EQ(not_named->status, 403);
  EXPECT_EQ(not_named->name, "CallerNotAllowed");
  EXPECT_NE(not_named->message.find("arn:aws:iam::1:user/x"), std::string::npos);
  const auto unauthenticated = check_caller(p, iam_caller{}, billing);
  ASSERT_TRUE(unauthenticated);
  EXPECT_EQ(unauthenticated->name, "CallerNotAllowed");
  const auto elsewhere = check_caller(p, caller("444455556666", "arn:aws:iam::444455556666:user/a"), billing);
  ASSERT_TRUE(elsewhere);
  EXPECT_EQ(elsewhere->name, "TargetNotAllowed");
  EXPECT_FALSE(check_caller(p, caller("444455556666", "arn:aws:iam::444455556666:user/a"), metrics));
}

TEST(CallerPolicy, DiagnoseIsAllowedOnlyByAnEntryThatSaysSoForTheTargetsItAdmits) {
  std::string error;
  const auto p = caller_policy::parse(R"([
    {"principal": "111122223333", "allowedTargets": "100.64.0.5:443", "diagnose": true},
    {"principal": "111122223333", "allowedTargets": "100.64.0.9:22", "diagnose": false},
    {"principal": "444455556666", "allowedTargets": "100.64.0.0/10:*"}
  ])",
                                      error);
  ASSERT_TRUE(p) << error;
  const auto ops = caller("111122223333", "arn:aws:iam::111122223333:user/ops");
  EXPECT_TRUE(p->may_diagnose(ops, billing));
  EXPECT_FALSE(p->may_diagnose(ops, ssh)) << "\"diagnose\": false";
  EXPECT_FALSE(p->may_diagnose(ops, metrics)) << "a target the entry does not admit";
  EXPECT_FALSE(p->may_diagnose(caller("444455556666", "arn:aws:iam::444455556666:user/x"), billing))
      << "off by default";
  EXPECT_FALSE(policy().may_diagnose(ops, billing));
}

TEST(CallerPolicy, MalformedPoliciesAreRefusedWithAReason) {
  for (const std::string_view bad : {
           R"({})",
           R"([])",
           R"(not json)",
           R"([{"principal": "111122223333"}])",
           R"([{"principal": 1, "allowedTargets": "100.64.0.5:443"}])",
           R"([{"principal": "11112222333", "allowedTargets": "100.64.0.5:443"}])",
           R"([{"principal": "role/x", "allowedTargets": "100.64.0.5:443"}])",
           R"([{"principal": "111122223333", "allowedTargets": "100.64.0.5"}])",
           R"([{"principal": "111122223333", "allowedTargets": "100.64.0.5:443", "diagnose": "yes"}])",
       }) {
    std::string error;
    EXPECT_FALSE(caller_policy::parse(bad, error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

}  // namespace
}  // namespace tsproxy::lambda
