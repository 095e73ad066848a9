#include "tsproxy/engine/http_parser.hpp"

#include <algorithm>
#include <charconv>

#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_syntax.hpp"

namespace tsproxy {

namespace {

constexpr std::string_view crlf = "\r\n";

// Field values may hold HTAB, SP, visible ASCII and obs-text; any other control byte is refused.
bool is_field_value(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7f);
  });
}

bool parse_version(std::string_view v, int& minor) noexcept {
  if (v.size() != 8 || v.substr(0, 7) != "HTTP/1.") return false;
  if (v[7] != '0' && v[7] != '1') return false;
  minor = v[7] - '0';
  return true;
}

}  // namespace

void http_parser::reset() noexcept {
  state_ = state::head;
  framing_ = framing::none;
  no_body_expected_ = false;
  keep_alive_ = false;
  started_ = false;
  interim_responses_ = 0;
  scan_from_ = 0;
  content_length_ = 0;
  remaining_ = 0;
  response_ = {};
  request_ = {};
  trailers_.clear();
}

http_parser::step http_parser::parse(std::string_view input, std::error_code& ec) {
  ec.clear();
  std::size_t skipped = 0;  // framing bytes consumed before the event we return
  for (;;) {
    const std::string_view rest = input.substr(skipped);
    switch (state_) {
      case state::head: {
        step s = parse_head(rest, ec);
        s.consumed += skipped;
        return s;
      }
      case state::body_length:
      case state::chunk_data: {
        if (rest.empty()) return {skipped, event::need_more, {}};
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
        remaining_ -= n;
        if (remaining_ == 0) state_ = state_ == state::body_length ? state::complete : state::chunk_data_end;
        return {skipped + n, event::body, rest.substr(0, n)};
      }
      case state::until_close:
        if (rest.empty()) return {skipped, event::need_more, {}};
        return {skipped + rest.size(), event::body, rest};
      case state::chunk_data_end:
        if (rest.size() < 2) return {skipped, event::need_more, {}};
        if (rest.substr(0, 2) != crlf) {
          ec = engine_error::http_bad_chunk;
          return {skipped, event::need_more, {}};
        }
        skipped += 2;
        state_ = state::chunk_size;
        break;
      case state::chunk_size: {
        const step s = parse_chunk_size(rest, ec);
        if (ec || s.consumed == 0) return {skipped, event::need_more, {}};
        skipped += s.consumed;
        break;
      }
      case state::trailers: {
        step s = parse_trailers(rest, ec);
        s.consumed += skipped;
        return s;
      }
      case state::complete:
        return {skipped, event::done, {}};
    }
  }
}

http_parser::step http_parser::parse_head(std::string_view input, std::error_code& ec) {
  std::size_t consumed = 0;
  for (;;) {
    std::string_view rest = input.substr(consumed);
    // RFC 9112 §2.2: a server ignores empty lines before the request-line.
    if (kind_ == kind::request && !started_) {
      while (rest.substr(0, 2) == crlf) {
        rest.remove_prefix(2);
        consumed += 2;
      }
      if (rest == "\r") return {consumed, event::need_more, {}};  // maybe the start of another empty line
    }
    if (!rest.empty()) started_ = true;
    const auto end = rest.find("\r\n\r\n", scan_from_);
    if (end == std::string_view::npos) {
      if (rest.size() > limits_.max_head_bytes) ec = engine_error::http_header_too_large;
      scan_from_ = rest.size() >= 3 ? rest.size() - 3 : 0;
      return {consumed, event::need_more, {}};
    }
    if (end + 4 > limits_.max_head_bytes) {
      ec = engine_error::http_header_too_large;
      return {consumed, event::need_more, {}};
    }
    scan_from_ = 0;
    const std::string_view head = rest.substr(0, end + 2);  // every line keeps its CRLF
    const auto line_end = head.find(crlf);
    if ((ec = parse_start_line(head.substr(0, line_end)))) return {consumed, event::need_more, {}};
    auto& fields = kind_ == kind::response ? response_.headers : request_.headers;
    if ((ec = parse_header_fields(head.substr(line_end + 2), fields)))
      return {consumed, event::need_more, {}};
    consumed += end + 4;

    // Interim 1xx responses precede the final one: skip them (101 is refused; we never ask to upgrade).
    if (kind_ == kind::response && response_.status >= 100 && response_.status < 200) {
      if (response_.status == 101) {
        ec = engine_error::http_bad_status_line;
        return {consumed, event::need_more, {}};
      }
      response_ = {};
      ++interim_responses_;
      continue;
    }
    if ((ec = decide_framing())) return {consumed, event::need_more, {}};
    return {consumed, event::head, {}};
  }
}

