#include "aws/secrets_manager_client.hpp"

#include <algorithm>
#include <array>
#include <asio/ssl/error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <memory>

#include "config/engine_environment.hpp"
#include "tsproxy/engine/errors.hpp"
#include "tsproxy/engine/http_reader.hpp"
#include "tsproxy/engine/tls_client_context.hpp"
#include "tsproxy/engine/transport.hpp"
#include "tsproxy/engine/use_tuple.hpp"

namespace tsproxy::aws {

namespace {

secret_fetch_result failure(std::string_view type, std::string message) {
  return {{}, std::string(type), std::move(message)};
}

bool is_tls_failure(std::error_code ec) {
  return ec.category() == asio::error::get_ssl_category() || ec == asio::ssl::error::stream_truncated;
}

std::string describe(std::error_code ec) {
  return std::string(error_name(ec)) + " (" + ec.message() + ")";
}

// The failure of a step of the call, by what the caller can do about it.
secret_fetch_result transport_failure(std::error_code ec, const endpoint_url& endpoint,
                                      std::string_view step) {
  const std::string where =
      " (endpoint " + std::string(endpoint.tls ? "https://" : "http://") + endpoint.host_header + ")";
  if (is_timeout(ec) || ec == engine_error::request_deadline)
    return failure(secret_errors::timeout,
                   "GetSecretValue did not finish in time: " + std::string(step) + where);
  if (is_tls_failure(ec) || ec == engine_error::tls_handshake_timeout)
    return failure(secret_errors::tls_error, "TLS with the endpoint failed: " + describe(ec) + where);
  if (ec.category() == engine_category() && ec != engine_error::connection_closed)
    return failure(secret_errors::bad_response,
                   "the endpoint's answer is not valid HTTP: " + describe(ec) + where);
  return failure(secret_errors::endpoint_unreachable,
                 "cannot reach the endpoint: " + std::string(step) + ": " + describe(ec) + where);
}

// One GetSecretValue over a fresh connection, signed anew (its X-Amz-Date is now).
asio::awaitable<secret_fetch_result> attempt_get_secret_value(const aws_environment& env,
                                                              const endpoint_url& endpoint,
                                                              tls_client_context& tls,
                                                              std::string_view secret_id,
                                                              time_point deadline) {
  const auto request = get_secret_value_request(endpoint, env.creds, env.region, secret_id,
                                                format_amz_date(std::chrono::system_clock::now()));
  const upstream_target target{endpoint.host, endpoint.port, endpoint.tls,
                               is_ip_literal(endpoint.host) ? std::string() : endpoint.host};
  std::unique_ptr<transport> stream;
  if (auto ec = co_await open_direct(target, env.network, tls, deadline, stream))
    co_return transport_failure(ec, endpoint, "connecting");

  const phase_bound bound{deadline, engine_error::request_deadline};
  const std::array<asio::const_buffer, 2> pieces{asio::buffer(request.head), asio::buffer(request.body)};
  if (auto ec = co_await within(bound, stream->write(pieces)))
    co_return transport_failure(ec, endpoint, "sending the request");

  http_reader reader(
      http_parser::kind::response, http_limits{},
      [&stream](asio::mutable_buffer into, std::size_t& got) { return stream->read_some(into, got); });
  std::string body;
  auto ec = co_await reader.read_head(bound);
  if (!ec) ec = co_await reader.read_body(body, max_secret_response_bytes, bound);
  stream->close();
  if (ec) co_return transport_failure(ec, endpoint, "reading the answer");
  const auto& head = reader.parser().response();
  co_return parse_get_secret_value_response(head.status, head.headers, body, secret_id);
}

// The last attempt's failure, saying how many attempts were made and why there was no other.
secret_fetch_result gave_up(secret_fetch_result last, int attempts, std::string_view why_no_more) {
  last.message += " (" + std::to_string(attempts) + (attempts == 1 ? " attempt; " : " attempts; ") +
                  std::string(why_no_more) + ")";
  return last;
}

}  // namespace

std::optional<aws_environment> secrets_manager_environment(std::string& error) {
  return secrets_manager_environment(process_env, error);
}

std::optional<aws_environment> secrets_manager_environment(const env_lookup& env, std::string& error) {
  error.clear();
  const auto value = [&](const char* name) -> std::string {
    const char* v = env(name);
    return v != nullptr ? std::string(v) : std::string();
  };
  aws_environment out;
  out.tls.ca_file = ca_source_from_environment(env);
  out.creds.access_key_id = value(aws_env_names::access_key_id);
  out.creds.secret_access_key = value(aws_env_names::secret_access_key);
  out.creds.session_token = value(aws_env_names::session_token);
  out.region = value(aws_env_names::region);
  if (out.region.empty()) out.region = value(aws_env_names::default_region);
  for (const auto& [name, text] : {std::pair{aws_env_names::access_key_id, &out.creds.access_key_id},
                                   std::pair{aws_env_names::secret_access_key, &out.creds.secret_access_key},
                                   std::pair{aws_env_names::region, &out.region}}) {
    if (text->empty()) {
      error = std::string(name) + " is not set";
      return std::nullopt;
    }
  }
  const char* source = aws_env_names::secrets_manager_endpoint;
  out.endpoint_url = value(source);
  if (out.endpoint_url.empty()) {
    source = aws_env_names::endpoint;
    out.endpoint_url = value(source);
  }
  if (out.endpoint_url.empty()) {
    out.endpoint_url = regional_endpoint(secrets_manager_service, out.region);
    source = aws_env_names::region;
  }
  if (!parse_endpoint_url(out.endpoint_url)) {
    error = std::string(source) +
            " does not give a valid endpoint URL (http:// or https://, a host, an optional port): " +
            out.endpoint_url;
    return std::nullopt;
  }
  return out;
}

asio::awaitable<secret_fetch_result> get_secret_value(const aws_environment& env, std::string_view secret_id,
                                                      std::chrono::steady_clock::time_point deadline) {
  if (env.creds.access_key_id.empty() || env.creds.secret_access_key.empty())
    co_return failure(secret_errors::credentials_missing, "no AWS access key to sign GetSecretValue with");
  const auto endpoint = parse_endpoint_url(env.endpoint_url);
  if (!endpoint)
    co_return failure(secret_errors::invalid_endpoint, "not an endpoint URL: " + env.endpoint_url);

  tls_client_context tls(env.tls);  // the CA bundle read once for every attempt
  const int max_attempts = std::max(env.retry.max_attempts, 1);
  for (int attempt = 1;; ++attempt) {
    auto result = co_await attempt_get_secret_value(env, *endpoint, tls, secret_id, deadline);
    if (result.ok() || !is_retryable(result.http_status, result.error_type)) co_return result;
    if (attempt == max_attempts) co_return gave_up(std::move(result), attempt, "no more allowed");
    const auto pause = backoff_delay(env.retry, attempt, draw_fraction(env.retry));
    // Sleeping into the deadline would only turn the answer in hand into a Timeout.
    if (steady_clock::now() + pause >= deadline)
      co_return gave_up(std::move(result), attempt, "no time for another before the deadline");
    asio::steady_timer timer(co_await asio::this_coro::executor, pause);
    co_await timer.async_wait(use_tuple);
  }
}

}  // namespace tsproxy::aws
