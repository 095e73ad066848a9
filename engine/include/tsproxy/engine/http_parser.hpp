#pragma once
// HTTP/1.1 message parser (RFC 9112) as a pure state machine: it never touches a socket.
//
// The driver passes the bytes it holds; `parse` consumes what it can and reports one event.
// Bytes it did not consume (a partial head or chunk-size line) must be passed again, followed
// by newly read bytes. Body bytes are returned as views into the input, never copied.

#include <cstdint>
#include <string_view>
#include <system_error>
#include <vector>

#include "tsproxy/engine/http_message.hpp"

namespace tsproxy {

struct http_limits {
  std::size_t max_head_bytes = 64 * 1024;  // start line plus header section (also bounds the trailer section)
  std::size_t max_header_count = 128;
  std::size_t max_chunk_line_bytes = 4096;  // chunk size plus extensions
};

class http_parser {
 public:
  enum class kind { request, response };
  enum class event {
    need_more,  // pass the unconsumed bytes again with more appended
    head,       // head() / request() is complete
    body,       // `body` holds the next piece of the (de-chunked) body
    done,       // the message is complete; trailers() holds any trailer fields
  };
  enum class framing { none, content_length, chunked, until_close };

  struct step {
    std::size_t consumed = 0;
    event what = event::need_more;
    std::string_view body;
  };

  http_parser(kind k, http_limits limits) : kind_(k), limits_(limits) {}

  // For a response: the request was HEAD, so the response has no body whatever its headers say.
  void expect_no_body(bool no_body) noexcept { no_body_expected_ = no_body; }

  step parse(std::string_view input, std::error_code& ec);

  // The peer closed the connection: completes a close-delimited body, otherwise reports
  // connection_closed (nothing received yet) or http_truncated (mid-message).
  std::error_code finish_eof() noexcept;

  // Prepares for the next message on the same connection.
  void reset() noexcept;

  const response_head& response() const noexcept { return response_; }
  const request_head& request() const noexcept { return request_; }
  const std::vector<header_field>& trailers() const noexcept { return trailers_; }
  framing body_framing() const noexcept { return framing_; }
  std::uint64_t content_length() const noexcept { return content_length_; }
  bool started() const noexcept { return started_; }
  // Interim (1xx) responses skipped since the last reset (a 100 Continue answers `Expect: 100-continue`).
  std::uint32_t interim_responses() const noexcept { return interim_responses_; }
  bool complete() const noexcept { return state_ == state::complete; }
  // Whether the connection may carry another message after this one (valid after `head`).
  bool keep_alive() const noexcept { return keep_alive_; }

 private:
  enum class state {
    head,
    body_length,
    chunk_size,
    chunk_data,
    chunk_data_end,
    trailers,
    until_close,
    complete
  };

  step parse_head(std::string_view input, std::error_code& ec);
  std::error_code parse_start_line(std::string_view line);
  std::error_code parse_header_fields(std::string_view block, std::vector<header_field>& out) const;
  std::error_code decide_framing();
  step parse_chunk_size(std::string_view input, std::error_code& ec);
  step parse_trailers(std::string_view input, std::error_code& ec);

  kind kind_;
  http_limits limits_;
  state state_ = state::head;
  framing framing_ = framing::none;
  bool no_body_expected_ = false;
  bool keep_alive_ = false;
  bool started_ = false;
  std::uint32_t interim_responses_ = 0;
  std::size_t scan_from_ = 0;  // where to resume searching for the end of the head
  std::uint64_t content_length_ = 0;
  std::uint64_t remaining_ = 0;  // body or chunk bytes still expected
  response_head response_;
  request_head request_;
  std::vector<header_field> trailers_;
};

}  // namespace tsproxy
