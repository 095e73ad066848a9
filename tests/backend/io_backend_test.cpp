// The io_uring build must survive a kernel that refuses io_uring: it falls back to the epoll build
// beside it with one log line, and still does its work.

#include <gtest/gtest.h>

#include "support/peers.hpp"

namespace {

using tsproxy::test::run_command;

struct fetch_result {
  int exit_code;
  std::string out;
  std::string err;
};

fetch_result fetch(const std::vector<std::string>& prefix, const std::string& program,
                   const std::string& socks, const std::string& url) {
  std::vector<std::string> argv = prefix;
  argv.push_back(program);
  argv.insert(argv.end(), {"-n", "20", url});
  auto r = run_command(argv, std::chrono::seconds(30), {{"TSPROXY_SOCKS5_ADDRESS", socks}});
  return {r.exit_code, r.out, r.err};
}

class IoBackend : public ::testing::Test {
 protected:
  tsproxy::test::microsocks_server socks_;
  tsproxy::test::nginx_server nginx_;
  std::string socks_address() const { return socks_.host() + ":" + std::to_string(socks_.port()); }
};

TEST_F(IoBackend, UringBuildUsesIoUringWhenPermitted) {
  const auto r = fetch({}, TSPROXY_FETCH_URING, socks_address(), nginx_.http_url("/small"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("backend=io_uring requests=20 failures=0"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("io_uring unavailable"), std::string::npos) << r.err;
}

TEST_F(IoBackend, UringBuildFallsBackToEpollWhenIoUringSetupIsDenied) {
  const auto r =
      fetch({TSPROXY_DENY_IO_URING}, TSPROXY_FETCH_URING, socks_address(), nginx_.http_url("/small"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("backend=epoll requests=20 failures=0"), std::string::npos) << r.out;
  // Exactly one line explains the fallback, naming the reason.
  const auto first = r.err.find("io_uring unavailable");
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("io_uring unavailable", first + 1), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
}

TEST_F(IoBackend, DeniedIoUringWithoutAnEpollBuildFailsClearlyInsteadOfCrashing) {
  tsproxy::test::temp_dir dir;
  const auto lonely = dir / "tsproxy-fetch-uring";
  std::filesystem::copy_file(TSPROXY_FETCH_URING, lonely);
  const auto r = fetch({TSPROXY_DENY_IO_URING}, lonely.string(), socks_address(), nginx_.http_url("/small"));
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("cannot start the epoll build"), std::string::npos) << r.err;
}

TEST_F(IoBackend, EpollBuildIsUnaffectedByTheFilter) {
  const auto r =
      fetch({TSPROXY_DENY_IO_URING}, TSPROXY_FETCH_EPOLL, socks_address(), nginx_.http_url("/small"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("backend=epoll requests=20 failures=0"), std::string::npos) << r.out;
}

}  // namespace
