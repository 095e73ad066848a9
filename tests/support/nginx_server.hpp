#pragma once
// nginx as a well-behaved HTTP/1.1 origin on 127.0.0.1: plain HTTP and HTTPS (the test CA's server
// certificate), long keep-alive, and an unbuffered access log that shows which connection served each
// request — the way tests prove connection reuse.
//
// Docroot (generated at start, contents from file_content()):
//   /small (100 bytes), /10k (10 KiB), /1m (1 MiB): printable text, byte i = 'a' + i % 26
//   /binary: bytes 0..255 repeated to 4096 bytes;  /index.html: a short HTML page (also served for /)
// Locations:
//   /status/204 -> 204;  /redirect -> 302 to /small;  /echo-method -> 200 "<method> <request_uri>\n"
//   /status/404-body -> 404 with a short body
// Runs as a single process (`master_process off`), so SIGTERM stops everything at once.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "support/net.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace tsproxy::test {

struct nginx_options {
  // Extra directives pasted into the server block (both ports), e.g. more `location`s.
  std::string extra_server_config;
};

// One line of the access log: `$connection $connection_requests "$request" $status $body_bytes_sent`.
struct access_log_entry {
  std::uint64_t connection = 0;           // nginx's connection serial (start-up probes use some)
  std::uint64_t connection_requests = 0;  // 1 for the first request on that connection
  std::string request;                    // the request line, e.g. "GET /small HTTP/1.1"
  int status = 0;
  std::uint64_t body_bytes_sent = 0;
};

class nginx_server {
 public:
  // Starts nginx and returns once both ports accept connections. Throws std::runtime_error with the
  // error log tail if it does not start.
  explicit nginx_server(nginx_options options = {});

  std::string host() const { return loopback_ipv4; }
  std::uint16_t http_port() const noexcept { return http_port_; }
  std::uint16_t https_port() const noexcept { return https_port_; }
  std::string http_url(std::string_view target) const;   // "http://127.0.0.1:<port><target>"
  std::string https_url(std::string_view target) const;  // "https://127.0.0.1:<port><target>"

  // The access log so far. nginx writes a line after the response is sent, so a client can see the
  // response before its line exists: use wait_for_access_log_entries() after a request.
  std::vector<access_log_entry> access_log_entries() const;
  // Polls until at least `count` entries exist; returns them, or throws std::runtime_error on timeout.
  std::vector<access_log_entry> wait_for_access_log_entries(
      std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  // Distinct $connection serials in the access log.
  std::size_t distinct_connections() const;

  // The exact bytes of a docroot file: "small", "10k", "1m", "binary" or "index.html".
  static std::string file_content(std::string_view name);

  const std::filesystem::path& docroot() const noexcept { return docroot_; }
  const std::filesystem::path& access_log() const noexcept { return access_log_; }
  const std::filesystem::path& error_log() const noexcept { return error_log_; }
  const child_process& process() const noexcept { return process_; }
  child_process& process() noexcept { return process_; }

 private:
  temp_dir dir_;  // declared first so the process stops before its files are deleted
  std::filesystem::path docroot_;
  std::filesystem::path access_log_;
  std::filesystem::path error_log_;
  std::uint16_t http_port_ = 0;
  std::uint16_t https_port_ = 0;
  child_process process_;
};

}  // namespace tsproxy::test
