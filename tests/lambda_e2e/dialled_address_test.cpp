// The policy applies to the address that is dialled: a target named by DNS name is resolved through
// tailscaled's LocalAPI (here the stand-in, which resolves names as tailscaled's dialer does) and every
// address is checked before the CONNECT, which then names the checked address.

#include <gtest/gtest.h>

#include "fault_matrix.hpp"
#include "local_stack.hpp"

namespace tsproxy::test {
namespace {

class DialledAddress : public ::testing::Test {
 protected:
  const test_ca& ca_ = test_ca::instance();
  // Stands for whatever listens on the sandbox's loopback (the Runtime API among it): it counts requests.
  python_upstream loopback_{{.tls_cert = ca_.server_cert(), .tls_key = ca_.server_key()}};
  std::string port_ = std::to_string(loopback_.port());

  // A tailscaled that resolves `dns` ("name=ip,...", the host's DNS) besides its peers' MagicDNS names.
  static tailscaled_standin tailscale_resolving(const std::string& dns) {
    return tailscaled_standin({.state = "Running", .dns = dns});
  }
  static stack_options asking(const tailscaled_standin& tailscale, const std::string& allowed_targets) {
    return {.env = {{"TSPROXY_TAILSCALE_SOCKET", tailscale.socket_path().string()},
                    {"TSPROXY_ALLOWED_TARGETS", allowed_targets},
                    {"TSPROXY_TLS_CA_FILE", test_ca::instance().ca_cert().string()}}};
  }
  std::vector<std::string> to_name(const std::string& name, std::uint16_t port, bool https = false) const {
    std::vector<std::string> args{"-H", "ts-target-host: " + name, "-H",
                                  "ts-target-port: " + std::to_string(port)};
    if (https) args.insert(args.end(), {"-H", "ts-https: true"});
    return args;
  }
};

TEST_F(DialledAddress, ANameThatResolvesIntoTheSandboxIsRefusedLikeTheAddress) {
  auto tailscale = tailscale_resolving("evil.example=127.0.0.1,mixed.example=100.64.0.7,mixed.example=::1");
  local_stack stack(tailscale.socks_address(), asking(tailscale, ""));  // no allow-list: any target
  for (const std::string name : {"evil.example", "EVIL.example.", "mixed.example"}) {
    const auto r = stack.request("/echo", to_name(name, loopback_.port()));
    EXPECT_TRUE(is_proxy_error(r, 403, "SandboxTargetNotAllowed")) << name << ": " << r.body;
  }
  EXPECT_EQ(loopback_.requests_served(), 0u) << "a name led into the sandbox";
  EXPECT_EQ(tailscale.connects(), 0u) << "a refused target is never dialled";
  // So that the test can fail: the operator names the loopback address, and the same name is served.
  local_stack named(tailscale.socks_address(), asking(tailscale, "127.0.0.1:" + port_));
  EXPECT_EQ(named.request("/echo", to_name("evil.example", loopback_.port())).status, 200);
  EXPECT_EQ(loopback_.requests_served(), 1u);
}

TEST_F(DialledAddress, TheConnectNamesTheCheckedAddressAndTlsIsVerifiedByTheName) {
  auto tailscale = tailscale_resolving("upstream.test=127.0.0.1");
  local_stack stack(tailscale.socks_address(), asking(tailscale, "127.0.0.1:*"));
  const auto r = stack.request("/echo", [&] {
    auto args = to_name("upstream.test", loopback_.tls_port(), true);
    args.insert(args.end(), {"-X", "POST", "--data-binary", "hello"});
    return args;
  }());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "hello");
  const auto tls_port = std::to_string(loopback_.tls_port());
  EXPECT_EQ(tailscale.connects_to("127.0.0.1:" + tls_port), 1u) << "the CONNECT names the checked address";
  EXPECT_EQ(tailscale.connects_to("upstream.test:" + tls_port), 0u)
      << "nothing left to resolve after the check";
  // The certificate is checked against the name, not the address: a name it does not carry fails.
  auto other = tailscale_resolving("other.test=127.0.0.1");
  local_stack wrong(other.socks_address(), asking(other, "127.0.0.1:*"));
  EXPECT_TRUE(is_proxy_error(wrong.request("/echo", to_name("other.test", loopback_.tls_port(), true)), 502,
                             "TlsError"));
}

TEST_F(DialledAddress, AnAddressEntryAdmitsANameByItsAddressAndANameEntryNeverAdmitsTheSandbox) {
  auto tailscale = tailscale_resolving("svc.example=127.0.0.1,far.example=203.0.113.9");
  local_stack by_address(tailscale.socks_address(), asking(tailscale, "127.0.0.1:" + port_));
  EXPECT_EQ(by_address.request("/echo", to_name("svc.example", loopback_.port())).status, 200);
  local_stack by_name(tailscale.socks_address(), asking(tailscale, "svc.example:" + port_));
  EXPECT_TRUE(is_proxy_error(by_name.request("/echo", to_name("svc.example", loopback_.port())), 403,
                             "SandboxTargetNotAllowed"));
  local_stack elsewhere(tailscale.socks_address(), asking(tailscale, "100.64.0.0/10:*"));
  EXPECT_TRUE(is_proxy_error(elsewhere.request("/echo", to_name("far.example", loopback_.port())), 403,
                             "TargetNotAllowed"));
  EXPECT_EQ(tailscale.connects(), 1u) << "only the admitted target was dialled";
  EXPECT_EQ(loopback_.requests_served(), 1u);
}

TEST_F(DialledAddress, ANameIsRefusedWhenTailscaledCannotResolveIt) {
  auto tailscale = tailscale_resolving("");
  local_stack stack(tailscale.socks_address(), asking(tailscale, ""));
  EXPECT_TRUE(is_proxy_error(stack.request("/echo", to_name("unknown.example", 80)), 502, "DnsNameNotFound"));
  // No LocalAPI to ask: fail closed, never the name passed on unchecked.
  local_stack deaf(tailscale.socks_address(),
                   {.env = {{"TSPROXY_TAILSCALE_SOCKET", "/nonexistent/tailscale.sock"},
                            {"TSPROXY_ALLOWED_TARGETS", ""}}});
  const auto r = deaf.request("/echo", to_name("localhost.example", 80));
  EXPECT_TRUE(is_proxy_error(r, 502, "TailscaleDnsUnavailable")) << r.body;
  EXPECT_EQ(tailscale.connects(), 0u);
}

}  // namespace
}  // namespace tsproxy::test
