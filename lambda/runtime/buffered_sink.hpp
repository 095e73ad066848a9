#pragma once
// Answers a buffered-mode invocation: one JSON payload (docs/PROTOCOLS.md section 2.2). When the target's
// head tells the body's length, the body is large enough for overlap to pay and its base64 payload fits
// Lambda's limit, the payload goes to the Runtime API while the body arrives: its opening once the head
// is read, then the body base64-encoded piece by piece (one chunk of a chunked POST each), then the
// target's status and headers (encode_pipelined_closing). Fetching and handing over overlap instead of
// adding up. Any other answer is collected whole and encoded after it (encode_buffered_response), which
// keeps a text body as text and checks a body of unknown length against the limit before sending.
//
// A POST cut off mid-payload is never how a target's failure is told: it is no answer a caller can use (the
// official emulator's classic mode refuses the runtime's next `next` with 403 InvalidStateTransition and
// holds the invocation until its timeout; Lambda's direct invoke reports Runtime.TruncatedResponse). After a
// target that fails mid-body the payload is finished with the proxy's error as its status and headers
// (fail()).

#include <cstdint>
#include <string>

#include "adapter/base64.hpp"
#include "runtime/runtime_api_client.hpp"
#include "tsproxy/engine/response_sink.hpp"

namespace tsproxy::lambda {

class buffered_sink : public response_sink {
 public:
  // Below this a body arrives in a few reads: there is little to overlap, and the collected form keeps a
  // text body as text and a failure's answer whole.
  static constexpr std::uint64_t pipeline_min_bytes = 64 * 1024;
  // The base64 of body pieces is gathered up to this size before it is written: a relay may deliver the body
  // in pieces of 1 KiB, and one chunk per piece would cost both sides a write and a read per KiB. Nothing
  // waits for a part of a buffered answer, so gathering delays nothing but the last write.
  static constexpr std::size_t write_bytes = 64 * 1024;

  // Every write to the Runtime API must be done by `until` (the invocation's own deadline); `limit` is
  // the payload's (Lambda's 6 MB).
  buffered_sink(runtime_api_client& api, std::string_view request_id, time_point until, std::size_t limit,
                bool head_request)
      : api_(api),
        request_id_(request_id),
        until_(until),
        limit_(limit),
        collected_(limit),
        head_request_(head_request) {}

  asio::awaitable<std::error_code> on_head(const response_head& head) override;
  asio::awaitable<std::error_code> on_body(std::string_view piece) override;
  asio::awaitable<std::error_code> on_complete(const std::vector<header_field>& trailers) override;

  // Ends a pipelined payload after the target failed mid-body: the body is what arrived, the status and
  // headers the proxy's error.
  asio::awaitable<std::error_code> fail(int status, std::string_view name, std::string_view message);

  // Whether the payload is being handed over as the body arrives (decided by on_head).
  bool pipelined() const noexcept { return pipelined_; }
  // The Runtime API itself failed (so nothing more can be told through it).
  bool api_failed() const noexcept { return api_failed_; }
  // The whole answer, when it was not pipelined.
  const buffered_response& collected() const noexcept { return collected_; }
  bool head_request() const noexcept { return head_request_; }
  int status() const noexcept { return status_; }
  std::uint64_t body_bytes() const noexcept { return body_bytes_; }

 private:
  // Whether the payload for a body of `body_length` bytes fits the limit (closing_ encoded).
  bool fits(std::uint64_t body_length) const noexcept;
  // Writes what is gathered in encoded_ as one chunk.
  asio::awaitable<std::error_code> write();
  // The leftover base64, then `closing`, then the end of the POST and its answer.
  asio::awaitable<std::error_code> finish();

  runtime_api_client& api_;
  std::string_view request_id_;
  time_point until_;
  std::size_t limit_;
  buffered_response collected_;
  bool head_request_;
  bool pipelined_ = false;
  bool api_failed_ = false;
  int status_ = 0;
  std::uint64_t body_bytes_ = 0;
  base64_piecewise_encoder encoder_;
  std::string encoded_;  // base64 not yet written (up to about write_bytes)
  std::string closing_;  // what follows the body
  response_head head_;   // the target's, for the error closing's description of the body
};

}  // namespace tsproxy::lambda