std::error_code http_parser::parse_start_line(std::string_view line) {
  if (kind_ == kind::response) {
    // HTTP-version SP 3DIGIT SP [reason]; a missing final SP is tolerated.
    if (line.size() < 12 || line[8] != ' ' || !parse_version(line.substr(0, 8), response_.version_minor)) {
      return engine_error::http_bad_status_line;
    }
    const auto code = line.substr(9, 3);
    if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return engine_error::http_bad_status_line;
    }
    response_.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    if (response_.status < 100 || response_.status > 599) return engine_error::http_bad_status_line;
    if (line.size() > 12) {
      if (line[12] != ' ' || !is_field_value(line.substr(13))) return engine_error::http_bad_status_line;
      response_.reason.assign(line.substr(13));
    }
    return {};
  }
  // method SP request-target SP HTTP-version
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return engine_error::http_bad_status_line;
  const auto method = line.substr(0, sp1);
  const auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  if (!is_token(method) || target.empty() || !parse_version(line.substr(sp2 + 1), request_.version_minor)) {
    return engine_error::http_bad_status_line;
  }
  const bool target_ok = std::all_of(target.begin(), target.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c > 0x20 && c != 0x7f;
  });
  if (!target_ok) return engine_error::http_bad_status_line;
  request_.method.assign(method);
  request_.target.assign(target);
  return {};
}

std::error_code http_parser::parse_header_fields(std::string_view block,
                                                 std::vector<header_field>& out) const {
  while (!block.empty()) {
    const auto eol = block.find(crlf);
    const auto line = block.substr(0, eol);
    block.remove_prefix(eol + 2);
    if (line.front() == ' ' || line.front() == '\t') return engine_error::http_obs_fold;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return engine_error::http_bad_header;
    auto name = line.substr(0, colon);
    // RFC 9112 section 5.1: a server must reject whitespace between a field name and the colon; a proxy
    // must remove it from a response before forwarding it.
    if (kind_ == kind::response) {
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    }
    if (!is_token(name)) return engine_error::http_bad_header;
    const auto value = trim_ows(line.substr(colon + 1));
    if (!is_field_value(value)) return engine_error::http_bad_header;
    if (out.size() >= limits_.max_header_count) return engine_error::http_too_many_headers;
    out.push_back({std::string(name), std::string(value)});
  }
  return {};
}

