// deny_io_uring: runs a program under a seccomp filter that makes io_uring_setup fail with EPERM,
// as container runtimes, qemu-user and (likely) AWS Lambda do.
//   deny_io_uring PROGRAM [ARGS...]

#include <seccomp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: deny_io_uring PROGRAM [ARGS...]\n");
    return 2;
  }
  scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
  if (filter == nullptr ||
      seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(io_uring_setup), 0) != 0 ||
      seccomp_load(filter) != 0) {
    std::fprintf(stderr, "deny_io_uring: cannot install the seccomp filter\n");
    return 2;
  }
  seccomp_release(filter);
  ::execvp(argv[1], argv + 1);
  std::perror("deny_io_uring: exec");
  return 127;
}
