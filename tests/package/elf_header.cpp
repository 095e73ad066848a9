#include "elf_header.hpp"

#include <elf.h>

#include <fstream>

namespace tsproxy::test {

std::optional<elf_facts> read_elf_facts(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  Elf64_Ehdr header{};
  if (!in.read(reinterpret_cast<char*>(&header), sizeof header)) return std::nullopt;
  if (std::string_view(reinterpret_cast<const char*>(header.e_ident), SELFMAG) != ELFMAG ||
      header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB ||
      header.e_phentsize != sizeof(Elf64_Phdr))
    return std::nullopt;
  elf_facts facts;
  facts.machine = header.e_machine;
  in.seekg(static_cast<std::streamoff>(header.e_phoff));
  for (int i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr program{};
    if (!in.read(reinterpret_cast<char*>(&program), sizeof program)) return std::nullopt;
    facts.has_interpreter |= program.p_type == PT_INTERP;
    facts.has_dynamic |= program.p_type == PT_DYNAMIC;
  }
  return facts;
}

}  // namespace tsproxy::test
