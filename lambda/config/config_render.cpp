#include "config/config_render.hpp"

#include <array>
#include <utility>

namespace tsproxy::config {

namespace {

std::string_view kind_name(value_kind kind) {
  switch (kind) {
    case value_kind::count:
      return "count";
    case value_kind::milliseconds:
      return "milliseconds";
    case value_kind::duration:
      return "duration";
    case value_kind::flag:
      return "boolean";
    case value_kind::text:
      return "string";
    case value_kind::address:
      return "address";
    case value_kind::choice:
      return "choice";
  }
  return {};
}

bool bounded(const variable& v) {
  return v.kind == value_kind::count || v.kind == value_kind::milliseconds ||
         v.kind == value_kind::duration || (v.kind == value_kind::text && v.max != 0);
}

std::string_view unit_of(const variable& v) {
  return v.kind == value_kind::milliseconds || v.kind == value_kind::duration ? std::string_view("ms")
                                                                              : v.unit;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string readers_json(unsigned read_by) {
  std::string out = "[";
  if ((read_by & runtime) != 0) out += "\"runtime\"";
  if ((read_by & extension) != 0) out += std::string(out.size() > 1 ? ", " : "") + "\"extension\"";
  return out + "]";
}

// What the README's "accepts" column says.
std::string accepts_cell(const variable& v) {
  const auto range = [&v](std::string_view unit) {
    return std::to_string(v.min) + " to " + std::to_string(v.max) + (unit.empty() ? "" : " ") +
           std::string(unit);
  };
  switch (v.kind) {
    case value_kind::count:
    case value_kind::milliseconds:
      return range(unit_of(v));
    case value_kind::duration:
      return std::to_string(v.min) + "ms to " + std::to_string(v.max) +
             "ms, as Go durations (`2s`, `1500ms`; a bare number is ms)";
    case value_kind::flag:
      return "`true` or `false`";
    case value_kind::text:
      if (!v.accepts.empty()) return std::string(v.accepts);
      if (v.max != 0) return "at most " + std::to_string(v.max) + " " + std::string(v.unit);
      return "text";
    case value_kind::address:
    case value_kind::choice:
      return std::string(v.accepts);
  }
  return {};
}

std::string default_cell(const variable& v) {
  if (!v.default_note.empty()) return std::string(v.default_note);
  if (v.default_value.empty()) return "—";
  return "`" + std::string(v.default_value) + "`";
}

// A table cell holds no pipe of its own.
std::string cell(std::string text) {
  for (std::size_t at = text.find('|'); at != std::string::npos; at = text.find('|', at + 2))
    text.insert(at, "\\");
  return text;
}

constexpr std::array programs{std::pair{std::string_view("runtime"), runtime},
                              std::pair{std::string_view("extension"), extension}};

}  // namespace

std::string contract_json() {
  std::string out = "{\n  \"generatedFrom\": \"lambda/config/config_contract.cpp\",\n  \"regenerate\": " +
                    json_string(regenerate_command) +
                    ",\n  \"emptyValue\": \"an empty value is unset: the default applies\",\n" +
                    "  \"variables\": {";
  bool first = true;
  for (const variable* v : contract()) {
    out += first ? "\n" : ",\n";
    first = false;
    out += "    " + json_string(v->name) + ": {\"readBy\": " + readers_json(v->read_by) +
           ", \"type\": " + json_string(kind_name(v->kind));
    out +=
        ", \"default\": " + (v->default_value.empty() ? std::string("null") : json_string(v->default_value));
    if (bounded(*v)) out += ", \"min\": " + std::to_string(v->min) + ", \"max\": " + std::to_string(v->max);
    if (!unit_of(*v).empty()) out += ", \"unit\": " + json_string(unit_of(*v));
    if (!v->accepts.empty()) out += ", \"accepts\": " + json_string(v->accepts);
    out += ", \"doc\": " + json_string(v->doc) + "}";
  }
  return out + "\n  }\n}\n";
}

std::string readme_table(unsigned reader) {
  std::string out = "| variable | default | accepts | meaning |\n| --- | --- | --- | --- |\n";
  for (const variable* v : contract()) {
    if ((v->read_by & reader) == 0) continue;
    out += "| `" + std::string(v->name) + "` | " + cell(default_cell(*v)) + " | " + cell(accepts_cell(*v)) +
           " | " + cell(std::string(v->doc)) + " |\n";
  }
  return out;
}

std::optional<std::string> with_readme_tables(std::string_view readme, std::string& error) {
  std::string out(readme);
  for (const auto& [program, bit] : programs) {
    const std::string begin = "<!-- config:" + std::string(program) + " begin";
    const std::string end = "<!-- config:" + std::string(program) + " end -->";
    const auto begin_at = out.find(begin);
    const auto body_at = begin_at == std::string::npos ? begin_at : out.find('\n', begin_at);
    const auto end_at = body_at == std::string::npos ? body_at : out.find(end, body_at);
    if (end_at == std::string::npos) {
      error = std::string(readme_path) + " lacks the markers ";
      error += begin;
      error += " ... --> and ";
      error += end;
      return std::nullopt;
    }
    out.replace(body_at + 1, end_at - body_at - 1, readme_table(bit));
  }
  return out;
}

}  // namespace tsproxy::config
