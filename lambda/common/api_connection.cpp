#include "common/api_connection.hpp"

#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/tcp_connect.hpp"

namespace tsproxy::lambda {

api_connection::api_connection(asio::any_io_executor executor, const asio::ip::tcp::endpoint& endpoint)
    : executor_(std::move(executor)),
      endpoint_(endpoint),
      target_{endpoint.address().to_string(), endpoint.port()},
      reader_(http_parser::kind::response, http_limits{},
              [this](asio::mutable_buffer into, std::size_t& got) { return stream_->read_some(into, got); }),
      deadline_(executor_, [this] { cut_off(); }) {}

void api_connection::cut_off() noexcept {
  asio::error_code ignored;
  if (connecting_ != nullptr) connecting_->close(ignored);
  if (stream_) stream_->close();
}

void api_connection::drop() noexcept {
  stream_.reset();
  reader_.clear();
}

std::error_code api_connection::status_error() const noexcept {
  return last_status_ >= 200 && last_status_ < 300 ? std::error_code{}
                                                   : make_error_code(engine_error::http_unexpected_status);
}

asio::awaitable<std::error_code> api_connection::bounded(time_point until,
                                                         asio::awaitable<std::error_code> op) {
  if (until == time_point::max()) co_return co_await std::move(op);
  auto ec = make_error_code(engine_error::request_deadline);
  if (deadline_.begin(until)) {
    ec = co_await std::move(op);
    if (deadline_.end()) ec = make_error_code(engine_error::request_deadline);
  }
  if (ec == engine_error::request_deadline) drop();  // cut off mid-call: its state is unknown
  co_return ec;
}

asio::awaitable<std::error_code> api_connection::ensure_connected() {
  if (stream_) co_return std::error_code{};
  // A call cut off by its deadline opens nothing more.
  if (deadline_.expired()) co_return make_error_code(engine_error::request_deadline);
  asio::ip::tcp::socket socket(executor_);
  connecting_ = &socket;
  auto ec = co_await connect_tcp(socket, endpoint_);
  connecting_ = nullptr;
  if (ec) co_return ec;
  stream_ = std::make_unique<transport>(std::move(socket), transport::acks::kernel_default);
  co_return std::error_code{};
}

asio::awaitable<std::error_code> api_connection::send(std::span<const asio::const_buffer> pieces) {
  if (auto ec = co_await ensure_connected()) co_return ec;
  const auto ec = co_await stream_->write(pieces);
  if (ec) drop();
  co_return ec;
}

asio::awaitable<std::error_code> api_connection::read_answer(std::string& body, std::size_t max_body,
                                                             std::size_t padding) {
  auto ec = co_await reader_.read_head(unbounded);
  if (!ec) ec = co_await reader_.read_body(body, max_body, unbounded, padding);
  answer_started_ = reader_.parser().started();
  if (ec) {
    drop();
    co_return ec;
  }
  last_status_ = reader_.parser().response().status;
  if (!reader_.parser().keep_alive()) drop();
  co_return std::error_code{};
}

asio::awaitable<std::error_code> api_connection::exchange(std::span<const asio::const_buffer> request,
                                                          std::string& body, std::size_t max_body,
                                                          std::size_t padding,
                                                          std::function<void()> on_sent) {
  // The same connection serves every call; when Lambda closed it meanwhile, reconnect once.
  for (int attempt = 0;; ++attempt) {
    const bool reused = connected();
    answer_started_ = false;
    auto ec = co_await send(request);
    if (!ec && on_sent) on_sent();
    if (!ec) ec = co_await read_answer(body, max_body, padding);
    if (ec && reused && attempt == 0 && !answer_started_) continue;
    co_return ec;
  }
}

}  // namespace tsproxy::lambda
