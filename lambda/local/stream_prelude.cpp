#include "stream_prelude.hpp"

namespace tsproxy::local {

stream_prelude_splitter::status stream_prelude_splitter::feed(std::string_view piece,
                                                              std::string_view& body_start) {
  body_start = {};
  if (complete_) {
    body_start = piece;
    return status::complete;
  }
  // The separator may straddle pieces: search from just before the new bytes.
  const std::size_t old_size = prelude_.size();
  const std::size_t search_from =
      old_size >= stream_prelude_separator.size() - 1 ? old_size - (stream_prelude_separator.size() - 1) : 0;
  const std::size_t take =
      std::min(piece.size(), max_ + stream_prelude_separator.size() - std::min(old_size, max_));
  prelude_.append(piece.substr(0, take));
  const auto at = prelude_.find(stream_prelude_separator, search_from);
  if (at == std::string::npos) {
    if (prelude_.size() > max_) return status::too_large;
    return status::need_more;
  }
  // Bytes of this piece that lie after the separator.
  const std::size_t separator_end = at + stream_prelude_separator.size();
  const std::size_t used_from_piece = separator_end - old_size;
  body_start = piece.substr(used_from_piece);
  prelude_.resize(at);
  complete_ = true;
  return status::complete;
}

}  // namespace tsproxy::local
