#pragma once
// A child's stdout and stderr, forwarded to the extension's log: one log line per line of output, with
// "from" naming the child (tailscaled, tailscale up, ...), so that tailscaled's own diagnostics reach
// CloudWatch beside the extension's. The auth key never reaches the log: every occurrence of the secret
// is replaced by "<redacted>" before a line is written or kept. The last bytes are kept for the message
// of an init error. The splitting is pure (feed()); run() only reads the pipe.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace tsproxy::extension {

// Replaces every occurrence of `secret` (when not empty) in `text`.
std::string redacted(std::string_view text, std::string_view secret);

class output_lines {
 public:
  static constexpr std::size_t max_line_bytes = 4096;  // longer lines are cut into pieces of this size
  static constexpr std::size_t max_tail_bytes = 1024;

  using line_handler = std::function<void(std::string_view line)>;
  output_lines(std::string secret, line_handler on_line);

  // Splits `bytes` (any piece of the stream) into lines; `on_line` gets each one, redacted, without its
  // line ending. A secret split across two pieces is still found: redaction happens per whole line.
  void feed(std::string_view bytes);
  // End of output: a last line without a newline is passed on.
  void finish();
  // From now on `secret` is redacted too (a child started before the secret was known).
  void redact(std::string secret) { secret_ = std::move(secret); }
  // The last lines passed on (at most max_tail_bytes, whole lines where possible), joined by "; ".
  const std::string& tail() const noexcept { return tail_; }

 private:
  void emit(std::string_view line);
  void end_line();  // the line in partial_ is complete

  std::string secret_;
  line_handler on_line_;
  std::string partial_;
  std::string tail_;
};

class child_output {
 public:
  // Takes ownership of `fd` (the read end of the child's output pipe).
  child_output(const asio::any_io_executor& executor, int fd, std::string source, std::string secret);

  // Reads until the end of the output (every writer closed the pipe) or an error.
  asio::awaitable<void> run();

  bool finished() const noexcept { return finished_; }
  const std::string& tail() const noexcept { return lines_.tail(); }
  void redact(std::string secret) { lines_.redact(std::move(secret)); }

 private:
  asio::posix::stream_descriptor pipe_;
  std::string source_;
  output_lines lines_;
  bool finished_ = false;
};

}  // namespace tsproxy::extension
