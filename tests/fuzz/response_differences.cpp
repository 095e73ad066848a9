#include "response_differences.hpp"

#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "tsproxy/engine/http_message.hpp"
#include "tsproxy/engine/http_syntax.hpp"

namespace tsproxy::fuzz {

namespace {

// What the heads in the bytes contain, read loosely (LF or CRLF line ends) so that every parser's
// reading of them is covered: each 1xx head and the final one.
struct head_features {
  bool bare_lf = false;             // a line of a head ends in LF alone
  bool obs_fold = false;            // a field line starts with SP or HTAB
  bool space_before_colon = false;  // "Name :"
  bool odd_start_line = false;      // not HTTP/1.0 or HTTP/1.1, SP, three digits, [SP reason]
  bool no_body_status = false;      // the final response is 204 or 304
  bool no_reason_space = false;     // "HTTP/1.1 200" without the SP before an empty reason
  bool status_refused = false;      // outside 100..599, or 101 Switching Protocols
  bool odd_bytes = false;           // a control byte or DEL in a head, or a field line that is no field
  bool transfer_encoding = false;
  bool chunked_in_list = false;      // a Transfer-Encoding value other than exactly "chunked"
  bool odd_connection = false;       // a Connection element that is not a token
  bool framing_name_prefix = false;  // a longer name that starts with a framing field's (Content-LengthX)
  bool http10 = false;               // the final response is HTTP/1.0
  int content_lengths = 0;           // Content-Length fields in the final head
  bool odd_content_length = false;   // a Content-Length value other than digits
  bool framing_htab = false;         // HTAB inside or after a Content-Length or Transfer-Encoding value
  bool length_list = false;          // Content-Length values that are lists or repeats of one number
  std::string_view length_value;     // that number (the first element seen)
  bool lengths_differ = false;       // elements that are not all one number
  bool many_fields = false;          // more than tsproxy's 128 fields in a head
  bool no_final_head = false;        // the bytes end before a final head does
  bool interim_odd_length = false;   // a 1xx head's Content-Length is no plain number, or is repeated
  bool interim_length = false;       // a 1xx head has a Content-Length other than 0
  int interim_lengths = 0;           // Content-Length fields in the 1xx head being read
  // The chunked body after a final head with Transfer-Encoding, read loosely the same way.
  bool chunk_bare_lf = false;    // a chunk line ends in LF alone
  bool chunk_long_size = false;  // a chunk size of more than 15 hex digits (leading zeros included)
  bool chunk_extension = false;  // anything after the size digits: an extension, whitespace, other bytes
  bool chunk_ctl = false;        // a control byte inside a chunk line
  bool chunk_data_end = false;   // a chunk's data is not followed by CRLF
  bool trailer_form = false;     // a trailer line ends in LF alone, is folded or is no plain field
  bool trailer_fields = false;   // the last chunk is followed by trailer fields
  bool trailer_framing =
      false;  // one of them is named like a framing field (Connection, Content-Length, ...)
};

bool is_ctl(unsigned char c) {
  return (c < 0x20 && c != '\t') || c == 0x7f;
}

void read_field_line(std::string_view line, head_features& f, int& fields, bool final_head) {
  ++fields;
  if (line.front() == ' ' || line.front() == '\t') {
    f.obs_fold = true;
    return;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) {
    f.odd_bytes = true;
    return;
  }
  auto name = line.substr(0, colon);
  if (!name.empty() && (name.back() == ' ' || name.back() == '\t')) f.space_before_colon = true;
  name = trim_ows(name);
  if (!is_token(name)) f.odd_bytes = true;
  const auto value = trim_ows(line.substr(colon + 1));
  if (iequals(name, "transfer-encoding") || iequals(name, "content-length")) {
    const auto raw = line.substr(colon + 1);
    const auto first = raw.find_first_not_of(" \t");
    if (first != std::string_view::npos && raw.find('\t', first) != std::string_view::npos)
      f.framing_htab = true;
  }
  if (iequals(name, "transfer-encoding")) {
    f.transfer_encoding = true;
    if (!iequals(value, "chunked")) f.chunked_in_list = true;
  }
  for (const std::string_view framing : {"transfer-encoding", "content-length", "connection"})
    if (name.size() > framing.size() && istarts_with(name, framing)) f.framing_name_prefix = true;
  if (iequals(name, "connection"))
    for_each_list_element(value,
                          [&](std::string_view e) { f.odd_connection = f.odd_connection || !is_token(e); });
  if (!final_head && iequals(name, "content-length")) {
    const bool digits = !value.empty() && value.size() <= 18 &&
                        value.find_first_not_of("0123456789") == std::string_view::npos;
    if (!digits || ++f.interim_lengths > 1) f.interim_odd_length = true;
    if (value.find_first_not_of('0') != std::string_view::npos) f.interim_length = true;
  }
  if (final_head && iequals(name, "content-length")) {
    ++f.content_lengths;
    if (value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos)
      f.odd_content_length = true;
    if (value.size() > 18) f.odd_content_length = true;  // beyond tsproxy's 2^62 bound or near it
    if (value.find(',') != std::string_view::npos || f.content_lengths > 1) f.length_list = true;
    for_each_list_element(value, [&](std::string_view element) {
      while (element.size() > 1 && element.front() == '0') element.remove_prefix(1);  // 04 is 4
      if (element.empty() || element.find_first_not_of("0123456789") != std::string_view::npos ||
          element.size() > 18 || (!f.length_value.empty() && element != f.length_value))
        f.lengths_differ = true;
      if (f.length_value.empty()) f.length_value = element;
    });
  }
}

// Reads one head from `bytes` (consumed); returns its status, or -1 when it does not end.
int read_head(std::string_view& bytes, head_features& f) {
  int status = -1;
  int fields = 0;
  bool first = true;
  std::vector<std::string_view> lines;
  for (;;) {
    const auto eol = bytes.find('\n');
    if (eol == std::string_view::npos) {
      if (bytes.find('\r') != std::string_view::npos) f.odd_bytes = true;  // a CR that ends no line
      return -1;
    }
    std::string_view line = bytes.substr(0, eol);
    bytes.remove_prefix(eol + 1);
    if (line.ends_with('\r'))
      line.remove_suffix(1);
    else
      f.bare_lf = true;
    for (const char c : line) f.odd_bytes = f.odd_bytes || is_ctl(static_cast<unsigned char>(c));
    if (first) {
      first = false;
      const bool shaped = line.size() >= 12 &&
                          (line.starts_with("HTTP/1.0 ") || line.starts_with("HTTP/1.1 ")) &&
                          std::string_view("0123456789").find(line[9]) != std::string_view::npos &&
                          std::string_view("0123456789").find(line[10]) != std::string_view::npos &&
                          std::string_view("0123456789").find(line[11]) != std::string_view::npos &&
                          (line.size() == 12 || line[12] == ' ');
      if (!shaped) {
        f.odd_start_line = true;
        status = 0;
      } else {
        status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        if (status < 100 || status > 599 || status == 101) f.status_refused = true;
        f.http10 = line[7] == '0';
        f.no_body_status = status == 204 || status == 304;
        if (line.size() == 12) f.no_reason_space = true;
      }
      continue;
    }
    if (line.empty()) break;
    lines.push_back(line);
  }
  const bool final_head = status < 100 || status >= 200;
  f.interim_lengths = 0;
  for (const auto line : lines) read_field_line(line, f, fields, final_head);
  if (fields > 128) f.many_fields = true;
  return status;
}

// One line up to LF; false when there is none. `bare` says it did not end in CRLF.
bool next_line(std::string_view& bytes, std::string_view& line, bool& bare) {
  const auto eol = bytes.find('\n');
  if (eol == std::string_view::npos) return false;
  line = bytes.substr(0, eol);
  bytes.remove_prefix(eol + 1);
  bare = !line.ends_with('\r');
  if (!bare) line.remove_suffix(1);
  return true;
}

void read_trailers(std::string_view bytes, head_features& f) {
  std::string_view line;
  bool bare = false;
  int count = 0;
  while (next_line(bytes, line, bare)) {
    if (bare) f.trailer_form = true;
    if (line.empty()) return;
    f.trailer_fields = true;
    head_features fields;
    read_field_line(line, fields, count, true);
    if (count > 128) f.many_fields = true;
    for (const char c : line) fields.odd_bytes = fields.odd_bytes || is_ctl(static_cast<unsigned char>(c));
    if (fields.obs_fold || fields.odd_bytes || fields.space_before_colon) f.trailer_form = true;
    if (fields.transfer_encoding || fields.content_lengths > 0 || fields.framing_name_prefix ||
        istarts_with(trim_ows(line), "connection"))
      f.trailer_framing = true;
  }
  if (bytes.find('\r') != std::string_view::npos) f.trailer_form = true;  // a CR that ends no line
}

void read_chunks(std::string_view bytes, head_features& f) {
  std::string_view line;
  bool bare = false;
  while (next_line(bytes, line, bare)) {
    if (bare) f.chunk_bare_lf = true;
    for (const char c : line) f.chunk_ctl = f.chunk_ctl || is_ctl(static_cast<unsigned char>(c));
    std::size_t digits = 0;
    std::uint64_t size = 0;
    while (digits < line.size() && std::isxdigit(static_cast<unsigned char>(line[digits]))) {
      const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(line[digits])));
      if (digits < 16) size = size * 16 + static_cast<std::uint64_t>(c <= '9' ? c - '0' : c - 'a' + 10);
      ++digits;
    }
    if (digits > 15) f.chunk_long_size = true;
    if (digits < line.size()) f.chunk_extension = true;
    if (digits == 0 || digits > 15) return;
    if (size == 0) {
      read_trailers(bytes, f);
      return;
    }
    if (size > bytes.size()) return;
    bytes.remove_prefix(static_cast<std::size_t>(size));
    if (!bytes.starts_with("\r\n")) {
      f.chunk_data_end = true;
      return;
    }
    bytes.remove_prefix(2);
  }
  if (bytes.find('\r') != std::string_view::npos) f.chunk_ctl = true;  // a CR that ends no line
}

