// The allow-list (TSPROXY_ALLOWED_TARGETS): its syntax and how targets match it.

#include "adapter/allow_list.hpp"

#include <gtest/gtest.h>

namespace tsproxy::lambda {
namespace {

allow_list parse_ok(std::string_view spec) {
  std::string error;
  auto list = allow_list::parse(spec, error);
  EXPECT_TRUE(list.has_value()) << spec << ": " << error;
  return list ? std::move(*list) : allow_list{};
}

upstream_target target(std::string host, std::uint16_t port) {
  upstream_target t;
  t.host = std::move(host);
  t.port = port;
  return t;
}

TEST(AllowList, Ipv4CidrEdges) {
  const allow_list list = parse_ok("100.64.0.0/10:443");
  EXPECT_TRUE(list.allows(target("100.64.0.0", 443)));
  EXPECT_TRUE(list.allows(target("100.127.255.255", 443)));
  EXPECT_FALSE(list.allows(target("100.128.0.0", 443)));
  EXPECT_FALSE(list.allows(target("100.63.255.255", 443)));
  EXPECT_FALSE(list.allows(target("100.64.0.1", 444)));
}

TEST(AllowList, SingleAddressesAnyPortAndHostBits) {
  const allow_list list = parse_ok(" 100.100.1.2:8080 , 10.1.2.3/24:*,");
  EXPECT_EQ(list.size(), 2u);
  EXPECT_TRUE(list.allows(target("100.100.1.2", 8080)));
  EXPECT_FALSE(list.allows(target("100.100.1.2", 8081)));
  EXPECT_FALSE(list.allows(target("100.100.1.3", 8080)));
  EXPECT_TRUE(list.allows(target("10.1.2.0", 1)));  // 10.1.2.3/24 means 10.1.2.0/24
  EXPECT_TRUE(list.allows(target("10.1.2.255", 65535)));
  EXPECT_FALSE(list.allows(target("10.1.3.0", 80)));
}

TEST(AllowList, Ipv6CidrEdges) {
  const allow_list list = parse_ok("[fd7a:115c:a1e0::/48]:*,[fd00::1]:80");
  EXPECT_TRUE(list.allows(target("fd7a:115c:a1e0::", 1)));
  EXPECT_TRUE(list.allows(target("fd7a:115c:a1e0:ffff:ffff:ffff:ffff:ffff", 443)));
  EXPECT_FALSE(list.allows(target("fd7a:115c:a1e1::", 443)));
  EXPECT_FALSE(list.allows(target("fd7a:115c:a1df:ffff:ffff:ffff:ffff:ffff", 443)));
  EXPECT_TRUE(list.allows(target("fd00::1", 80)));
  EXPECT_FALSE(list.allows(target("fd00::2", 80)));
  // Families never cross.
  EXPECT_FALSE(list.allows(target("100.64.0.1", 80)));
}

TEST(AllowList, OddPrefixLengths) {
  const allow_list list = parse_ok("192.168.0.0/23:80,[2001:db8::/33]:80,0.0.0.0/0:9000");
  EXPECT_TRUE(list.allows(target("192.168.1.255", 80)));
  EXPECT_FALSE(list.allows(target("192.168.2.0", 80)));
  EXPECT_TRUE(list.allows(target("2001:db8:7fff:ffff::1", 80)));
  EXPECT_FALSE(list.allows(target("2001:db8:8000::", 80)));
  EXPECT_TRUE(list.allows(target("8.8.8.8", 9000)));
  EXPECT_FALSE(list.allows(target("fd00::1", 9000)));
}

TEST(AllowList, HostNamesOnlyByExplicitNameEntries) {
  const allow_list list = parse_ok("0.0.0.0/0:*,[::/0]:*,Grafana.TS.net.:443,db.ts.net:*");
  EXPECT_FALSE(list.allows(target("other.ts.net", 443)));  // CIDRs never admit names
  EXPECT_TRUE(list.allows(target("grafana.ts.net", 443)));
  EXPECT_TRUE(list.allows(target("GRAFANA.ts.net.", 443)));
  EXPECT_FALSE(list.allows(target("grafana.ts.net", 80)));
  EXPECT_TRUE(list.allows(target("db.ts.net", 5432)));
  EXPECT_FALSE(list.allows(target("sub.db.ts.net", 5432)));
}

TEST(AllowList, Ipv4MappedEntriesAndTargets) {
  const allow_list list = parse_ok("[::ffff:100.64.0.0/106]:80");
  EXPECT_TRUE(list.allows(target("100.64.0.1", 80)));
  EXPECT_TRUE(list.allows(target("::ffff:100.127.0.1", 80)));
  EXPECT_FALSE(list.allows(target("100.128.0.1", 80)));
}

TEST(AllowList, RejectsMalformedSpecs) {
  for (std::string_view spec : {
           "",
           " , ",
           "100.64.0.0/10",
           "100.64.0.0/10:",
           "100.64.0.0/10:0",
           "100.64.0.0/10:65536",
           "100.64.0.0/33:80",
           "100.64.0.0/:80",
           "100.64.0.0/1x:80",
           "fd7a:115c:a1e0::/48:*",
           "[fd7a::/129]:80",
           "[fd7a::1:80",
           "[fd7a::1]",
           "[100.64.0.1]:80",
           "under_score:80",
           "100.64.0.0/10:https",
           "[::ffff:100.64.0.0/95]:80",
           "[fd7a::1]x:80",
           "a.ts.net/24:80",
           "two.trailing.dots..:80",
       }) {
    std::string error;
    EXPECT_FALSE(allow_list::parse(spec, error).has_value()) << spec;
    EXPECT_FALSE(error.empty()) << spec;
  }
}

// inet_pton reads up to a NUL, so an address cut by one once passed as the part before it.
TEST(AllowList, AnAddressWithANulIsRefused) {
  std::string error;
  EXPECT_FALSE(allow_list::parse(std::string_view("100.64.0.1\0junk:80", 18), error).has_value());
  EXPECT_FALSE(allow_list::parse(std::string_view("[fd7a::1\0]:80", 14), error).has_value());
}

// Found by fuzz_allow_list: an entry holding a line break was quoted as it was, so the init error (and
// the log line carrying it) split in two. Control bytes are written as \xNN.
TEST(AllowList, AnErrorQuotingControlBytesStaysOneLine) {
  std::string error;
  EXPECT_FALSE(allow_list::parse("162.0.0.1:90.1:900\n1", error).has_value());
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_NE(error.find("\\x0a"), std::string::npos) << error;
}

}  // namespace
}  // namespace tsproxy::lambda
