#pragma once
// Splits a streamed Function URL response (content type
// application/vnd.awslambda.http-integration-response) into its JSON prelude and the raw body that
// follows the 8 NUL bytes. Pure and incremental: feed the body pieces in any split.

#include <cstddef>
#include <string>
#include <string_view>

namespace tsproxy::local {

inline constexpr std::string_view stream_prelude_separator{"\0\0\0\0\0\0\0\0", 8};

class stream_prelude_splitter {
 public:
  enum class status { need_more, complete, too_large };

  explicit stream_prelude_splitter(std::size_t max_prelude_bytes) : max_(max_prelude_bytes) {}

  // Takes the next piece. Once `complete`, prelude() holds the JSON and `body_start` the bytes of
  // `piece` after the separator (the caller sends them on); later pieces are all body.
  status feed(std::string_view piece, std::string_view& body_start);

  // The body ended before a separator: the bytes so far are taken as the whole prelude.
  std::string_view prelude() const noexcept { return prelude_; }
  bool complete() const noexcept { return complete_; }

 private:
  std::size_t max_;
  std::string prelude_;
  bool complete_ = false;
};

}  // namespace tsproxy::local
