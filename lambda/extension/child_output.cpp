#include "extension/child_output.hpp"

#include <array>

#include "common/log.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::extension {

namespace {

constexpr std::string_view redaction = "<redacted>";
constexpr std::size_t read_size = 4096;

}  // namespace

std::string redacted(std::string_view text, std::string_view secret) {
  std::string out;
  if (secret.empty()) return std::string(text);
  for (;;) {
    const auto at = text.find(secret);
    if (at == std::string_view::npos) break;
    out.append(text.substr(0, at));
    out.append(redaction);
    text.remove_prefix(at + secret.size());
  }
  out.append(text);
  return out;
}

output_lines::output_lines(std::string secret, line_handler on_line)
    : secret_(std::move(secret)), on_line_(std::move(on_line)) {}

void output_lines::emit(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::string clean = redacted(line, secret_);
  if (on_line_) on_line_(clean);
  if (clean.empty()) return;
  if (!tail_.empty()) tail_.append("; ");
  tail_.append(clean);
  if (tail_.size() > max_tail_bytes) {
    // Keep the end: it says how the child ended. Cut at a line boundary when one is in reach.
    auto cut = tail_.size() - max_tail_bytes;
    const auto boundary = tail_.find("; ", cut);
    if (boundary != std::string::npos && boundary + 2 < tail_.size()) cut = boundary + 2;
    tail_.erase(0, cut);
  }
}

void output_lines::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    partial_.append(bytes.substr(0, newline));
    // A line longer than the limit is passed on in pieces. Redacting before the cut, with a secret's
    // length to spare after it, keeps a secret that straddles the cut from leaking half of itself.
    while (partial_.size() >= max_line_bytes + secret_.size()) {
      partial_ = redacted(partial_, secret_);
      if (partial_.size() < max_line_bytes + secret_.size()) break;
      emit(std::string_view(partial_).substr(0, max_line_bytes));
      partial_.erase(0, max_line_bytes);
    }
    if (newline == std::string_view::npos) break;
    end_line();
    bytes.remove_prefix(newline + 1);
  }
}

void output_lines::end_line() {
  partial_ = redacted(partial_, secret_);
  std::string_view rest = partial_;
  while (rest.size() > max_line_bytes) {
    emit(rest.substr(0, max_line_bytes));
    rest.remove_prefix(max_line_bytes);
  }
  emit(rest);
  partial_.clear();
}

void output_lines::finish() {
  if (!partial_.empty()) end_line();
}

child_output::child_output(const asio::any_io_executor& executor, int fd, std::string source,
                           std::string secret)
    : pipe_(executor, fd),
      source_(std::move(source)),
      lines_(std::move(secret), [this](std::string_view line) {
        if (!line.empty()) lambda::log(lambda::log_level::info, line, {{"from", source_}});
      }) {}

asio::awaitable<void> child_output::run() {
  std::array<char, read_size> buffer{};
  for (;;) {
    auto [ec, n] = co_await pipe_.async_read_some(asio::buffer(buffer), use_tuple);
    if (n > 0) lines_.feed(std::string_view(buffer.data(), n));
    if (ec) break;  // eof once every writer closed the pipe
  }
  lines_.finish();
  std::error_code ignored;
  pipe_.close(ignored);
  finished_ = true;
}

}  // namespace tsproxy::extension
