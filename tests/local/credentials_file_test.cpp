// The accepted keys and their principals as the credentials file holds them.

#include "credentials_file.hpp"

#include <gtest/gtest.h>

namespace tsproxy::local {
namespace {

const std::string two_callers =
    "# comment\n"
    "[caller-a]\n"
    "aws_access_key_id = AKIDA\n"
    "aws_secret_access_key = secret-a\n"
    "principal_arn = arn:aws:sts::111122223333:assumed-role/RoleA/session\n"
    "user_id = AROAROLEA\n"
    "\n"
    "[default]\r\n"
    "aws_access_key_id=AKIDDEFAULT\r\n"
    "aws_secret_access_key =  default/secret+key \r\n"
    "aws_session_token = tok\n"
    "region = eu-west-1\n"
    "[caller-b]\n"
    "; comment\n"
    "aws_access_key_id = AKIDB\n"
    "aws_secret_access_key = secret-b\n"
    "principal_arn = arn:aws:iam::444455556666:user/bob\n"
    "principal_org_id = o-exampleorg\n"
    "aws_account_id = 444455556666\n";

TEST(CredentialsFile, WithoutProfilesTheDefaultSection) {
  std::string error;
  const auto sections = parse_credentials_file(two_callers, {}, error);
  ASSERT_TRUE(sections) << error;
  ASSERT_EQ(sections->size(), 1U);
  const auto& only = sections->front();
  EXPECT_EQ(only.name, "default");
  EXPECT_EQ(only.key.access_key_id, "AKIDDEFAULT");
  EXPECT_EQ(only.key.secret_access_key, "default/secret+key");
  EXPECT_EQ(only.key.session_token, "tok");
  EXPECT_TRUE(only.principal_arn.empty());
}

TEST(CredentialsFile, TheNamedSectionsInOrderWithTheirPrincipals) {
  std::string error;
  const auto sections = parse_credentials_file(two_callers, {"caller-b", "caller-a"}, error);
  ASSERT_TRUE(sections) << error;
  ASSERT_EQ(sections->size(), 2U);
  const auto& b = (*sections)[0];
  const auto& a = (*sections)[1];
  EXPECT_EQ(b.name, "caller-b");
  EXPECT_EQ(b.key.access_key_id, "AKIDB");
  EXPECT_EQ(b.principal_arn, "arn:aws:iam::444455556666:user/bob");
  EXPECT_EQ(b.principal_org_id, "o-exampleorg");
  EXPECT_EQ(b.account_id, "444455556666");
  EXPECT_TRUE(b.user_id.empty());
  EXPECT_EQ(a.key.access_key_id, "AKIDA");
  EXPECT_EQ(a.key.secret_access_key, "secret-a");
  EXPECT_EQ(a.principal_arn, "arn:aws:sts::111122223333:assumed-role/RoleA/session");
  EXPECT_EQ(a.user_id, "AROAROLEA");
  EXPECT_TRUE(a.key.session_token.empty());
}

TEST(CredentialsFile, AFileWithoutSectionsIsOneKey) {
  std::string error;
  const auto sections =
      parse_credentials_file("aws_access_key_id=A\naws_secret_access_key=S\nprincipal_arn=P\n", {"x"}, error);
  ASSERT_TRUE(sections) << error;
  ASSERT_EQ(sections->size(), 1U);
  EXPECT_EQ(sections->front().key.access_key_id, "A");
  EXPECT_EQ(sections->front().principal_arn, "P");
  EXPECT_FALSE(parse_credentials_file("aws_access_key_id=A\n", {}, error));
  EXPECT_EQ(error, "the file: aws_access_key_id or aws_secret_access_key missing");
  EXPECT_FALSE(parse_credentials_file("", {}, error));
}

TEST(CredentialsFile, ErrorsNameTheSection) {
  std::string error;
  EXPECT_FALSE(parse_credentials_file(two_callers, {"caller-a", "missing"}, error));
  EXPECT_EQ(error, "no [missing] section");
  EXPECT_FALSE(parse_credentials_file("[a]\naws_access_key_id=K\n", {"a"}, error));
  EXPECT_EQ(error, "[a]: aws_access_key_id or aws_secret_access_key missing");
  const std::string same_key =
      "[a]\naws_access_key_id=K\naws_secret_access_key=S1\n[b]\naws_access_key_id=K\naws_secret_access_key="
      "S2\n";
  EXPECT_FALSE(parse_credentials_file(same_key, {"a", "b"}, error));
  EXPECT_EQ(error, "[b]: access key K is also the key of [a]");
}

}  // namespace
}  // namespace tsproxy::local
