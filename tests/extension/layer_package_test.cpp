// The layer zip from a Tailscale release tarball, built by the same script the tailscale-layer target
// runs: its entries and modes, its bytes the same on every run, and clear refusals of a tarball for the
// other architecture, a tarball of another shape, and no tarball at all.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/process.hpp"
#include "support/tailscale_standins.hpp"
#include "support/temp_dir.hpp"

namespace tsproxy::test {
namespace {

// A 64-bit ELF header for x86-64 (e_machine 62) or AArch64 (183): all the packaging looks at, and small
// (a sanitizer build's extension is tens of megabytes, which the zip's compression would spend minutes on).
void write_elf(const std::filesystem::path& path, bool arm64) {
  std::string header(64, '\0');
  header.replace(0, 5,
                 "\x7f"
                 "ELF\x02");
  header[5] = '\x01';  // little-endian
  header[18] = arm64 ? '\xb7' : '\x3e';
  write_file(path, header + "payload of " + path.filename().string());
  std::filesystem::permissions(path, std::filesystem::perms(0755));
}

// A fake release folder with both binaries, packed as the official tarballs are.
std::filesystem::path make_tarball(const temp_dir& dir, const std::string& folder,
                                   bool arm64_binaries = false) {
  const auto root = dir / ("src-" + folder);
  std::filesystem::create_directories(root / folder);
  for (const char* binary : {"tailscale", "tailscaled"}) write_elf(root / folder / binary, arm64_binaries);
  std::filesystem::create_directories(root / folder / "systemd");
  write_file(root / folder / "systemd" / "tailscaled.service", "[Unit]\n");
  const auto tarball = dir / (folder + ".tgz");
  run_command_or_throw({"tar", "-czf", tarball.string(), "-C", root.string(), folder});
  return tarball;
}

// The layer from `tarball` for `arch`, with a fabricated x86-64 extension unless `extension` is given.
command_result package(const std::filesystem::path& tarball, const std::string& arch,
                       const std::filesystem::path& out, std::filesystem::path extension = {}) {
  if (extension.empty()) {
    extension = out.parent_path() / "tsproxy-tailscale";
    if (!std::filesystem::exists(extension)) write_elf(extension, false);
  }
  return run_command(
      {TSPROXY_CMAKE_COMMAND, "-DEXTENSION=" + extension.string(), "-DTARBALL=" + tarball.string(),
       "-DARCH=" + arch, "-DOUT_DIR=" + out.string(), "-DZIP_TOOL=" TSPROXY_DETERMINISTIC_ZIP,
       "-DPYTHON=" + python_interpreter(), "-P", TSPROXY_PACKAGE_LAYER_SCRIPT},
      std::chrono::seconds(60));
}

// CMake wraps its messages: words separated by single spaces, whatever the wrapping.
std::string flat(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : c);
  }
  return out;
}

// name mode, one entry a line, as the zip lists them.
std::string zip_listing(const std::filesystem::path& zip) {
  return run_command_or_throw({python_interpreter(), "-c",
                               "import sys, zipfile\n"
                               "for i in zipfile.ZipFile(sys.argv[1]).infolist():\n"
                               "    print(i.filename, oct(i.external_attr >> 16), i.date_time[0])",
                               zip.string()});
}

TEST(LayerPackage, TheBuiltExtensionIsALinuxExecutableForThisMachine) {
  temp_dir dir("tsproxy-layer");
  // The extension is checked first, with or without a tarball.
  const auto r = package("", "x86_64", dir / "out", TSPROXY_EXTENSION_BIN);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto arm = package("", "arm64", dir / "out", TSPROXY_EXTENSION_BIN);
  EXPECT_NE(arm.exit_code, 0);
  EXPECT_NE(flat(arm.err).find("is not built for arm64"), std::string::npos) << arm.err;
}

TEST(LayerPackage, ExtensionAndBinariesWithExecutableModesAndTheSameBytesEveryTime) {
  temp_dir dir("tsproxy-layer");
  const auto tarball = make_tarball(dir, "tailscale_1.94.2_amd64");
  const auto first = package(tarball, "x86_64", dir / "out1");
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("tailscale 1.94.2, x86_64"), std::string::npos) << first.out;
  const auto zip = dir / "out1" / "tsproxy-tailscale-layer-x86_64.zip";
  EXPECT_EQ(zip_listing(zip),
            "bin/tailscale 0o100755 1980\n"
            "bin/tailscaled 0o100755 1980\n"
            "extensions/tsproxy-tailscale 0o100755 1980\n");
  const auto second = package(tarball, "x86_64", dir / "out2");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(read_file(zip), read_file(dir / "out2" / "tsproxy-tailscale-layer-x86_64.zip"))
      << "deterministic";
  EXPECT_FALSE(std::filesystem::exists(dir / "out1" / "tailscale-layer-x86_64"))
      << "the staging folder is removed";
}

TEST(LayerPackage, TheOtherArchitecturesTarballIsRefused) {
  temp_dir dir("tsproxy-layer");
  const auto r = package(make_tarball(dir, "tailscale_1.94.2_arm64", true), "x86_64", dir / "out");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(flat(r.err).find("is the arm64 release; the x86_64 layer needs amd64"), std::string::npos)
      << r.err;
  // An arm64 layer needs an arm64 extension too: the x86-64 one is refused.
  const auto arm = package(make_tarball(dir, "tailscale_1.94.2_arm64", true), "arm64", dir / "out");
  EXPECT_NE(arm.exit_code, 0);
  EXPECT_NE(flat(arm.err).find("the extension"), std::string::npos) << arm.err;
  EXPECT_NE(flat(arm.err).find("is not built for arm64"), std::string::npos) << arm.err;
}

TEST(LayerPackage, ATarballOfAnotherShapeIsRefused) {
  temp_dir dir("tsproxy-layer");
  const auto r = package(make_tarball(dir, "something-else"), "x86_64", dir / "out");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(flat(r.err).find("does not hold one tailscale_<version>_<arch>/ folder"), std::string::npos)
      << r.err;
  const auto missing = package(dir / "nope.tgz", "x86_64", dir / "out");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(flat(missing.err).find("does not exist"), std::string::npos) << missing.err;
}

TEST(LayerPackage, WithoutATarballItSaysWhatIsMissing) {
  temp_dir dir("tsproxy-layer");
  const auto r = package("", "x86_64", dir / "out");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(flat(r.err).find("no Tailscale tarball"), std::string::npos) << r.err;
  EXPECT_NE(flat(r.err).find("toolchain/fetch-tailscale"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out" / "tsproxy-tailscale-layer-x86_64.zip"));
}

}  // namespace
}  // namespace tsproxy::test
