#pragma once
// A test driver for http_parser that behaves like a real connection loop: it holds the bytes the
// parser has not consumed, appends each newly "read" piece, and parses until the parser needs more.
//
// `parse_every_split` feeds one byte vector whole, split in two at every byte boundary, and one byte
// at a time, and fails the test unless every feeding gives the same outcome (Beast's habit: a parser
// must not care where the network cut the stream).

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "support/printable.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_parser.hpp"

namespace tsproxy::testing {

using field_list = std::vector<std::pair<std::string, std::string>>;

inline field_list to_fields(const std::vector<header_field>& headers) {
  field_list out;
  for (const auto& h : headers) out.emplace_back(h.name, h.value);
  return out;
}

// Everything the parser reported about one message.
struct message_outcome {
  int head_events = 0;
  int version_minor = -1;
  int status = 0;      // response kind
  std::string reason;  // response kind
  std::string method;  // request kind
  std::string target;  // request kind
  field_list headers;
  http_parser::framing framing = http_parser::framing::none;
  bool keep_alive = false;
  std::uint64_t content_length = 0;
  std::string body;  // every body piece, concatenated
  field_list trailers;
  bool done = false;

  bool operator==(const message_outcome&) const = default;
};

// Everything that happened on one stream of bytes.
struct stream_outcome {
  std::vector<message_outcome> messages;  // complete messages, then the one in progress (if it began)
  std::error_code error;                  // the first error, from parse() or finish_eof()
  bool error_at_eof = false;              // the error came from finish_eof()
  std::string leftover;                   // bytes never consumed (only kept when there is no error)

  bool operator==(const stream_outcome&) const = default;

