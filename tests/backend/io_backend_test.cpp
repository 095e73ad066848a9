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

fetch_result fetch(const std::vector<std::string>& prefix, const std::string& program, const std::string& socks,
                   const std::string& url) {
  std::vector<std::string> argv = prefix;
  argv.push_back(program);
  argv.insert(argv.end(), {"-n", "20", url});
  auto r = run_command(argv, std::chrono::seconds(30), {{"TSPROXY_SOCKS5_ADDRESS", socks}});
  return {r.exit_code, r.out, r.err};
}

class io_backend : public ::testing::Test {
 protected:
  tsproxy::test::microsocks_server socks_;
  tsproxy::test::nginx_server nginx_;
  std::string socks_address() const { return socks_.host() + ":" + std::to_string(socks_.port()); }
};

TEST_F(io_backend, uring_build_uses_io_uring_when_permitted) {
  const auto r = fetch({}, TSPROXY_FETCH_URING, socks_address(), nginx_.http_url("/small"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("backend=io_uring requests=20 failures=0"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("io_uring unavailable"), std::string::npos) << r.err;
}

TEST_F(io_backend, uring_build_falls_back_to_epoll_when_io_uring_setup_is_denied) {
  const auto r = fetch({TSPROXY_DENY_IO_URING}, TSPROXY_FETCH_URING, socks_address(), nginx_.http_url("/small"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("backend=epoll requests=20 failures=0"), std::string::npos) << r.out;
  // Exactly one line explains the fallback, naming the reason.
  const auto first = r.err.find("io_uring unavailable");
  ASSERT_NE(first, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("io_uring unavailable", first + 1), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Operation not permitted"), std::string::npos) << r.err;
}

TEST_F(io_backend, denied_io_uring_without_an_epoll_build_fails_clearly_instead_of_crashing) {
  tsproxy::test::temp_dir dir;
  const auto lonely = dir / "tsproxy-fetch-uring";
  std::filesystem::copy_file(TSPROXY_FETCH_URING, lonely);
  const auto r = fetch({TSPROXY_DENY_IO_URING}, lonely.string(), socks_address(), nginx_.http_url("/small"));
  EXPECT_EQ(r.exit_code, 127);
  EXPECT_NE(r.err.find("cannot start the epoll build"), std::string::npos) << r.err;
}

TEST_F(io_backend, epoll_build_is_unaffected_by_the_filter) {
  const auto r = fetch({TSPROXY_DENY_IO_URING}, TSPROXY_FETCH_EPOLL, socks_address(), nginx_.http_url("/small"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("backend=epoll requests=20 failures=0"), std::string::npos) << r.out;
}

}  // namespace
