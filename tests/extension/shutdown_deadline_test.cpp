// The SHUTDOWN event's deadline (Unix epoch ms) as a steady-clock time: a margin before it, bounded.

#include <gtest/gtest.h>

#include "extension/tailscale_extension.hpp"

namespace tsproxy::extension {
namespace {

using std::chrono::milliseconds;
using ext = tailscale_extension;

TEST(ShutdownDeadline, AMarginBeforeTheEventsDeadlineWithinBounds) {
  const auto now = steady_clock::now();
  const std::int64_t epoch = 1'700'000'000'000;
  EXPECT_EQ(shutdown_deadline(epoch + 2000, epoch, now), now + milliseconds(2000) - ext::shutdown_margin);
  EXPECT_EQ(shutdown_deadline(epoch + 10, epoch, now), now + ext::min_shutdown) << "always a moment to kill";
  EXPECT_EQ(shutdown_deadline(epoch - 5000, epoch, now), now + ext::min_shutdown);
  EXPECT_EQ(shutdown_deadline(epoch + 3'600'000, epoch, now), now + ext::max_shutdown);
  EXPECT_EQ(shutdown_deadline(0, epoch, now), now + ext::default_shutdown) << "no deadlineMs in the event";
}

}  // namespace
}  // namespace tsproxy::extension
