#include "stream_relay.hpp"

#include "adapter/base64.hpp"
#include "stream_prelude.hpp"
#include "tsproxy/engine/http_writer.hpp"

namespace tsproxy::local {

namespace {

using clock = std::chrono::steady_clock;

std::string_view media_type(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  return content_type;
}

void start_stream(invocation& inv, http_result head) {
  if (inv.state != invocation::phase::running) return;  // already failed or answered
  inv.response = std::move(head);
  inv.state = invocation::phase::streaming;
  inv.signal.notify_all();
}

bool accepting(const invocation& inv) {
  return inv.state == invocation::phase::streaming && !inv.client_gone &&
         inv.end == invocation::stream_end::open;
}

// Waits until the previous piece was taken, then offers this one (dropped when nobody listens).
asio::awaitable<void> hand_over(invocation& inv, std::string_view piece, clock::time_point give_up) {
  while (accepting(inv) && inv.piece_ready) {
    if (clock::now() >= give_up) {
      inv.client_gone = true;
      co_return;
    }
    co_await inv.signal.wait_until(give_up);
  }
  if (!accepting(inv)) co_return;
  inv.piece.assign(piece);
  inv.piece_ready = true;
  inv.signal.notify_all();
}

void end_stream(invocation& inv, invocation::stream_end end, std::string_view error_type,
                std::string_view detail) {
  if (inv.state == invocation::phase::running) {
    // Nothing was streamed (no separator, or a broken POST before it): answer as an error.
    inv.answer(make_error_result(
                   502, error_type,
                   R"({"errorMessage":"invalid streamed response","errorType":"Runtime.InvalidResponse"})"),
               error_type);
    return;
  }
  if (inv.end != invocation::stream_end::open) return;
  inv.end = end;
  if (end == invocation::stream_end::failed) {
    inv.error_type.assign(error_type);
    inv.stream_error.assign(detail);
  }
  inv.signal.notify_all();
}

}  // namespace

asio::awaitable<std::error_code> receive_streamed_result(server_connection& runtime, invocation& inv,
                                                         const stream_limits& limits) {
  inv.mode = "response_stream";
  const auto give_up = inv.deadline + limits.grace;
  const auto content_type = find_header(runtime.head().headers, "Content-Type");
  const bool has_prelude = iequals(media_type(content_type), http_integration_content_type);
  stream_prelude_splitter splitter(limits.max_prelude_bytes);
  if (!has_prelude) {
    http_result head;
    head.headers.push_back({"Content-Type", content_type.empty() ? std::string("application/octet-stream")
                                                                 : std::string(content_type)});
    start_stream(inv, std::move(head));
  }
  std::uint64_t body_bytes = 0;
  bool prelude_failed = false;
  for (;;) {
    std::string_view piece;
    bool done = false;
    if (const auto ec = co_await runtime.read_body_piece(piece, done, give_up)) {
      end_stream(inv, invocation::stream_end::failed, "Runtime.TruncatedResponse", ec.message());
      co_return ec;
    }
    if (done) break;
    if (has_prelude && !splitter.complete()) {
      std::string_view body_start;
      const auto status = splitter.feed(piece, body_start);
      if (status == stream_prelude_splitter::status::need_more || prelude_failed) continue;
      if (status == stream_prelude_splitter::status::too_large) {
        prelude_failed = true;
        end_stream(inv, invocation::stream_end::failed, "Runtime.InvalidResponse", "prelude too large");
        continue;
      }
      http_result head;
      std::string error;
      if (!decode_stream_prelude(splitter.prelude(), head, error)) {
        prelude_failed = true;
        end_stream(inv, invocation::stream_end::failed, "Runtime.InvalidResponse", error);
        continue;
      }
      start_stream(inv, std::move(head));
      piece = body_start;
    }
    if (piece.empty()) continue;
    body_bytes += piece.size();
    if (body_bytes > limits.max_body_bytes) {
      end_stream(inv, invocation::stream_end::failed, "Function.ResponseSizeTooLarge",
                 "streamed response over the limit");
      continue;
    }
    co_await hand_over(inv, piece, give_up);
  }
  inv.handoff_ms = std::chrono::duration<double, std::milli>(clock::now() - inv.handed_at).count();
  if (has_prelude && !splitter.complete() && !prelude_failed) {
    // The body ended without a separator: all of it was the prelude, the body is empty.
    http_result head;
    std::string error;
    if (decode_stream_prelude(splitter.prelude(), head, error)) start_stream(inv, std::move(head));
  }
  const auto& trailers = runtime.parser().trailers();
  const auto error_type = find_header(trailers, "Lambda-Runtime-Function-Error-Type");
  if (!error_type.empty()) {
    std::string detail;
    if (!lambda::base64_decode(find_header(trailers, "Lambda-Runtime-Function-Error-Body"), detail)) {
      detail.assign(find_header(trailers, "Lambda-Runtime-Function-Error-Body"));
    }
    end_stream(inv, invocation::stream_end::failed, error_type, detail);
  } else {
    end_stream(inv, invocation::stream_end::complete, {}, {});
  }
  co_return std::error_code{};
}

asio::awaitable<stream_outcome> send_streamed_response(server_connection& client, invocation& inv,
                                                       std::vector<header_view> extra_headers,
                                                       bool keep_alive, bool head_request) {
  const int status = inv.response.status;
  const bool no_body = head_request || status == 204 || status == 304;
  std::vector<header_view> headers;
  for (const auto& h : inv.response.headers) headers.push_back({h.name, h.value});
  headers.insert(headers.end(), extra_headers.begin(), extra_headers.end());
  if (!no_body) {
    headers.push_back({"Transfer-Encoding", "chunked"});
  } else if (head_request && !inv.response.declared_length.empty()) {
    headers.push_back({"Content-Length", inv.response.declared_length});
  }
  if (!keep_alive) headers.push_back({"Connection", "close"});
  std::string head;
  append_response_head(head, inv.response.status, {}, headers);
  const auto stop_listening = [&] {
    inv.client_gone = true;
    inv.signal.notify_all();
  };
  if (co_await client.write(head, inv.deadline)) {
    stop_listening();
    co_return stream_outcome::client_failed;
  }
  std::string piece;  // swapped with inv.piece: two buffers serve the whole stream
  std::string chunk_head;
  for (;;) {
    if (inv.piece_ready) {
      std::swap(piece, inv.piece);
      inv.piece_ready = false;
      inv.signal.notify_all();  // the runtime side may read the next piece meanwhile
      if (no_body) continue;
      chunk_head.clear();
      append_chunk_header(chunk_head, piece.size());
      const std::vector<asio::const_buffer> buffers{asio::buffer(chunk_head), asio::buffer(piece),
                                                    asio::buffer("\r\n", 2)};
      if (const auto ec = co_await client.write(buffers, inv.deadline)) {
        stop_listening();
        co_return clock::now() >= inv.deadline ? stream_outcome::timed_out : stream_outcome::client_failed;
      }
      continue;
    }
    if (inv.end == invocation::stream_end::complete) {
      if (!no_body && co_await client.write(last_chunk, inv.deadline)) {
        stop_listening();
        co_return stream_outcome::client_failed;
      }
      co_return stream_outcome::complete;
    }
    if (inv.end == invocation::stream_end::failed) {
      stop_listening();
      co_return stream_outcome::function_error;
    }
    if (clock::now() >= inv.deadline) {
      stop_listening();
      co_return stream_outcome::timed_out;
    }
    co_await inv.signal.wait_until(inv.deadline);
  }
}

}  // namespace tsproxy::local
