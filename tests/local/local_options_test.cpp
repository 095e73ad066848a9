// tsproxy-local's command line as values: who the runtime and extensions run as.

#include "local_options.hpp"

#include <gtest/gtest.h>

#include <iterator>
#include <string>

namespace tsproxy::local {
namespace {

std::optional<local_options> parse_run_as(const char* value, std::string& error) {
  const char* argv[] = {"tsproxy-local", "--run-as", value, "--", "/bin/true"};
  return parse_local_options(static_cast<int>(std::size(argv)), argv, error);
}

TEST(LocalOptions, ChildrenRunAsUsUnlessToldOtherwise) {
  std::string error;
  const char* argv[] = {"tsproxy-local", "--", "/bin/true"};
  const auto options = parse_local_options(3, argv, error);
  ASSERT_TRUE(options) << error;
  EXPECT_FALSE(options->run_as);
}

TEST(LocalOptions, RunAsTakesLambdasSandboxUserAPairOrSelf) {
  std::string error;
  auto options = parse_run_as("lambda", error);
  ASSERT_TRUE(options && options->run_as) << error;
  EXPECT_EQ(options->run_as->uid, 993u);
  EXPECT_EQ(options->run_as->gid, 990u);
  options = parse_run_as("1000:1001", error);
  ASSERT_TRUE(options && options->run_as) << error;
  EXPECT_EQ(options->run_as->uid, 1000u);
  EXPECT_EQ(options->run_as->gid, 1001u);
  options = parse_run_as("self", error);
  ASSERT_TRUE(options) << error;
  EXPECT_FALSE(options->run_as);
  for (const char* bad : {"nobody", "993", "993:", ":990", "-1:0", "993:990:1", ""}) {
    EXPECT_FALSE(parse_run_as(bad, error)) << bad;
    EXPECT_NE(error.find("--run-as"), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace tsproxy::local
