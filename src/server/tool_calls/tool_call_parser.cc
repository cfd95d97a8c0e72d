#include "server/tool_calls/tool_call_parser.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/error.h"
#include "server/tool_calls/deepseek_v3_tool_call_parser.h"
#include "server/tool_calls/hermes_tool_call_parser.h"
#include "server/tool_calls/llama3_json_tool_call_parser.h"
#include "server/tool_calls/mistral_tool_call_parser.h"
#include "server/tool_calls/qwen3_coder_tool_call_parser.h"

namespace turbine::server {

const std::vector<std::string>& tool_call_parser_names() {
  static const std::vector<std::string> names = {"deepseek_v3", "hermes", "llama3_json", "mistral", "qwen3_coder"};
  return names;
}

std::unique_ptr<ToolCallParser> make_tool_call_parser(std::string_view name, const nlohmann::ordered_json& tools) {
  if (name == "hermes") return std::make_unique<HermesToolCallParser>();
  if (name == "llama3_json") return std::make_unique<Llama3JsonToolCallParser>();
  if (name == "mistral") return std::make_unique<MistralToolCallParser>();
  if (name == "deepseek_v3") return std::make_unique<DeepSeekV3ToolCallParser>();
  if (name == "qwen3_coder")
    return std::make_unique<Qwen3CoderToolCallParser>(std::make_shared<const ToolParameterTypes>(tools));
  fail("unknown tool call parser '{}' (known: {})", name, fmt::join(tool_call_parser_names(), ", "));
}

}  // namespace turbine::server
