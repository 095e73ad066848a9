// Memory returns after bursts: one burst of large requests at concurrency 1, 16 and 64 must not leave
// the bootstrap's resident memory grown for the life of the environment.

#include <gtest/gtest.h>

#include <iostream>

#include "local_stack.hpp"

namespace tsproxy::test {
namespace {

struct burst {
  int concurrency;
  std::size_t body_bytes;
};

class MemoryAfterBursts : public ::testing::TestWithParam<burst> {
 protected:
  microsocks_server socks_;
  python_upstream python_;
};

TEST_P(MemoryAfterBursts, ResidentMemoryReturnsNearIdle) {
  const auto [concurrency, body_bytes] = GetParam();
  local_stack stack(socks_.host() + ":" + std::to_string(socks_.port()), {.max_concurrency = concurrency});
  temp_dir dir;
  const auto body_file = dir / "body";
  write_file(body_file, std::string(body_bytes, 'x'));
  auto args = local_stack::route_to(python_.host(), python_.port());
  args.insert(args.end(), {"-X", "POST", "-H", "Content-Type: application/octet-stream", "--data-binary",
                           "@" + body_file.string()});
  // Warm up every loop with a small request, so that idle means "served before".
  std::vector<local_stack::pending> warm;
  for (int i = 0; i < concurrency; ++i)
    warm.push_back(
        stack.start_request("/bytes?n=100", local_stack::route_to(python_.host(), python_.port())));
  for (auto& w : warm) ASSERT_EQ(local_stack::wait(w).status, 200);
  const pid_t pid = stack.bootstrap_pid();
  ASSERT_GT(pid, 0);
  const long idle = current_rss_kib(pid);

  std::vector<local_stack::pending> requests;
  for (int i = 0; i < concurrency; ++i) requests.push_back(stack.start_request("/status?code=200", args));
  for (auto& r : requests) ASSERT_EQ(local_stack::wait(r).status, 200);
  const long peak = peak_rss_kib(pid);

  // The burst held about its bodies at once (each is in the event, base64, and decoded)...
  const long burst_kib = static_cast<long>(concurrency * body_bytes / 1024);
  EXPECT_GT(peak - idle, burst_kib) << "the burst did not use memory, so the test shows nothing";
  // ... and the buffers are released, their memory returned, right after each invocation's response is
  // posted. What stays is each loop's Runtime API read buffer (128 KiB, all of it touched once a large
  // event went through) and 1 MiB of slack.
  const long margin_kib = 1024 + concurrency * 128;
  long now = 0;
  EXPECT_TRUE(wait_until([&] { return (now = current_rss_kib(pid)) < idle + margin_kib; }))
      << "after the burst RSS stays at " << now << " KiB (idle " << idle << " KiB, peak " << peak << " KiB)";
  std::cout << "bootstrap RSS at concurrency " << concurrency << ": idle " << idle << " KiB, peak " << peak
            << " KiB, after the burst " << now << " KiB\n";
}

INSTANTIATE_TEST_SUITE_P(Bursts, MemoryAfterBursts,
                         ::testing::Values(burst{1, 4u << 20}, burst{16, 4u << 20}, burst{64, 1u << 20}),
                         [](const auto& info) {
                           return "Concurrency" + std::to_string(info.param.concurrency);
                         });

}  // namespace
}  // namespace tsproxy::test
