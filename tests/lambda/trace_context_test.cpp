#include "adapter/trace_context.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>
#include <string>

namespace tsproxy::lambda {
namespace {

// The trace header of an invocation as Lambda gives it (the example of the X-Ray developer guide).
constexpr std::string_view lambda_trace =
    "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

std::optional<std::string_view> value_of(const routed_request& route, std::string_view name) {
  std::optional<std::string_view> found;
  int count = 0;
  for (const auto& h : route.headers) {
    if (h.name == name) found = h.value, ++count;
  }
  EXPECT_LE(count, 1) << name << " sent more than once";
  return found;
}

// A routed request forwarding `headers` (as route_request leaves them).
void forwarding(routed_request& route, std::initializer_list<header_view> headers) {
  route.headers.assign(headers);
}

TEST(TraceContext, TraceparentIsTheW3cFormOfTheXrayIds) {
  EXPECT_EQ(traceparent_from_xray(lambda_trace), "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01");
  EXPECT_EQ(
      traceparent_from_xray("Sampled=0;Parent=53995C3F42CD8AD8;Root=1-5759E988-BD862E3FE1BE46A994272793"),
      "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00")
      << "fields in any order, upper-case hex lower-cased, not sampled";
  EXPECT_EQ(
      traceparent_from_xray("Root=1-5759e988-bd862e3fe1be46a994272793; Parent=53995c3f42cd8ad8; Lineage=a:1"),
      "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-00")
      << "no Sampled field: not sampled";
}

TEST(TraceContext, NoTraceparentWithoutAValidRootAndParent) {
  for (const std::string_view bad : {
           "",
           "Root=1-5759e988-bd862e3fe1be46a994272793",                          // no Parent
           "Parent=53995c3f42cd8ad8;Sampled=1",                                 // no Root
           "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",  // unknown version
           "Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8",   // short
           "Root=1-5759e98g-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",  // not hex
           "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad",   // short parent
           "Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8",  // all-zero trace id
           "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000",  // all-zero parent
       }) {
    EXPECT_EQ(traceparent_from_xray(bad), std::nullopt) << bad;
  }
}

TEST(TraceContext, TheTargetGetsLambdasTraceHeaderAndADerivedTraceparent) {
  routed_request route;
  // The caller's event carries the Function URL's trace header: Lambda's names the function's segment.
  forwarding(route, {{"host", "t:80"}, {"X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793"}});
  add_trace_context(route, lambda_trace);
  EXPECT_EQ(value_of(route, "X-Amzn-Trace-Id"), lambda_trace);
  EXPECT_EQ(value_of(route, "x-amzn-trace-id"), std::nullopt) << "replaced in place, not added";
  EXPECT_EQ(value_of(route, "traceparent"), "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01");
}

TEST(TraceContext, TheCallersTraceparentIsKept) {
  routed_request route;
  const std::string_view callers = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  forwarding(route, {{"host", "t:80"}, {"TraceParent", callers}});
  add_trace_context(route, lambda_trace);
  EXPECT_EQ(value_of(route, "TraceParent"), callers);
  EXPECT_EQ(value_of(route, "traceparent"), std::nullopt);
  EXPECT_EQ(value_of(route, "x-amzn-trace-id"), lambda_trace);
}

TEST(TraceContext, NothingOutsideLambdaAndOnlyTheTraceHeaderWhenItHasNoIds) {
  routed_request route;
  forwarding(route, {{"host", "t:80"}});
  add_trace_context(route, "");
  EXPECT_EQ(route.headers.size(), 1u);
  add_trace_context(route, "Root=1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_EQ(value_of(route, "x-amzn-trace-id"), "Root=1-5759e988-bd862e3fe1be46a994272793");
  EXPECT_EQ(value_of(route, "traceparent"), std::nullopt);
}

}  // namespace
}  // namespace tsproxy::lambda
