// The principal tsproxy-local names in requestContext.authorizer.iam, derived from what a credentials
// file section declares, as IAM forms it.

#include "iam_principal.hpp"

#include <gtest/gtest.h>

namespace tsproxy::local {
namespace {

constexpr std::string_view role_session = "arn:aws:sts::111122223333:assumed-role/RoleA/session-a";

TEST(IamPrincipal, AnAssumedRoleIsNamedRoleIdColonSession) {
  std::string error;
  auto p = make_iam_principal("ASIAKEYA", {.principal_arn = role_session, .user_id = "AROAROLEAID000000001"},
                              error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->access_key, "ASIAKEYA");
  EXPECT_EQ(p->account_id, "111122223333");
  EXPECT_EQ(p->user_arn, role_session);
  EXPECT_EQ(p->user_id, "AROAROLEAID000000001:session-a");
  EXPECT_EQ(p->caller_id, p->user_id);
  EXPECT_TRUE(p->principal_org_id.empty());
}

TEST(IamPrincipal, WithoutAnIdTheRoleGetsAStablePlaceholderSharedByItsSessions) {
  std::string error;
  const auto a = make_iam_principal("K1", {.principal_arn = role_session}, error);
  const auto b = make_iam_principal(
      "K2",
      {.principal_arn = "arn:aws:sts::111122223333:assumed-role/RoleA/another", .principal_org_id = "o-abc"},
      error);
  const auto other =
      make_iam_principal("K3", {.principal_arn = "arn:aws:sts::111122223333:assumed-role/RoleB/x"}, error);
  ASSERT_TRUE(a && b && other) << error;
  const auto role_id = placeholder_unique_id("AROA", "arn:aws:iam::111122223333:role/RoleA");
  EXPECT_EQ(role_id.size(), 21U);
  EXPECT_EQ(role_id.find_first_not_of("0123456789ABCDEF", 4), std::string::npos) << role_id;
  EXPECT_EQ(a->user_id, role_id + ":session-a");
  EXPECT_EQ(b->user_id, role_id + ":another");
  EXPECT_EQ(b->principal_org_id, "o-abc");
  EXPECT_NE(other->user_id.substr(0, 21), role_id);
}

TEST(IamPrincipal, AUserIsItsIdAndTheRootIsTheAccount) {
  std::string error;
  const std::string user_arn = "arn:aws:iam::444455556666:user/team/alice";
  auto user = make_iam_principal("AKIDALICE", {.principal_arn = user_arn}, error);
  ASSERT_TRUE(user) << error;
  EXPECT_EQ(user->account_id, "444455556666");
  EXPECT_EQ(user->user_id, placeholder_unique_id("AIDA", user_arn));
  EXPECT_EQ(user->user_id.substr(0, 4), "AIDA");
  user =
      make_iam_principal("AKIDALICE", {.principal_arn = user_arn, .user_id = "AIDAALICE0000000001"}, error);
  ASSERT_TRUE(user) << error;
  EXPECT_EQ(user->caller_id, "AIDAALICE0000000001");
  const auto root =
      make_iam_principal("AKIDROOT", {.principal_arn = "arn:aws:iam::444455556666:root"}, error);
  ASSERT_TRUE(root) << error;
  EXPECT_EQ(root->user_id, "444455556666");
}

TEST(IamPrincipal, WithoutAnArnOnlyTheKeyAndTheDeclaredAccount) {
  std::string error;
  auto p = make_iam_principal("AKIDPLAIN", {}, error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->access_key, "AKIDPLAIN");
  EXPECT_TRUE(p->account_id.empty() && p->user_arn.empty() && p->user_id.empty() && p->caller_id.empty());
  p = make_iam_principal("AKIDPLAIN", {.account_id = "777788889999"}, error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->account_id, "777788889999");
  EXPECT_TRUE(p->user_arn.empty());
}

TEST(IamPrincipal, RefusesWhatIsNotAPrincipalWithASentence) {
  const std::pair<principal_declaration, std::string_view> bad[] = {
      {{.principal_arn = "arn:aws:sts::1111:assumed-role/R/s"}, "12-digit account"},
      {{.principal_arn = "not-an-arn"}, "12-digit account"},
      {{.principal_arn = "arn:aws:sts:eu-west-1:111122223333:assumed-role/R/s"}, "12-digit account"},
      {{.principal_arn = "arn:aws:sts::111122223333:assumed-role/R"}, "names no role and session"},
      {{.principal_arn = "arn:aws:iam::111122223333:role/R"}, "neither an assumed role"},
      {{.principal_arn = "arn:aws:s3:::bucket"}, "12-digit account"},
      {{.principal_arn = role_session, .account_id = "999999999999"}, "is not the account of"},
      {{.account_id = "12345"}, "is not 12 digits"},
  };
  for (const auto& [declared, expected] : bad) {
    std::string error;
    EXPECT_FALSE(make_iam_principal("K", declared, error)) << declared.principal_arn;
    EXPECT_NE(error.find(expected), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace tsproxy::local