  // The first message; an empty placeholder (that fails comparisons) when none began.
  const message_outcome& first() const {
    static const message_outcome none;
    return messages.empty() ? none : messages.front();
  }
};

inline const char* framing_name(http_parser::framing f) {
  switch (f) {
    case http_parser::framing::none:
      return "none";
    case http_parser::framing::content_length:
      return "content_length";
    case http_parser::framing::chunked:
      return "chunked";
    case http_parser::framing::until_close:
      return "until_close";
  }
  return "?";
}

inline void PrintTo(const message_outcome& m, std::ostream* os) {
  *os << "{heads=" << m.head_events << " v=1." << m.version_minor;
  if (!m.method.empty())
    *os << " " << m.method << " " << m.target;
  else
    *os << " status=" << m.status << " reason='" << m.reason << "'";
  *os << " headers=[";
  for (const auto& [n, v] : m.headers) *os << n << ": " << printable(v) << "; ";
  *os << "] framing=" << framing_name(m.framing) << " keep_alive=" << m.keep_alive
      << " content_length=" << m.content_length << " body(" << m.body.size() << ")='" << printable(m.body)
      << "' trailers=[";
  for (const auto& [n, v] : m.trailers) *os << n << ": " << printable(v) << "; ";
  *os << "] done=" << m.done << "}";
}

inline void PrintTo(const stream_outcome& s, std::ostream* os) {
  *os << "{messages=[";
  for (const auto& m : s.messages) PrintTo(m, os);
  *os << "] error=" << (s.error ? error_name(s.error) : std::string_view("none"))
      << (s.error_at_eof ? " (at eof)" : "") << " leftover='" << printable(s.leftover) << "'}";
}

inline std::string describe(const stream_outcome& s) {
  std::ostringstream os;
  PrintTo(s, &os);
  return os.str();
}

struct driver_options {
  http_limits limits{};
  bool expect_no_body = false;  // the request was HEAD (applied to every message)
  bool send_eof = true;         // after the last piece the peer closes the connection
  std::size_t messages = 1;     // messages to read before leaving the rest unconsumed (reset() between)
};

// Feeds `pieces` in order, as successive reads from one connection.
inline stream_outcome drive(http_parser::kind kind, const driver_options& options,
                            const std::vector<std::string_view>& pieces) {
  http_parser parser(kind, options.limits);
  parser.expect_no_body(options.expect_no_body);
  stream_outcome out;
  message_outcome current;
  std::string held;
  std::size_t next_piece = 0;
  std::size_t steps = 0;

  const auto rest_of_input = [&] {
    std::string rest = held;
    for (std::size_t i = next_piece; i < pieces.size(); ++i) rest.append(pieces[i]);
    return rest;
  };
  const auto fail = [&](std::error_code ec, bool at_eof) {
    if (current.head_events > 0 || !current.body.empty()) out.messages.push_back(current);
    out.error = ec;
    out.error_at_eof = at_eof;
    return out;
  };

  for (;;) {
    // Parse what is held until the parser asks for more.
    for (;;) {
      if (++steps > 1'000'000) {
        ADD_FAILURE() << "parser made no progress";
        return out;
      }
      std::error_code ec;
      const http_parser::step s = parser.parse(held, ec);
      EXPECT_LE(s.consumed, held.size()) << "consumed more than it was given";
      if (ec) return fail(ec, false);
      if (s.what == http_parser::event::body) {
        // The body is a view into the input, inside the consumed bytes, and never empty.
        EXPECT_FALSE(s.body.empty());
        EXPECT_GE(s.body.data(), held.data());
        EXPECT_LE(s.body.data() + s.body.size(), held.data() + s.consumed);
        current.body.append(s.body);
      }
      if (s.what == http_parser::event::head) {
        EXPECT_GT(s.consumed, 0u) << "a head event consumes the head";
        ++current.head_events;
        const bool is_response = kind == http_parser::kind::response;
        current.version_minor =
            is_response ? parser.response().version_minor : parser.request().version_minor;
        current.status = is_response ? parser.response().status : 0;
        current.reason = is_response ? parser.response().reason : "";
        current.method = is_response ? "" : parser.request().method;
        current.target = is_response ? "" : parser.request().target;
        current.headers = to_fields(is_response ? parser.response().headers : parser.request().headers);
        current.framing = parser.body_framing();
        current.keep_alive = parser.keep_alive();
        current.content_length = parser.content_length();
      }
      held.erase(0, s.consumed);
      if (s.what == http_parser::event::done) {
        EXPECT_TRUE(parser.complete());
        current.done = true;
        current.trailers = to_fields(parser.trailers());
        // keep_alive may only be decided after the head; it must not change by the end.
        EXPECT_EQ(current.keep_alive, parser.keep_alive());
        out.messages.push_back(std::move(current));
        current = {};
        if (out.messages.size() == options.messages) {
          out.leftover = rest_of_input();
          return out;
        }
        parser.reset();
        parser.expect_no_body(options.expect_no_body);
        continue;
      }
      if (s.what == http_parser::event::need_more) break;
    }
    if (next_piece < pieces.size()) {
      held.append(pieces[next_piece++]);
      continue;
    }
    if (!options.send_eof) {
      if (current.head_events > 0 || !current.body.empty()) out.messages.push_back(current);
      out.leftover = held;
      return out;
    }
    if (const std::error_code ec = parser.finish_eof()) return fail(ec, true);
    // EOF completed the message (a close-delimited body): the parser now reports done.
    std::error_code ec;
    const http_parser::step s = parser.parse(held, ec);
    EXPECT_FALSE(ec);
    EXPECT_EQ(s.what, http_parser::event::done) << "finish_eof() succeeded but the message is not done";
    EXPECT_TRUE(parser.complete());
    current.done = s.what == http_parser::event::done;
    current.trailers = to_fields(parser.trailers());
    out.messages.push_back(std::move(current));
    out.leftover = held;
    return out;
  }
}

// Feeds `bytes` whole, in two parts at every boundary, and one byte at a time; every feeding must
// produce the outcome of the whole feeding, which is returned for the caller's own checks.
inline stream_outcome parse_every_split(http_parser::kind kind, std::string_view bytes,
                                        const driver_options& options = {}) {
  const stream_outcome whole = drive(kind, options, {bytes});
  std::vector<std::string> mismatches;
  std::size_t mismatch_count = 0;
  const auto compare = [&](const stream_outcome& got, const std::string& how) {
    if (got == whole) return;
    if (++mismatch_count <= 3) mismatches.push_back(how + ": " + describe(got));
  };
  for (std::size_t cut = 1; cut < bytes.size(); ++cut) {
    compare(drive(kind, options, {bytes.substr(0, cut), bytes.substr(cut)}),
            "split at " + std::to_string(cut) + " after '" +
                printable(bytes.substr(cut > 24 ? cut - 24 : 0, cut > 24 ? 24 : cut)) + "'");
  }
  std::vector<std::string_view> bytewise;
  for (std::size_t i = 0; i < bytes.size(); ++i) bytewise.push_back(bytes.substr(i, 1));
  compare(drive(kind, options, bytewise), "one byte at a time");
  if (mismatch_count > 0) {
    std::string report;
    for (const auto& m : mismatches) report += "\n  " + m;
    ADD_FAILURE() << mismatch_count << " feeding(s) of '" << printable(bytes, 200)
                  << "' disagree with the whole feeding\n  whole: " << describe(whole) << report;
  }
  return whole;
}

inline stream_outcome parse_response(std::string_view bytes, const driver_options& options = {}) {
  return parse_every_split(http_parser::kind::response, bytes, options);
}

inline stream_outcome parse_request(std::string_view bytes, const driver_options& options = {}) {
  return parse_every_split(http_parser::kind::request, bytes, options);
}

inline std::error_code code(engine_error e) {
  return make_error_code(e);
}

}  // namespace tsproxy::testing
