// The extension's child processes, with real commands: exit codes, output tails with the secret
// redacted, a command killed at its deadline with its group, and a missing program.

#include "extension/child_set.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <optional>

#include "common/process_supervisor.hpp"
#include "support/tailscale_standins.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace tsproxy::extension {
namespace {

using namespace std::chrono_literals;

extern "C" char** environ;

std::vector<std::string> own_environment() {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

class ChildSet : public ::testing::Test {
 protected:
  command_result run(const command_line& argv, std::chrono::milliseconds bound, std::string secret = {}) {
    std::optional<command_result> result;
    asio::co_spawn(io_, children_.run("test", argv, steady_clock::now() + bound, std::move(secret)),
                   [&](std::exception_ptr e, command_result r) {
                     if (e) std::rethrow_exception(e);
                     result = std::move(r);
                   });
    while (!result && io_.run_one_for(30s) > 0) {
    }
    if (!result) throw std::runtime_error("run did not finish");
    return *result;
  }

  asio::io_context io_{1};
  child_set children_{io_, own_environment()};
};

TEST_F(ChildSet, ExitCodeAndRedactedOutput) {
  const auto r =
      run({"/bin/sh", "-c", "echo one; echo key=tskey-auth-S3CRET >&2; exit 3"}, 10s, "tskey-auth-S3CRET");
  EXPECT_TRUE(!r.spawn_error && !r.timed_out);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.output, "one; key=<redacted>");
  EXPECT_TRUE(run({"/bin/true"}, 10s).succeeded());
}

TEST_F(ChildSet, ACommandPastItsDeadlineIsKilledWithItsGroup) {
  test::temp_dir dir("tsproxy-child-set");
  const auto pid_file = dir / "grandchild";
  const auto start = steady_clock::now();
  const auto r = run({"/bin/sh", "-c", "sleep 60 & echo $! > " + pid_file.string() + "; wait"}, 300ms);
  EXPECT_TRUE(r.timed_out);
  EXPECT_GE(steady_clock::now() - start, 300ms);
  EXPECT_LT(steady_clock::now() - start, 10s);
  const int grandchild = std::stoi(test::read_file(pid_file));
  EXPECT_TRUE(test::wait_until([&] { return !test::process_alive(grandchild); })) << "the group went with it";
}

TEST_F(ChildSet, AProgramThatCannotRunIsASpawnError) {
  const auto r = run({"/nonexistent/tailscale", "up"}, 10s);
  EXPECT_TRUE(r.spawn_error);
  EXPECT_EQ(r.spawn_error, std::errc::no_such_file_or_directory) << r.spawn_error.message();
}

}  // namespace
}  // namespace tsproxy::extension

namespace tsproxy::lambda {
namespace {

// The supervisor under tsproxy-local's retired environments and the extension's many short commands: a
// released child's record goes once the next exit is noticed, so records do not pile up.
TEST(ProcessSupervisor, AReleasedChildLeavesNoRecordOnceTheNextExitIsNoticed) {
  asio::io_context io{1};
  int exits = 0;
  process_supervisor supervisor(io, [&](const child_info&) { ++exits; });
  const auto run_until_exits = [&](int n) {
    while (exits < n && io.run_one_for(std::chrono::seconds(30)) > 0) {
    }
    ASSERT_EQ(exits, n);
  };
  std::error_code ec;
  const pid_t first = supervisor.spawn("first", {"/bin/true"}, {}, ec);
  ASSERT_FALSE(ec);
  run_until_exits(1);
  supervisor.release(first);
  ASSERT_NE(supervisor.find(first), nullptr);
  EXPECT_TRUE(supervisor.find(first)->released);
  const pid_t second = supervisor.spawn("second", {"/bin/true"}, {}, ec);
  ASSERT_FALSE(ec);
  run_until_exits(2);
  if (second != first) {
    EXPECT_EQ(supervisor.find(first), nullptr) << "the released record is gone";
  }
  ASSERT_NE(supervisor.find(second), nullptr);
  EXPECT_TRUE(supervisor.find(second)->exited);
  supervisor.release(second);
}

}  // namespace
}  // namespace tsproxy::lambda
