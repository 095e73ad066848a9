// The deployable function zips, tested as Lambda uses them: unzipped into an otherwise empty root and
// run there by tsproxy-local, so that nothing from this machine's image can stand in for something the
// package lacks. The x86_64 bootstrap runs natively; the arm64 one under qemu-aarch64-static, copied into
// the same kind of root.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "elf_header.hpp"
#include "local_stack.hpp"
#include "support/peers.hpp"

namespace tsproxy::test {
namespace {

namespace fs = std::filesystem;

struct zip_entry {
  std::string mode;  // as `unzip -Z` prints it, e.g. -rwxr-xr-x
  std::string name;
};

std::vector<zip_entry> zip_entries(const fs::path& zip) {
  const auto listing = run_command({"unzip", "-Z", zip.string()});
  EXPECT_EQ(listing.exit_code, 0) << listing.err;
  std::vector<zip_entry> entries;
  std::istringstream lines(listing.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || (line[0] != '-' && line[0] != 'd' && line[0] != 'l')) continue;
    const auto last_space = line.rfind(' ');
    entries.push_back({line.substr(0, line.find(' ')), line.substr(last_space + 1)});
  }
  return entries;
}

// tsproxy-local runs its runtime command without a PATH search, as Lambda runs /var/runtime/bootstrap.
std::string on_path(const std::string& name) {
  std::istringstream dirs(std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  throw std::runtime_error(name + " is not on PATH");
}

std::set<std::string> files_under(const fs::path& root) {
  std::set<std::string> names;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    names.insert(fs::relative(entry.path(), root).string());
  return names;
}

// An empty folder that becomes `/` for the runtime: the unzipped package plus what the test adds.
class empty_root {
 public:
  explicit empty_root(const fs::path& zip) {
    const auto unpacked = run_command({"unzip", "-q", zip.string(), "-d", dir_.path().string()});
    if (unpacked.exit_code != 0) throw std::runtime_error("unzip " + zip.string() + ": " + unpacked.err);
  }
  void add(const fs::path& file, const std::string& name) const { fs::copy_file(file, dir_ / name); }
  const fs::path& path() const { return dir_.path(); }
  // Runs `argv` with this folder as its root, in a user namespace so it needs no privilege.
  std::vector<std::string> command(std::vector<std::string> argv) const {
    std::vector<std::string> out{on_path("unshare"), "--user", "--map-root-user", "--root",
                                 dir_.path().string()};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
  }

 private:
  temp_dir dir_{"tsproxy-root"};
};

void expect_static_executable(const fs::path& zip, std::uint16_t machine) {
  ASSERT_TRUE(fs::exists(zip)) << zip << " is missing: build it with its lambda-* preset";
  const auto entries = zip_entries(zip);
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].name, "bootstrap");
  EXPECT_EQ(entries[0].mode, "-rwxr-xr-x");
  const empty_root root(zip);
  const auto facts = read_elf_facts(root.path() / "bootstrap");
  ASSERT_TRUE(facts.has_value());
  EXPECT_EQ(facts->machine, machine);
  EXPECT_FALSE(facts->has_interpreter) << "bootstrap needs a dynamic loader";
  EXPECT_FALSE(facts->has_dynamic) << "bootstrap has a dynamic section";
}

TEST(FunctionZip, X86_64HoldsOneStaticExecutableBootstrap) {
  expect_static_executable(TSPROXY_FUNCTION_ZIP, elf_machine_x86_64);
}

// The Tailscale extension runs beside the bootstrap in the same image: static too (its layer is built from
// this executable, lambda/extension/package_layer.cmake).
TEST(ExtensionExecutable, X86_64IsStatic) {
  const auto facts = read_elf_facts(TSPROXY_EXTENSION_EXECUTABLE);
  ASSERT_TRUE(facts.has_value()) << TSPROXY_EXTENSION_EXECUTABLE;
  EXPECT_EQ(facts->machine, elf_machine_x86_64);
  EXPECT_FALSE(facts->has_interpreter) << "the extension needs a dynamic loader";
  EXPECT_FALSE(facts->has_dynamic) << "the extension has a dynamic section";
}

TEST(FunctionZip, Arm64HoldsOneStaticExecutableBootstrap) {
  expect_static_executable(TSPROXY_ARM64_FUNCTION_ZIP, elf_machine_aarch64);
}

class PackagedBootstrap : public ::testing::Test {
 protected:
  microsocks_server socks_;
  nginx_server nginx_;

  std::string socks_address() const { return socks_.host() + ":" + std::to_string(socks_.port()); }

  stack_options options_in(const empty_root& root, std::vector<std::string> runtime, bool with_ca) const {
    stack_options options;
    options.bootstrap_command = root.command(std::move(runtime));
    if (with_ca) {
      root.add(test_ca::instance().ca_cert(), "ca.pem");
      options.env.emplace_back("TSPROXY_TLS_CA_FILE", "/ca.pem");
    }
    return options;
  }

