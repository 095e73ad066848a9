#pragma once
// Streams an upstream response to the Runtime API as it arrives (response streaming): the prelude
// with status and headers, then each body piece as one chunk. Memory stays bounded by the engine's
// read buffer whatever the body size, and a slow Runtime API slows the upstream read.

#include "runtime/runtime_api_client.hpp"
#include "tsproxy/engine/response_sink.hpp"

namespace tsproxy::lambda {

class stream_sink : public response_sink {
 public:
  // Every write to the Runtime API must be done by `until` (the invocation's own deadline).
  // `head_request`: the answer to a HEAD request (its Content-Length is kept in the prelude).
  stream_sink(runtime_api_client& api, std::string_view request_id, time_point until, bool head_request)
      : api_(api), request_id_(request_id), until_(until), head_request_(head_request) {}

  asio::awaitable<std::error_code> on_head(const response_head& head) override;
  asio::awaitable<std::error_code> on_body(std::string_view piece) override;
  asio::awaitable<std::error_code> on_complete(const std::vector<header_field>& trailers) override;

  bool started() const noexcept { return started_; }
  // The Runtime API itself failed (so the failure cannot be reported through it either).
  bool api_failed() const noexcept { return api_failed_; }
  std::uint64_t body_bytes() const noexcept { return body_bytes_; }
  int status() const noexcept { return status_; }

 private:
  runtime_api_client& api_;
  std::string_view request_id_;
  time_point until_;
  bool head_request_;
  std::string prelude_;
  bool started_ = false;
  bool api_failed_ = false;
  int status_ = 0;
  std::uint64_t body_bytes_ = 0;
};

}  // namespace tsproxy::lambda
