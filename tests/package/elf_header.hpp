#pragma once
// What the package tests need to know about an executable: its machine and whether it is static (no
// program interpreter, so it needs no dynamic loader or shared library from the image it runs on).

#include <cstdint>
#include <filesystem>
#include <optional>

namespace tsproxy::test {

struct elf_facts {
  std::uint16_t machine = 0;     // e_machine: 62 is x86-64, 183 is AArch64
  bool has_interpreter = false;  // a PT_INTERP program header (dynamically linked)
  bool has_dynamic = false;      // a PT_DYNAMIC program header (shared libraries or static-pie)
};

inline constexpr std::uint16_t elf_machine_x86_64 = 62;
inline constexpr std::uint16_t elf_machine_aarch64 = 183;

// Reads a 64-bit little-endian ELF file's header and program headers; nullopt if it is not one.
std::optional<elf_facts> read_elf_facts(const std::filesystem::path& file);

}  // namespace tsproxy::test
