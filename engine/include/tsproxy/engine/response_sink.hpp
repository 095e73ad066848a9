#pragma once
// Where an upstream response goes. The client calls on_head once, on_body for each piece of the
// (de-chunked) body as it arrives, then on_complete. Each call is awaited before more is read, so
// a slow sink slows the upstream read instead of growing a buffer. Views are valid only during the call.
// An error returned by the sink aborts the exchange and is returned by it.

#include <asio/awaitable.hpp>
#include <string_view>
#include <system_error>
#include <vector>

#include "tsproxy/engine/http_message.hpp"

namespace tsproxy {

class response_sink {
 public:
  virtual ~response_sink() = default;
  virtual asio::awaitable<std::error_code> on_head(const response_head& head) = 0;
  virtual asio::awaitable<std::error_code> on_body(std::string_view piece) = 0;
  virtual asio::awaitable<std::error_code> on_complete(const std::vector<header_field>& trailers) = 0;
};

// Collects the whole response in memory, refusing bodies over `max_body_bytes` with sink_rejected.
class buffered_response : public response_sink {
 public:
  explicit buffered_response(std::size_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

  asio::awaitable<std::error_code> on_head(const response_head& head) override;
  asio::awaitable<std::error_code> on_body(std::string_view piece) override;
  asio::awaitable<std::error_code> on_complete(const std::vector<header_field>& trailers) override;

  response_head head;
  std::string body;
  std::vector<header_field> trailers;
  bool complete = false;

 private:
  std::size_t max_body_bytes_;
};

}  // namespace tsproxy
