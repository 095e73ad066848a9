#include "support/nginx_server.hpp"

#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/test_ca.hpp"

namespace tsproxy::test {
namespace {

std::string text_pattern(std::size_t size) {
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + i % 26);
  return out;
}

std::string make_config(const std::filesystem::path& dir, const std::filesystem::path& docroot,
                        const std::filesystem::path& access_log, std::uint16_t http_port,
                        std::uint16_t https_port, const nginx_options& options) {
  const test_ca& ca = test_ca::instance();
  const std::string d = dir.string();
  std::ostringstream conf;
  conf << "pid " << d << "/nginx.pid;\n"
       << "error_log " << d << "/nginx.log notice;\n"
       << "worker_processes 1;\n"
       << "events { worker_connections 4096; }\n"
       << "http {\n"
       // The compiled-in temp paths are under /var/lib/nginx; keep everything in our directory.
       << "  client_body_temp_path " << d << "/client_body;\n"
       << "  proxy_temp_path " << d << "/proxy;\n"
       << "  fastcgi_temp_path " << d << "/fastcgi;\n"
       << "  uwsgi_temp_path " << d << "/uwsgi;\n"
       << "  scgi_temp_path " << d << "/scgi;\n"
       << "  types { text/html html; }\n"
       << "  default_type application/octet-stream;\n"
       << "  log_format tsproxy '$connection $connection_requests \"$request\" $status $body_bytes_sent';\n"
       // No buffer= parameter: one write per request, so tests see lines as soon as possible.
       << "  access_log " << access_log.string() << " tsproxy;\n"
       << "  keepalive_requests 100000;\n"
       << "  keepalive_timeout 75s;\n"
       << "  server {\n"
       << "    listen 127.0.0.1:" << http_port << ";\n"
       << "    listen 127.0.0.1:" << https_port << " ssl;\n"
       << "    server_name localhost;\n"
       << "    ssl_certificate " << ca.server_cert().string() << ";\n"
       << "    ssl_certificate_key " << ca.server_key().string() << ";\n"
       << "    root " << docroot.string() << ";\n"
       << "    index index.html;\n"
       << "    location = /status/204 { return 204; }\n"
       << "    location = /status/404-body { return 404 \"not here\\n\"; }\n"
       << "    location = /redirect { return 302 /small; }\n"
       << "    location = /echo-method { default_type text/plain; return 200 \"$request_method "
          "$request_uri\\n\"; }\n"
       << options.extra_server_config << "\n"
       << "  }\n"
       << "}\n";
  return conf.str();
}

// Parses `C R "REQUEST" S B`; nginx escapes '"' inside $request as \x22, so the last quote ends it.
bool parse_line(std::string_view line, access_log_entry& entry) {
  auto open = line.find('"');
  auto close = line.rfind('"');
  if (open == std::string_view::npos || close <= open) return false;
  std::istringstream head{std::string(line.substr(0, open))};
  std::istringstream tail{std::string(line.substr(close + 1))};
  entry.request = std::string(line.substr(open + 1, close - open - 1));
  return static_cast<bool>(head >> entry.connection >> entry.connection_requests) &&
         static_cast<bool>(tail >> entry.status >> entry.body_bytes_sent);
}

}  // namespace

nginx_server::nginx_server(nginx_options options)
    : dir_("tsproxy-nginx"),
      docroot_(dir_ / "docroot"),
      access_log_(dir_ / "access.log"),
      error_log_(dir_ / "nginx.log") {
  std::filesystem::create_directory(docroot_);
  for (const char* name : {"small", "10k", "1m", "binary", "index.html"}) {
    write_file(docroot_ / name, file_content(name));
  }
  const std::filesystem::path config = dir_ / "nginx.conf";
  process_ = retry_start([&] {
    http_port_ = free_tcp_port();
    do {
      https_port_ = free_tcp_port();
    } while (https_port_ == http_port_);
    write_file(config, make_config(dir_.path(), docroot_, access_log_, http_port_, https_port_, options));
    // -e: errors before the config's error_log is read also go to our log, not /var/log/nginx.
    child_process process({"nginx", "-p", dir_.path().string() + "/", "-c", config.string(), "-e",
                           error_log_.string(), "-g", "daemon off; master_process off;"},
                          error_log_);
    process.wait_for_tcp_port(loopback_ipv4, http_port_);
    process.wait_for_tcp_port(loopback_ipv4, https_port_);
    return process;
  });
}

std::string nginx_server::http_url(std::string_view target) const {
  return "http://127.0.0.1:" + std::to_string(http_port_) + std::string(target);
}

std::string nginx_server::https_url(std::string_view target) const {
  return "https://127.0.0.1:" + std::to_string(https_port_) + std::string(target);
}

std::vector<access_log_entry> nginx_server::access_log_entries() const {
  std::vector<access_log_entry> entries;
  std::error_code ec;
  if (!std::filesystem::exists(access_log_, ec)) return entries;
  std::istringstream lines(read_file(access_log_));
  std::string line;
  while (std::getline(lines, line)) {
    access_log_entry entry;
    if (parse_line(line, entry)) entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<access_log_entry> nginx_server::wait_for_access_log_entries(
    std::size_t count, std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto entries = access_log_entries();
    if (entries.size() >= count) return entries;
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("nginx access log has " + std::to_string(entries.size()) +
                               " entries, expected " + std::to_string(count) + " within " +
                               std::to_string(timeout.count()) + " ms");
    }
    // nginx writes the line right after the response; polling a few ms is enough and simpler than inotify.
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

std::size_t nginx_server::distinct_connections() const {
  std::set<std::uint64_t> serials;
  for (const auto& entry : access_log_entries()) serials.insert(entry.connection);
  return serials.size();
}

std::string nginx_server::file_content(std::string_view name) {
  if (name == "small") return text_pattern(100);
  if (name == "10k") return text_pattern(std::size_t{10} * 1024);
  if (name == "1m") return text_pattern(std::size_t{1024} * 1024);
  if (name == "binary") {
    std::string out(4096, '\0');
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>(i % 256);
    return out;
  }
  if (name == "index.html") {
    return "<!doctype html>\n<html><head><title>tsproxy test</title></head><body>tsproxy test "
           "origin</body></html>\n";
  }
  throw std::invalid_argument("nginx_server::file_content: no docroot file named " + std::string(name));
}

}  // namespace tsproxy::test