std::error_code http_parser::decide_framing() {
  const bool is_response = kind_ == kind::response;
  const int minor = is_response ? response_.version_minor : request_.version_minor;
  const auto& fields = is_response ? response_.headers : request_.headers;

  bool saw_close = false;
  bool saw_keep_alive = false;
  bool has_transfer_encoding = false;
  bool chunked_last = false;
  bool unsupported_coding = false;
  bool has_content_length = false;
  bool bad_length = false;
  for (const auto& f : fields) {
    if (iequals(f.name, "connection")) {
      for_each_list_element(f.value, [&](std::string_view token) {
        if (iequals(token, "close"))
          saw_close = true;
        else if (iequals(token, "keep-alive"))
          saw_keep_alive = true;
      });
    } else if (iequals(f.name, "transfer-encoding")) {
      has_transfer_encoding = true;
      for_each_list_element(f.value, [&](std::string_view coding) {
        if (chunked_last) unsupported_coding = true;  // chunked must be the final coding, applied once
        if (iequals(coding, "chunked"))
          chunked_last = true;
        else
          unsupported_coding = true;  // the coding cannot be passed on once framing headers are dropped
      });
    } else if (iequals(f.name, "content-length")) {
      bool any_element = false;
      for_each_list_element(f.value, [&](std::string_view digits) {
        any_element = true;
        std::uint64_t value = 0;
        const auto [ptr, err] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (err != std::errc() || ptr != digits.data() + digits.size() || value > (std::uint64_t{1} << 62) ||
            (has_content_length && value != content_length_)) {
          bad_length = true;
        }
        has_content_length = true;
        content_length_ = value;
      });
      if (!any_element) bad_length = true;
    }
  }
  // RFC 9112 §9.3: "close" always wins; HTTP/1.0 persists only when asked to.
  keep_alive_ = !saw_close && (minor >= 1 || saw_keep_alive);

  // RFC 9112 §6.3, in order.
  if (is_response && (no_body_expected_ || response_.status == 204 || response_.status == 304)) {
    response_.body_length = 0;
    framing_ = framing::none;
    state_ = state::complete;
    return {};
  }
  if (has_transfer_encoding) {
    if (unsupported_coding || !chunked_last || minor == 0) return engine_error::http_bad_transfer_encoding;
    if (has_content_length) {
      // Smuggling-shaped: a request is refused; a response is read by its chunks and the connection retired.
      if (!is_response) return engine_error::http_bad_transfer_encoding;
      keep_alive_ = false;
    }
    framing_ = framing::chunked;
    content_length_ = 0;
    state_ = state::chunk_size;
    return {};
  }
  if (bad_length) return engine_error::http_bad_content_length;
  if (has_content_length) {
    if (is_response) response_.body_length = content_length_;
    framing_ = framing::content_length;
    remaining_ = content_length_;
    state_ = content_length_ == 0 ? state::complete : state::body_length;
    return {};
  }
  if (is_response) {
    framing_ = framing::until_close;
    keep_alive_ = false;
    state_ = state::until_close;
  } else {
    framing_ = framing::none;
    state_ = state::complete;
  }
  return {};
}

http_parser::step http_parser::parse_chunk_size(std::string_view input, std::error_code& ec) {
  const auto eol = input.find(crlf);
  if (eol == std::string_view::npos) {
    // A final CR may be the start of the line's CRLF, which the limit does not count.
    if (input.size() - (input.ends_with('\r') ? 1 : 0) > limits_.max_chunk_line_bytes)
      ec = engine_error::http_bad_chunk;
    return {};
  }
  if (eol > limits_.max_chunk_line_bytes) {
    ec = engine_error::http_bad_chunk;
    return {};
  }
  const auto line = input.substr(0, eol);
  std::uint64_t size = 0;
  const auto [ptr, err] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
  const auto digits = static_cast<std::size_t>(ptr - line.data());
  if (err != std::errc() || digits == 0 || digits > 15) {
    ec = engine_error::http_bad_chunk;
    return {};
  }
  // chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ): only its shape is checked; extensions are
  // ignored.
  const auto extension = trim_ows(line.substr(digits));
  if ((!extension.empty() && extension.front() != ';') || !is_field_value(extension)) {
    ec = engine_error::http_bad_chunk;
    return {};
  }
  remaining_ = size;
  state_ = size == 0 ? state::trailers : state::chunk_data;
  return {eol + 2, event::need_more, {}};
}

http_parser::step http_parser::parse_trailers(std::string_view input, std::error_code& ec) {
  if (input.substr(0, 2) == crlf) {
    state_ = state::complete;
    return {2, event::done, {}};
  }
  const auto end = input.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (input.size() > limits_.max_head_bytes) ec = engine_error::http_header_too_large;
    return {};
  }
  if (end + 4 > limits_.max_head_bytes) {
    ec = engine_error::http_header_too_large;
    return {};
  }
  if ((ec = parse_header_fields(input.substr(0, end + 2), trailers_))) return {};
  state_ = state::complete;
  return {end + 4, event::done, {}};
}

std::error_code http_parser::finish_eof() noexcept {
  switch (state_) {
    case state::until_close:
      state_ = state::complete;
      return {};
    case state::complete:
      return {};
    case state::head:
      return started_ ? engine_error::http_truncated : engine_error::connection_closed;
    default:
      return engine_error::http_truncated;
  }
}

}  // namespace tsproxy
