#include "adapter/metrics.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace tsproxy::lambda {
namespace {

using testing::dom_has;
using testing::dom_int;
using testing::dom_string;

TEST(Metrics, SuccessLineWithCustomDimension) {
  const std::string line =
      emf_line(default_metric_namespace, "grafana", "env", "prod", true, 12.3456, 1710270238390);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // exactly one line
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, std::string_view(line).substr(0, line.size() - 1));
  EXPECT_EQ(dom_int(root, "/_aws/Timestamp"), 1710270238390);
  EXPECT_EQ(dom_string(root, "/_aws/CloudWatchMetrics/0/Namespace"), "tailscale-service");
  EXPECT_EQ(dom_string(root, "/_aws/CloudWatchMetrics/0/Dimensions/0/0"), "service");
  EXPECT_EQ(dom_string(root, "/_aws/CloudWatchMetrics/0/Dimensions/0/1"), "env");
  EXPECT_FALSE(dom_has(root, "/_aws/CloudWatchMetrics/0/Dimensions/0/2"));
  EXPECT_FALSE(dom_has(root, "/_aws/CloudWatchMetrics/0/Dimensions/1"));
  EXPECT_EQ(dom_string(root, "/_aws/CloudWatchMetrics/0/Metrics/0/Name"), "success");
  EXPECT_EQ(dom_string(root, "/_aws/CloudWatchMetrics/0/Metrics/0/Unit"), "Count");
  EXPECT_EQ(dom_string(root, "/_aws/CloudWatchMetrics/0/Metrics/1/Name"), "failure");
  EXPECT_EQ(dom_string(root, "/_aws/CloudWatchMetrics/0/Metrics/1/Unit"), "Count");
  EXPECT_EQ(dom_string(root, "/_aws/CloudWatchMetrics/0/Metrics/2/Name"), "latency");
  EXPECT_EQ(dom_string(root, "/_aws/CloudWatchMetrics/0/Metrics/2/Unit"), "Milliseconds");
  EXPECT_FALSE(dom_has(root, "/_aws/CloudWatchMetrics/1"));
  EXPECT_EQ(dom_string(root, "/service"), "grafana");
  EXPECT_EQ(dom_string(root, "/env"), "prod");
  EXPECT_EQ(dom_int(root, "/success"), 1);
  EXPECT_EQ(dom_int(root, "/failure"), 0);
  double latency = 0;
  ASSERT_EQ(root.at_pointer("/latency").get(latency), simdjson::SUCCESS);
  EXPECT_DOUBLE_EQ(latency, 12.346);
}

TEST(Metrics, PhasesFollowTheLatencyUnderTheSameDimensions) {
  const latency_phases phases{.connect_ms = 1.5, .socks5_ms = 0.25, .tls_ms = 3, .first_byte_ms = 7.0004};
  const std::string line = emf_line("ns", "svc", "env", "prod", true, 12, 1, &phases);
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, line);
  const std::pair<std::string_view, double> expected[] = {
      {"connectLatency", 1.5}, {"socks5Latency", 0.25}, {"tlsLatency", 3}, {"firstByteLatency", 7}};
  for (std::size_t i = 0; i < std::size(expected); ++i) {
    const auto& [name, value] = expected[i];
    const std::string metric = "/_aws/CloudWatchMetrics/0/Metrics/" + std::to_string(3 + i);
    EXPECT_EQ(dom_string(root, metric + "/Name"), name);
    EXPECT_EQ(dom_string(root, metric + "/Unit"), "Milliseconds");
    double got = -1;
    ASSERT_EQ(root.at_pointer("/" + std::string(name)).get(got), simdjson::SUCCESS) << name;
    EXPECT_DOUBLE_EQ(got, value) << name;
  }
  EXPECT_FALSE(dom_has(root, "/_aws/CloudWatchMetrics/0/Metrics/7"));
  EXPECT_EQ(dom_string(root, "/_aws/CloudWatchMetrics/0/Dimensions/0/1"), "env");
  // Without phases the line has none of them; with them a dimension may not take a phase's name.
  EXPECT_EQ(emf_line("ns", "svc", "", "", true, 1, 1).find("Latency"), std::string::npos);
  const auto clash =
      testing::parse_dom(parser, emf_line("ns", "svc", "tlsLatency", "x", true, 1, 1, &phases));
  EXPECT_FALSE(dom_has(clash, "/_aws/CloudWatchMetrics/0/Dimensions/0/1"));
  EXPECT_TRUE(dom_has(testing::parse_dom(parser, emf_line("ns", "svc", "tlsLatency", "x", true, 1, 1)),
                      "/_aws/CloudWatchMetrics/0/Dimensions/0/1"));
}

