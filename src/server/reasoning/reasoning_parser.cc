#include "server/reasoning/reasoning_parser.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"
#include "server/reasoning/think_tag_reasoning_parser.h"

namespace turbine::server {

const std::vector<std::string>& reasoning_parser_names() {
  static const std::vector<std::string> names = {"deepseek_r1", "qwen3"};
  return names;
}

std::unique_ptr<ReasoningParser> make_reasoning_parser(std::string_view name, bool thinking_enabled_in_prompt) {
  if (name == "deepseek_r1")
    return std::make_unique<ThinkTagReasoningParser>(
        ThinkTagReasoningParser::Options{.starts_in_reasoning = true, .tool_call_ends_reasoning = false});
  if (name == "qwen3")
    return std::make_unique<ThinkTagReasoningParser>(ThinkTagReasoningParser::Options{
        .starts_in_reasoning = thinking_enabled_in_prompt, .tool_call_ends_reasoning = true});
  fail("unknown reasoning parser '{}' (known: {})", name, fmt::join(reasoning_parser_names(), ", "));
}

}  // namespace turbine::server
