// The libhttp-parser 2.9 oracle. Its callbacks collect the body; the first final response pauses the
// parser, and the end of the bytes is signalled the library's way (a zero-length execute).
#include <http_parser.h>

#include "framing_verdict.hpp"

namespace tsproxy::fuzz {

namespace {

struct collected {
  framing_verdict verdict;
  bool interim = false;  // the message being read is a 1xx response
};

collected& state_of(::http_parser* p) {
  return *static_cast<collected*>(p->data);
}

int on_headers_complete(::http_parser* p) {
  auto& s = state_of(p);
  s.interim = p->status_code >= 100 && p->status_code < 200;
  s.verdict.status = static_cast<int>(p->status_code);
  return 0;
}

int on_body(::http_parser* p, const char* at, std::size_t length) {
  state_of(p).verdict.body.append(at, length);
  return 0;
}

int on_message_complete(::http_parser* p) {
  auto& s = state_of(p);
  if (s.interim && p->status_code != 101) {  // an interim response: the final one follows
    s.verdict.body.clear();
    return 0;
  }
  s.verdict.complete = true;
  s.verdict.keep_alive = http_should_keep_alive(p) != 0;
  http_parser_pause(p, 1);
  return 0;
}

}  // namespace

framing_verdict http_parser_verdict(std::string_view bytes) {
  ::http_parser_settings settings{};
  settings.on_headers_complete = on_headers_complete;
  settings.on_body = on_body;
  settings.on_message_complete = on_message_complete;
  ::http_parser parser{};
  http_parser_init(&parser, HTTP_RESPONSE);
  collected state;
  parser.data = &state;

  http_parser_execute(&parser, &settings, bytes.data(), bytes.size());
  if (!state.verdict.complete && HTTP_PARSER_ERRNO(&parser) == HPE_OK && !parser.upgrade) {
    http_parser_execute(&parser, &settings, nullptr, 0);  // end of stream
  }
  const auto err = HTTP_PARSER_ERRNO(&parser);
  if (state.verdict.complete && parser.upgrade) {
    state.verdict.complete = false;
    state.verdict.error = "upgrade";
  } else if (err != HPE_OK && err != HPE_PAUSED) {
    state.verdict.complete = false;
    state.verdict.error = http_errno_name(err);
  } else if (!state.verdict.complete) {
    state.verdict.error = "truncated";
  }
  if (!state.verdict.complete) state.verdict = framing_verdict{false, 0, {}, false, state.verdict.error};
  return state.verdict;
}

}  // namespace tsproxy::fuzz
