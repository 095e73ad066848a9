// tsproxy-config-contract: renders the configuration contract for its other readers.
//   --json                print the CDK construct's JSON
//   --table runtime|extension   print that program's README table
//   --write ROOT          rewrite ROOT/lambda/cdk/config-contract.json and README.md's tables
//   --check ROOT          exit 1, naming the stale files and the command that regenerates them, when the
//                         committed copies differ from what the table renders now
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "config/config_render.hpp"

namespace {

namespace config = tsproxy::config;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

struct rendered_file {
  std::string path;
  std::string text;
};

// Both copies as the table renders them now; nullopt with a message on stderr when README.md cannot be used.
std::optional<std::vector<rendered_file>> render(const std::string& root) {
  const std::string readme_path = root + "/" + std::string(config::readme_path);
  const auto readme = read_file(readme_path);
  if (!readme) {
    std::cerr << "tsproxy-config-contract: cannot read " << readme_path << "\n";
    return std::nullopt;
  }
  std::string error;
  auto spliced = config::with_readme_tables(*readme, error);
  if (!spliced) {
    std::cerr << "tsproxy-config-contract: " << error << "\n";
    return std::nullopt;
  }
  return std::vector<rendered_file>{{root + "/" + std::string(config::json_path), config::contract_json()},
                                    {readme_path, std::move(*spliced)}};
}

int usage() {
  std::cerr
      << "usage: tsproxy-config-contract --json | --table runtime|extension | --write ROOT | --check ROOT\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string_view mode = argv[1];
  if (mode == "--json" && argc == 2) {
    std::cout << config::contract_json();
    return 0;
  }
  if (mode == "--table" && argc == 3) {
    const std::string_view program = argv[2];
    if (program != "runtime" && program != "extension") return usage();
    std::cout << config::readme_table(program == "runtime" ? config::runtime : config::extension);
    return 0;
  }
  if ((mode != "--write" && mode != "--check") || argc != 3) return usage();
  const auto files = render(argv[2]);
  if (!files) return 1;
  int status = 0;
  for (const auto& file : *files) {
    if (read_file(file.path) == file.text) continue;
    if (mode == "--write") {
      if (!write_file(file.path, file.text)) {
        std::cerr << "tsproxy-config-contract: cannot write " << file.path << "\n";
        return 1;
      }
      std::cout << "tsproxy-config-contract: wrote " << file.path << "\n";
    } else {
      std::cerr << "tsproxy-config-contract: " << file.path
                << " differs from lambda/config/config_contract.cpp; regenerate it with: "
                << config::regenerate_command << "\n";
      status = 1;
    }
  }
  return status;
}
