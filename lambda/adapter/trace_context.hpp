#pragma once
// Trace context for the target, so that its spans join the caller's trace:
//   X-Amzn-Trace-Id: Lambda's trace header for the invocation (Lambda-Runtime-Trace-Id). Its Root is the
//     trace, its Parent the function's own segment, its Sampled the decision: what an X-Ray SDK in the
//     function would send downstream
//     (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader). It
//     replaces the header the caller's event carried, which names the Function URL's segment instead.
//   traceparent: the caller's own when it sent one (forwarded untouched); else the W3C form of the same
//     ids (https://www.w3.org/TR/trace-context/#traceparent-header): version 00, the Root's 32 hex digits
//     without "1-" and dashes, the Parent's 16, flags 01 when Sampled=1 else 00.

#include <optional>
#include <string>
#include <string_view>

#include "adapter/routing.hpp"

namespace tsproxy::lambda {

// The W3C traceparent for an X-Ray trace header ("Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0|1",
// fields in any order, others ignored); nullopt when Root or Parent is missing or malformed.
std::optional<std::string> traceparent_from_xray(std::string_view trace_header);

// Adds the trace context above to the headers `route` forwards (storage in route.trace_*). Nothing when
// `lambda_trace_id` is empty (outside Lambda).
void add_trace_context(routed_request& route, std::string_view lambda_trace_id);

}  // namespace tsproxy::lambda
