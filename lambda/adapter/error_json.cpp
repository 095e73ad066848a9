#include "adapter/error_json.hpp"

#include "adapter/json_writer.hpp"

namespace tsproxy::lambda {

std::string error_json(std::string_view error_type, std::string_view message, bool with_stack_trace) {
  std::string json = "{\"errorMessage\":";
  append_json_string_lossy(json, message);
  json += ",\"errorType\":";
  append_json_string_lossy(json, error_type);
  json += with_stack_trace ? ",\"stackTrace\":[]}" : "}";
  return json;
}

}  // namespace tsproxy::lambda
