// The Boost.Beast oracle. Beast reads each 1xx response as a message of its own, so a fresh parser
// continues after every interim response; the end of the bytes is put_eof.
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/dynamic_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <optional>

#include "framing_verdict.hpp"

namespace tsproxy::fuzz {

namespace http = boost::beast::http;

framing_verdict beast_verdict(std::string_view bytes) {
  framing_verdict out;
  for (;;) {
    std::optional<http::response_parser<http::dynamic_body>> parser(std::in_place);
    parser->eager(true);
    parser->header_limit(64 * 1024);  // tsproxy's max_head_bytes
    parser->body_limit(boost::none);  // dynamic_body grows with the bytes, whatever length is declared
    boost::beast::error_code ec;
    while (!parser->is_done() && !bytes.empty()) {
      const auto used = parser->put(boost::asio::const_buffer(bytes.data(), bytes.size()), ec);
      bytes.remove_prefix(used);
      if (ec == http::error::need_more) {
        ec = {};
        if (used == 0) break;
        continue;
      }
      if (ec) break;
    }
    if (!ec && !parser->is_done()) {
      if (!parser->got_some()) {  // the stream ended before this message began
        out.error = "no response";
        return out;
      }
      parser->put_eof(ec);
    }
    if (ec) {
      out.error = ec.message();
      return out;
    }
    const auto& message = parser->get();
    const int status = static_cast<int>(message.result_int());
    if (status >= 100 && status < 200 && status != 101) continue;
    if (status == 101) {
      out.error = "upgrade";
      return out;
    }
    out.complete = true;
    out.status = status;
    out.body = boost::beast::buffers_to_string(message.body().data());
    out.keep_alive = parser->keep_alive();
    return out;
  }
}

}  // namespace tsproxy::fuzz
