// tsproxy-local's command line as values: who the runtime and extensions run as, and how environments
// freeze.

#include "local_options.hpp"

#include <gtest/gtest.h>

#include <iterator>
#include <string>

namespace tsproxy::local {
namespace {

std::optional<local_options> parse_one(const char* option, const char* value, std::string& error) {
  const char* argv[] = {"tsproxy-local", option, value, "--", "/bin/true"};
  return parse_local_options(static_cast<int>(std::size(argv)), argv, error);
}

std::optional<local_options> parse_run_as(const char* value, std::string& error) {
  return parse_one("--run-as", value, error);
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

TEST(LocalOptions, EnvironmentsFreezeByDefaultWithTheMechanismTheMachineHas) {
  std::string error;
  const char* argv[] = {"tsproxy-local", "--", "/bin/true"};
  const auto options = parse_local_options(3, argv, error);
  ASSERT_TRUE(options) << error;
  EXPECT_EQ(options->freeze, freeze_mode::automatic);
  // Resolved, it is a mechanism: never `automatic`, and never `off` when not asked to be.
  const auto resolved = resolve_freeze_mode(options->freeze, error);
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_TRUE(resolved == freeze_mode::cgroup || resolved == freeze_mode::signal)
      << freeze_mode_name(resolved);
}

TEST(LocalOptions, FreezeTakesAutoCgroupSignalOrOff) {
  std::string error;
  for (const auto mode :
       {freeze_mode::automatic, freeze_mode::cgroup, freeze_mode::signal, freeze_mode::off}) {
    const auto options = parse_one("--freeze", freeze_mode_name(mode).data(), error);
    ASSERT_TRUE(options) << error;
    EXPECT_EQ(options->freeze, mode);
  }
  for (const char* bad : {"on", "true", "SIGSTOP", ""}) {
    EXPECT_FALSE(parse_one("--freeze", bad, error)) << bad;
    EXPECT_NE(error.find("--freeze"), std::string::npos) << error;
  }
}

}  // namespace
}  // namespace tsproxy::local