TEST(Metrics, FailureLineWithoutDimension) {
  const std::string line = emf_line("ns", "svc", "", "", false, 0.5, 1);
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, line);
  simdjson::dom::array dimension_set;
  ASSERT_EQ(root.at_pointer("/_aws/CloudWatchMetrics/0/Dimensions/0").get(dimension_set), simdjson::SUCCESS);
  EXPECT_EQ(dimension_set.size(), 1u);
  EXPECT_EQ(dom_int(root, "/success"), 0);
  EXPECT_EQ(dom_int(root, "/failure"), 1);
  EXPECT_EQ(dom_string(root, "/_aws/CloudWatchMetrics/0/Namespace"), "ns");
}

TEST(Metrics, InvalidCustomDimensionIsOmitted) {
  const std::string too_long_name(256, 'n');
  const std::string too_long_value(1025, 'v');
  const std::pair<std::string_view, std::string_view> invalid[] = {
      {"env", ""},
      {"", "prod"},
      {"   ", "prod"},
      {":env", "prod"},
      {"e\nv", "prod"},
      {"env", "pr\x01od"},
      {"env", "caf\xc3\xa9"},
      {too_long_name, "v"},
      {"env", too_long_value},
      {"service", "x"},
      {"success", "x"},
      {"latency", "x"},
      {"_aws", "x"},
      {"failure", "x"},
  };
  for (const auto& [name, value] : invalid) {
    const std::string line = emf_line("ns", "svc", name, value, true, 1, 1);
    simdjson::dom::parser parser;
    const auto root = testing::parse_dom(parser, line);
    simdjson::dom::array dimension_set;
    ASSERT_EQ(root.at_pointer("/_aws/CloudWatchMetrics/0/Dimensions/0").get(dimension_set),
              simdjson::SUCCESS);
    EXPECT_EQ(dimension_set.size(), 1u) << name << "=" << value;
    EXPECT_EQ(dom_string(root, "/service"), "svc");
    EXPECT_EQ(dom_int(root, "/success"), 1);
  }
  // Boundary sizes are still valid.
  const std::string line = emf_line("ns", "svc", std::string(255, 'n'), std::string(1024, 'v'), true, 1, 1);
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, line);
  EXPECT_EQ(dom_string(root, "/" + std::string(255, 'n')).size(), 1024u);
}

TEST(Metrics, DimensionValuesAreJsonEscaped) {
  const std::string line = emf_line("ns", "svc \"quoted\" \\", "x-dim", "a\"b", true, 1, 1);
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, line);
  EXPECT_EQ(dom_string(root, "/service"), "svc \"quoted\" \\");
  EXPECT_EQ(dom_string(root, "/x-dim"), "a\"b");
}

TEST(Metrics, InvalidServiceEmitsNothing) {
  EXPECT_EQ(emf_line("ns", "", "", "", true, 1, 1), "");
  EXPECT_EQ(emf_line("ns", "bad\nservice", "", "", true, 1, 1), "");
  EXPECT_EQ(emf_line("ns", std::string(1025, 's'), "", "", true, 1, 1), "");
}

TEST(Metrics, NonFiniteLatencyIsZero) {
  const std::string line = emf_line("ns", "svc", "", "", true, std::numeric_limits<double>::infinity(), 1);
  simdjson::dom::parser parser;
  const auto root = testing::parse_dom(parser, line);
  double latency = -1;
  ASSERT_EQ(root.at_pointer("/latency").get(latency), simdjson::SUCCESS);
  EXPECT_EQ(latency, 0);
}

}  // namespace
}  // namespace tsproxy::lambda
