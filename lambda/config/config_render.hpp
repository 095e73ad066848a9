#pragma once
// The configuration contract rendered for its other readers: the JSON the CDK construct validates with
// (lambda/cdk/config-contract.json) and README.md's configuration tables. Pure: tsproxy-config-contract
// reads and writes the files.

#include <optional>
#include <string>
#include <string_view>

#include "config/config_contract.hpp"

namespace tsproxy::config {

// Where the rendered copies live, relative to the repository root.
inline constexpr std::string_view json_path = "lambda/cdk/config-contract.json";
inline constexpr std::string_view readme_path = "README.md";
// How to bring them up to date.
inline constexpr std::string_view regenerate_command = "cmake --build build/release --target config-contract";

// Every variable as JSON: {"variables": {NAME: {readBy, type, default, min, max, unit, accepts, doc}}}.
std::string contract_json();

// The Markdown table of the variables `reader` reads (reader_bits), header included.
std::string readme_table(unsigned reader);

// `readme` with the text between each `<!-- config:PROGRAM begin ... -->` and `<!-- config:PROGRAM end -->`
// replaced by that program's table; nullopt with `error` set when a marker is missing.
std::optional<std::string> with_readme_tables(std::string_view readme, std::string& error);

}  // namespace tsproxy::config