head_features features_of(std::string_view bytes) {
  head_features f;
  for (;;) {  // every head, however many 1xx come first: each read consumes at least a line
    const int status = read_head(bytes, f);
    if (status < 0) {
      f.no_final_head = true;
      return f;
    }
    if (status < 100 || status >= 200 || status == 101) break;
  }
  if (f.transfer_encoding) read_chunks(bytes, f);
  return f;
}

}  // namespace

std::string_view explained_difference(std::string_view bytes, const framing_verdict& ours, oracle who,
                                      const framing_verdict& theirs) {
  const auto f = features_of(bytes);
  const std::string_view e = ours.error;
  if (who == oracle::http_parser) {
    // libhttp-parser 2.9 takes a field whose name merely starts with a framing field's name for that
    // field, and chunked only when it is the whole Transfer-Encoding value.
    if (f.framing_name_prefix) return "framing field names are whole names";
    if (f.chunked_in_list) return "Transfer-Encoding is a list";
    // It takes only SP, not HTAB, as whitespace after a Content-Length or Transfer-Encoding value.
    if (f.framing_htab) return "HTAB after a framing field's value is OWS";
    // It reads a body of a 1xx response's Content-Length, as of a 304's.
    if (f.interim_length) return "a 1xx response's Content-Length is not read";
  }
  if (!ours.complete) {
    // tsproxy refuses what the other parser read: a deliberate strictness.
    if (f.bare_lf || (f.odd_bytes && e == "HttpTruncated")) return "line ends are CRLF";
    if (f.obs_fold && e == "HttpObsoleteLineFolding") return "obs-fold is refused";
    if (f.odd_start_line && e == "HttpBadStatusLine") return "status line form";
    if (f.status_refused && e == "HttpBadStatusLine") return "status range and 101";
    if (f.odd_bytes && (e == "HttpBadHeader" || e == "HttpBadStatusLine")) return "field syntax";
    if (f.transfer_encoding && e == "HttpBadTransferEncoding") return "only chunked is understood";
    const bool odd_chunk_line = f.chunk_bare_lf || f.chunk_ctl;
    if ((odd_chunk_line || f.chunk_long_size || f.chunk_extension || f.chunk_data_end) && e == "HttpBadChunk")
      return "chunk line syntax";
    if (odd_chunk_line && e == "HttpTruncated") return "chunk line syntax";
    if (f.trailer_form && (e == "HttpBadHeader" || e == "HttpObsoleteLineFolding" || e == "HttpTruncated"))
      return "trailer syntax";
    if ((f.content_lengths > 1 || f.odd_content_length) && e == "HttpBadContentLength")
      return "Content-Length syntax";
    if (f.many_fields && e == "HttpTooManyHeaders") return "field count limit";
    return {};
  }
  if (!theirs.complete) {
    // tsproxy reads what the other parser refused.
    if (f.interim_odd_length) return "a 1xx response's Content-Length is not read";
    if (f.space_before_colon) return "space before colon is removed";
    if (f.odd_connection) return "Connection elements tsproxy does not know are ignored";
    if (f.no_reason_space) return "the SP before an empty reason may be missing";
    if (f.transfer_encoding && f.content_lengths > 0) return "Content-Length with chunked";
    if (f.length_list && !f.lengths_differ) return "a Content-Length list of one number";
    if (f.no_body_status) return "204 and 304 have no body";
    if (f.chunk_extension) return "chunk extensions are skipped";
    if (f.trailer_form) return "trailer syntax";
    if (f.trailer_fields) return "trailer fields are dropped, whatever their names";
    return {};
  }
  // Both read a response, differently.
  if (f.space_before_colon) return "space before colon is removed";
  if (f.no_body_status) return "204 and 304 have no body";
  if (f.transfer_encoding && f.content_lengths > 0 && !ours.keep_alive) return "Content-Length with chunked";
  if (f.trailer_framing) return "trailer fields are dropped, whatever their names";
  return {};
}

}  // namespace tsproxy::fuzz
