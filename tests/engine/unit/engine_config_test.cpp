// engine_config's parsers of configuration text (the environment is read by lambda/config).
#include "tsproxy/engine/engine_config.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tsproxy {
namespace {

TEST(EngineConfigParsers, ParseBool) {
  bool b = false;
  EXPECT_TRUE(parse_bool("YES", b));
  EXPECT_TRUE(b);
  EXPECT_TRUE(parse_bool("off", b));
  EXPECT_FALSE(b);
  b = true;
  EXPECT_FALSE(parse_bool("", b));
  EXPECT_FALSE(parse_bool("truth", b));
  EXPECT_TRUE(b) << "a refused value leaves the output alone";
}

TEST(EngineConfigParsers, ParseUint) {
  std::uint64_t v = 7;
  EXPECT_TRUE(parse_uint("0", 0, 10, v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(parse_uint("18446744073709551615", 0, UINT64_MAX, v));
  EXPECT_EQ(v, UINT64_MAX);
  v = 7;
  EXPECT_FALSE(parse_uint("", 0, 10, v));
  EXPECT_FALSE(parse_uint("11", 0, 10, v));
  EXPECT_FALSE(parse_uint("4", 5, 10, v));
  EXPECT_FALSE(parse_uint("18446744073709551616", 0, UINT64_MAX, v));
  EXPECT_FALSE(parse_uint("5x", 0, 10, v));
  EXPECT_EQ(v, 7u) << "a refused value leaves the output alone";
}

TEST(EngineConfigParsers, ParseHostPort) {
  std::string host;
  std::uint16_t port = 0;
  EXPECT_TRUE(parse_host_port("[fd7a:115c:a1e0::1]:443", host, port));
  EXPECT_EQ(host, "fd7a:115c:a1e0::1");
  EXPECT_EQ(port, 443);
  EXPECT_TRUE(parse_host_port("example.com:80", host, port)) << "names are the caller's policy";
  EXPECT_EQ(host, "example.com");
  EXPECT_FALSE(parse_host_port("fd7a::1:443", host, port));
  EXPECT_FALSE(parse_host_port("host:65536", host, port));
}

}  // namespace
}  // namespace tsproxy
