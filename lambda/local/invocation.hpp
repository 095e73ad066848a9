#pragma once
// One Function URL request on its way through the emulated Lambda: queued, handed to the runtime,
// answered (buffered) or streamed. The Function URL side and the Runtime API side meet here; both
// wait on `signal` and re-check the state after each wake-up (one thread, no locks).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/event_signal.hpp"
#include "result_decoder.hpp"

namespace tsproxy::local {

using steady_time = std::chrono::steady_clock::time_point;

// A complete error response as Lambda sends it: JSON body and x-amzn-ErrorType.
http_result make_error_result(int status, std::string_view error_type, std::string_view json_body);

struct invocation {
  enum class phase { queued, running, answered, streaming };
  enum class stream_end { open, complete, failed };

  std::string request_id;
  std::string trace_id;
  std::string event;          // the payload 2.0 JSON handed to the runtime
  bool direct = false;        // a direct Invoke (not through the Function URL): the result is returned as is
  steady_time received_at{};  // the Function URL request head arrived
  steady_time queue_deadline{};  // not handed to the runtime by then: Sandbox.Timedout
  steady_time deadline{};        // the function's deadline, once running
  std::int64_t deadline_epoch_ms = 0;
  steady_time handed_at{};           // the `next` response was written
  std::optional<double> handoff_ms;  // handed_at → complete result received

  phase state = phase::queued;
  http_result response;           // answered: everything; streaming: status and headers
  std::string error_type;         // of an /error result, a failure, or a stream's trailers
  std::string mode = "buffered";  // how the result came: buffered | response_stream

  // Streaming hand-over: the runtime side puts one piece, the client side takes it. At most one
  // piece waits, so memory per stream is bounded by the piece size.
  std::string piece;
  bool piece_ready = false;
  stream_end end = stream_end::open;
  std::string stream_error;  // why a stream failed (for the log)

  bool client_gone = false;  // the Function URL side stopped listening
  lambda::event_signal signal;

  // The complete response (a buffered result, /error, or a failure before any result). Ignored once
  // a response was given.
  void answer(http_result result, std::string_view error);
  // Fails the invocation whatever its phase: a response if none started, else the stream is cut.
  void fail(http_result result, std::string_view error);
  bool answered_or_streaming() const noexcept {
    return state == phase::answered || state == phase::streaming;
  }
};

}  // namespace tsproxy::local
