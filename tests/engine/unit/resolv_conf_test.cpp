// resolv.conf's name servers, read as glibc reads them.

#include "tsproxy/engine/resolv_conf.hpp"

#include <gtest/gtest.h>

namespace tsproxy {
namespace {

std::vector<std::string> strings(const std::vector<asio::ip::address>& addresses) {
  std::vector<std::string> out;
  for (const auto& a : addresses) out.push_back(a.to_string());
  return out;
}

TEST(ResolvConf, ReadsNameserverLinesInOrder) {
  const auto servers = parse_resolv_conf(
      "# Generated\n"
      "search example.internal\n"
      "nameserver 169.254.78.1\n"
      "  nameserver\t10.0.0.2   # trailing words are ignored\n"
      "options timeout:2 attempts:3\n"
      "nameserver fd00::53\r\n");
  EXPECT_EQ(strings(servers), (std::vector<std::string>{"169.254.78.1", "10.0.0.2", "fd00::53"}));
}

TEST(ResolvConf, SkipsCommentsMalformedAddressesAndOtherKeywords) {
  const auto servers = parse_resolv_conf(
      "#nameserver 1.1.1.1\n"
      "; nameserver 2.2.2.2\n"
      "nameserver not-an-address\n"
      "nameserver 300.1.1.1\n"
      "nameserver\n"
      "nameservers 3.3.3.3\n"
      "nameserver 4.4.4.4");
  EXPECT_EQ(strings(servers), (std::vector<std::string>{"4.4.4.4"}));
}

TEST(ResolvConf, KeepsAtMostThreeServers) {
  const auto servers =
      parse_resolv_conf("nameserver 1.1.1.1\nnameserver 2.2.2.2\nnameserver 3.3.3.3\nnameserver 4.4.4.4\n");
  EXPECT_EQ(strings(servers), (std::vector<std::string>{"1.1.1.1", "2.2.2.2", "3.3.3.3"}));
  EXPECT_TRUE(parse_resolv_conf("").empty());
}

}  // namespace
}  // namespace tsproxy
