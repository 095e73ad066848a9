#include "tsproxy/engine/spawn.hpp"

#include <cstdio>
#include <exception>

namespace tsproxy {

void report_coroutine_exception(std::string_view name, const std::exception_ptr& error) noexcept {
  // `error` keeps the exception alive after the catch: `what` points into it until it is printed.
  const char* what = "unknown exception";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  std::fprintf(stderr,
               "{\"level\":\"ERROR\",\"msg\":\"coroutine failed\",\"coroutine\":\"%.*s\",\"error\":\"%s\"}\n",
               static_cast<int>(name.size()), name.data(), what);
}

}  // namespace tsproxy
