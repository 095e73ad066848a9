// errors: every engine_error has a distinct stable name, and the broad classes pick the right members.
#include "tsproxy/engine/errors.hpp"

#include <gtest/gtest.h>

#include <asio/error.hpp>
#include <asio/ssl/error.hpp>
#include <cerrno>
#include <set>
#include <string>
#include <vector>

namespace tsproxy {
namespace {

std::vector<engine_error> all_engine_errors() {
  std::vector<engine_error> all;
  for (int v = static_cast<int>(engine_error::connect_timeout);
       v <= static_cast<int>(engine_error::connection_closed); ++v) {
    all.push_back(static_cast<engine_error>(v));
  }
  return all;
}

bool is_pascal_case(std::string_view s) {
  if (s.empty() || s.front() < 'A' || s.front() > 'Z') return false;
  for (const char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

TEST(EngineErrors, NamesAreDistinctPascalCase) {
  std::set<std::string_view> seen;
  const auto all = all_engine_errors();
  ASSERT_EQ(all.size(), 34u) << "a new engine_error needs a name and a class decision here";
  for (const engine_error e : all) {
    const std::error_code ec = e;
    const std::string_view name = error_name(ec);
    SCOPED_TRACE(static_cast<int>(e));
    EXPECT_TRUE(is_pascal_case(name)) << name;
    EXPECT_NE(name, "EngineError") << "the fallback name means the switch missed this value";
    EXPECT_TRUE(seen.insert(name).second) << "duplicate name " << name;
    EXPECT_FALSE(ec.message().empty());
    EXPECT_NE(ec.message(), "unknown engine error");
  }
}

TEST(EngineErrors, SpecificNames) {
  EXPECT_EQ(error_name(engine_error::connect_timeout), "ConnectTimeout");
  EXPECT_EQ(error_name(engine_error::socks5_connection_refused), "Socks5ConnectionRefused");
  EXPECT_EQ(error_name(engine_error::socks5_host_unreachable), "Socks5HostUnreachable");
  EXPECT_EQ(error_name(engine_error::http_obs_fold), "HttpObsoleteLineFolding");
  EXPECT_EQ(error_name(engine_error::http_truncated), "HttpTruncated");
  EXPECT_EQ(error_name(engine_error::connection_closed), "ConnectionClosed");
  EXPECT_EQ(error_name(engine_error::http_unexpected_status), "HttpUnexpectedStatus");
  EXPECT_FALSE(is_timeout(engine_error::http_unexpected_status));
}

TEST(EngineErrors, CategoryAndConversion) {
  const std::error_code ec = engine_error::http_bad_chunk;
  EXPECT_EQ(ec.category(), engine_category());
  EXPECT_STREQ(engine_category().name(), "tsproxy.engine");
  EXPECT_EQ(ec, make_error_code(engine_error::http_bad_chunk));
  EXPECT_EQ(ec, engine_error::http_bad_chunk);
  EXPECT_NE(ec, engine_error::http_bad_header);
  EXPECT_TRUE(static_cast<bool>(ec)) << "no engine_error is zero (zero means success)";
}

TEST(EngineErrors, NamesForSystemAndAsioErrors) {
  EXPECT_EQ(error_name(std::make_error_code(std::errc::connection_refused)), "ConnectionRefused");
  EXPECT_EQ(error_name(std::make_error_code(std::errc::connection_reset)), "ConnectionReset");
  EXPECT_EQ(error_name(std::make_error_code(std::errc::broken_pipe)), "BrokenPipe");
  EXPECT_EQ(error_name(std::make_error_code(std::errc::timed_out)), "TimedOut");
  EXPECT_EQ(error_name(std::error_code(ECONNREFUSED, std::system_category())), "ConnectionRefused");
  EXPECT_EQ(error_name(std::error_code(ETIMEDOUT, std::system_category())), "TimedOut");
  EXPECT_EQ(error_name(asio::error::eof), "ConnectionClosed");
  EXPECT_EQ(error_name(asio::ssl::error::stream_truncated), "TlsError");
  EXPECT_EQ(error_name(std::make_error_code(std::errc::address_in_use)), "NetworkError");
}

TEST(EngineErrors, TimeoutClass) {
  const std::set<engine_error> timeouts = {
      engine_error::connect_timeout,       engine_error::socks5_timeout,
      engine_error::tls_handshake_timeout, engine_error::response_head_timeout,
      engine_error::body_idle_timeout,     engine_error::request_deadline};
  for (const engine_error e : all_engine_errors()) {
    EXPECT_EQ(is_timeout(e), timeouts.contains(e)) << error_name(e);
  }
  EXPECT_TRUE(is_timeout(std::make_error_code(std::errc::timed_out)));
  EXPECT_TRUE(is_timeout(std::error_code(ETIMEDOUT, std::system_category())));
  EXPECT_FALSE(is_timeout(std::make_error_code(std::errc::connection_refused)));
  EXPECT_FALSE(is_timeout(asio::error::eof));
  EXPECT_FALSE(is_timeout({}));
}

TEST(EngineErrors, Socks5Class) {
  const std::set<engine_error> socks5 = {
      engine_error::socks5_general_failure,
      engine_error::socks5_target_unreachable,
      engine_error::socks5_not_allowed,
      engine_error::socks5_network_unreachable,
      engine_error::socks5_host_unreachable,
      engine_error::socks5_connection_refused,
      engine_error::socks5_ttl_expired,
      engine_error::socks5_command_not_supported,
      engine_error::socks5_address_type_not_supported,
      engine_error::socks5_unknown_reply,
      engine_error::socks5_bad_version,
      engine_error::socks5_no_acceptable_method,
      engine_error::socks5_auth_failed,
      engine_error::socks5_bad_address,
  };
  for (const engine_error e : all_engine_errors()) {
    EXPECT_EQ(is_socks5_error(e), socks5.contains(e)) << error_name(e);
    EXPECT_FALSE(is_socks5_error(e) && is_timeout(e))
        << "the classes pick one status code: " << error_name(e);
  }
  EXPECT_FALSE(is_socks5_error(std::make_error_code(std::errc::connection_refused)));
  EXPECT_FALSE(is_socks5_error({}));
}

}  // namespace
}  // namespace tsproxy