  // One plain and one HTTPS request through the stack; the HTTPS one is verified against the CA file.
  void expect_http_and_https(const local_stack& stack) const {
    const auto plain = stack.request("/small", local_stack::route_to(nginx_.host(), nginx_.http_port()));
    ASSERT_EQ(plain.status, 200) << plain.body << stack.log();
    EXPECT_EQ(plain.body, nginx_server::file_content("small"));
    const auto tls = stack.request("/1m", local_stack::route_to(nginx_.host(), nginx_.https_port(), true));
    ASSERT_EQ(tls.status, 200) << tls.body << tls.header("ts-error-message") << stack.log();
    EXPECT_EQ(tls.body, nginx_server::file_content("1m"));
  }
};

TEST_F(PackagedBootstrap, ServesHttpAndVerifiedHttpsFromAnEmptyRoot) {
  const empty_root root(TSPROXY_FUNCTION_ZIP);
  const local_stack stack(socks_address(), options_in(root, {"/bootstrap"}, true));
  EXPECT_EQ(files_under(root.path()), (std::set<std::string>{"bootstrap", "ca.pem"}));
  expect_http_and_https(stack);
}

TEST_F(PackagedBootstrap, HttpsFailsClosedInAnEmptyRootWithoutACaFile) {
  // No CA bundle exists in the root, so no certificate can verify: the request must fail, not pass
  // unverified.
  const empty_root root(TSPROXY_FUNCTION_ZIP);
  const local_stack stack(socks_address(), options_in(root, {"/bootstrap"}, false));
  const auto tls = stack.request("/small", local_stack::route_to(nginx_.host(), nginx_.https_port(), true));
  EXPECT_EQ(tls.status, 502) << tls.body << stack.log();
  EXPECT_EQ(tls.header("ts-error-name"), "TlsError") << tls.header("ts-error-message");
  const auto plain = stack.request("/small", local_stack::route_to(nginx_.host(), nginx_.http_port()));
  EXPECT_EQ(plain.status, 200) << plain.body;
}

// Static glibc would resolve names and load locales through files and shared modules of the machine it
// runs on (another glibc's, on Amazon Linux). The runtime must never try: every file it touches from exec
// to exit, over plain and TLS requests, is the CA file, under /proc or /sys, or the time zone the
// environment names (Lambda sets TZ=:UTC; glibc reads it once for its time conversions and, where the
// image has no zoneinfo, uses UTC, which is what it names).
TEST_F(PackagedBootstrap, TouchesNoNameServiceLocaleOrLibraryFile) {
  const empty_root root(TSPROXY_FUNCTION_ZIP);
  const temp_dir trace_dir("tsproxy-trace");
  const auto trace = trace_dir / "trace";
  auto options = options_in(root, {"/bootstrap"}, true);
  options.bootstrap_command.insert(options.bootstrap_command.begin(), {on_path("strace"), "-f", "-qq", "-e",
                                                                       "trace=%file", "-o", trace.string()});
  {
    const local_stack stack(socks_address(), options);
    expect_http_and_https(stack);
  }
  // Lines are "<pid> <call>(...)"; only what follows the runtime's own exec counts (before it, the
  // trace shows unshare loading itself).
  std::ifstream in(trace);
  std::string line, runtime_pid;
  std::vector<std::string> runtime_calls;
  while (std::getline(in, line)) {
    const auto pid = line.substr(0, line.find(' '));
    if (runtime_pid.empty()) {
      if (line.find("execve(\"/bootstrap\"") != std::string::npos) runtime_pid = pid;
      continue;
    }
    if (pid == runtime_pid) runtime_calls.push_back(line);
  }
  ASSERT_FALSE(runtime_pid.empty()) << "no exec of /bootstrap in the trace";
  bool opened_ca = false;
  for (const auto& call : runtime_calls) {
    const auto quote = call.find('"');
    if (quote == std::string::npos) continue;
    const auto path = call.substr(quote + 1, call.find('"', quote + 1) - quote - 1);
    if (path.empty()) continue;  // fstat of an open descriptor
    if (path == "/ca.pem") {
      opened_ca = true;
      continue;
    }
    EXPECT_TRUE(path.rfind("/proc/", 0) == 0 || path.rfind("/sys/", 0) == 0 ||
                path.rfind("/usr/share/zoneinfo/", 0) == 0)
        << call;
  }
  EXPECT_TRUE(opened_ca) << "the trace shows no read of the CA file";
}

TEST_F(PackagedBootstrap, Arm64ServesHttpAndVerifiedHttpsUnderQemuFromAnEmptyRoot) {
  ASSERT_TRUE(fs::exists(TSPROXY_ARM64_FUNCTION_ZIP)) << "build it with the lambda-arm64 preset";
  const empty_root root(TSPROXY_ARM64_FUNCTION_ZIP);
  root.add(TSPROXY_QEMU_AARCH64, "qemu-aarch64-static");
  const local_stack stack(socks_address(), options_in(root, {"/qemu-aarch64-static", "/bootstrap"}, true));
  EXPECT_EQ(files_under(root.path()), (std::set<std::string>{"bootstrap", "ca.pem", "qemu-aarch64-static"}));
  expect_http_and_https(stack);
}

}  // namespace
}  // namespace tsproxy::test
