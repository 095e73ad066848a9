// The Extensions API requests as values: each builder's bytes, exactly.

#include "extension/extensions_api_requests.hpp"

#include <gtest/gtest.h>

namespace tsproxy::extension::extensions_api {
namespace {

const upstream_target api{"127.0.0.1", 9001};

TEST(ExtensionsApiRequests, RegisterNamesTheExtensionAndAsksForShutdownAlone) {
  const auto r = register_request(api, "tsproxy-tailscale");
  EXPECT_EQ(r.body, R"({"events":["SHUTDOWN"]})");
  EXPECT_EQ(r.head,
            "POST /2020-01-01/extension/register HTTP/1.1\r\n"
            "Lambda-Extension-Name: tsproxy-tailscale\r\n"
            "Host: 127.0.0.1:9001\r\n"
            "Content-Length: 23\r\n"
            "\r\n");
}

TEST(ExtensionsApiRequests, NextCarriesTheIdentifier) {
  EXPECT_EQ(next_request(api, "8476a536-e9f4-11e8-9739-2dfe598c3fcd"),
            "GET /2020-01-01/extension/event/next HTTP/1.1\r\n"
            "Lambda-Extension-Identifier: 8476a536-e9f4-11e8-9739-2dfe598c3fcd\r\n"
            "Host: 127.0.0.1:9001\r\n"
            "\r\n");
}

TEST(ExtensionsApiRequests, ErrorsCarryTheTypeHeaderAndTheErrorDocument) {
  const auto init = init_error_request(api, "id-1", "Extension.SecretMissing", "no \"secret\"");
  EXPECT_EQ(init.body,
            R"({"errorMessage":"no \"secret\"","errorType":"Extension.SecretMissing","stackTrace":[]})");
  EXPECT_EQ(init.head,
            "POST /2020-01-01/extension/init/error HTTP/1.1\r\n"
            "Lambda-Extension-Identifier: id-1\r\n"
            "Lambda-Extension-Function-Error-Type: Extension.SecretMissing\r\n"
            "Host: 127.0.0.1:9001\r\n"
            "Content-Length: " +
                std::to_string(init.body.size()) + "\r\n\r\n");
  const auto exit = exit_error_request(api, "id-1", "Extension.TailscaledExited", "gone");
  EXPECT_EQ(exit.head.substr(0, exit.head.find("\r\n")), "POST /2020-01-01/extension/exit/error HTTP/1.1");
  EXPECT_NE(exit.head.find("Lambda-Extension-Function-Error-Type: Extension.TailscaledExited\r\n"),
            std::string::npos);
}

TEST(ExtensionsApiRequests, NamesAndIdentifiersThatCouldLeaveTheirHeaderAreRefused) {
  EXPECT_TRUE(is_valid_name("tsproxy-tailscale"));
  EXPECT_TRUE(is_valid_name("my.extension_v2"));
  for (std::string_view bad : {"", "a b", "a\r\nX-Evil: 1", "tab\there", "caf\xc3\xa9"}) {
    EXPECT_FALSE(is_valid_name(bad)) << bad;
  }
  EXPECT_FALSE(is_valid_name(std::string(256, 'a')));
  EXPECT_TRUE(is_valid_identifier("8476a536-e9f4-11e8-9739-2dfe598c3fcd"));
  for (std::string_view bad : {"", "a b", "a\r\n", "a/b", "a:b"})
    EXPECT_FALSE(is_valid_identifier(bad)) << bad;
  EXPECT_TRUE(is_valid_error_type("Extension.NotRunningInTime"));
  EXPECT_FALSE(is_valid_error_type("Extension Not Running"));
}

}  // namespace
}  // namespace tsproxy::extension::extensions_api
