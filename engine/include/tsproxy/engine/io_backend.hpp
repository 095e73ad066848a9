#pragma once
// Asio fixes its I/O backend at compile time. The io_uring build throws at its first socket or
// timer where the kernel refuses io_uring_setup (seccomp in containers, qemu-user, likely Lambda),
// so such a build must check before creating any I/O object and fall back to the epoll build.

namespace tsproxy {

// "io_uring" or "epoll": the backend this executable was compiled for.
const char* io_backend_name() noexcept;

// In an io_uring build: probes io_uring_setup; when refused, logs one line and exec()s the epoll
// build beside this executable (the same file name without a "-uring" suffix, or with "-epoll"
// appended), passing argv unchanged. Returns only when this process can use its backend; exits
// with status 127 when the fallback cannot be started. In an epoll build: does nothing.
void ensure_io_backend(char** argv) noexcept;

// Whether the running kernel lets this process create an io_uring instance (errno on failure).
bool io_uring_permitted(int* error = nullptr) noexcept;

}  // namespace tsproxy
