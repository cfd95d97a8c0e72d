// hermes: Hermes 2 Pro, Qwen 2.5 and Qwen 3 tool calls (vLLM's Hermes2ProToolParser).
//
//   Let me check.<tool_call>
//   {"name": "get_weather", "arguments": {"city": "Paris"}}
//   </tool_call>
//   <tool_call>
//   {"name": "get_time", "arguments": {"zone": "CET"}}
//   </tool_call>
//
// Content is the text before the first <tool_call>; text between and after calls is dropped.
// Each <tool_call> holds one JSON object with a string "name" and an "arguments" value (other
// keys ignored), whitespace around it, then </tool_call> - or the end of the output, which vLLM
// accepts too. Arguments are json.dumps of the value (JsonNormalizer). Anything else in a
// <tool_call> (not JSON, a missing key, trailing text) makes the whole output content.
#pragma once

#include <memory>
#include <optional>

#include "server/tool_calls/call_object_scanner.h"
#include "server/tool_calls/streaming_tool_call_parser.h"

namespace turbine::server {

class HermesToolCallParser final : public StreamingToolCallParser {
 public:
  HermesToolCallParser() : StreamingToolCallParser(ToolCallIdStyle::kChatCompletionTool) {}

 protected:
  std::unique_ptr<StreamingToolCallParser> fresh() const override { return std::make_unique<HermesToolCallParser>(); }
  void advance(bool at_end) override;

 private:
  enum class State { kContent, kObject, kAfterObject, kBetween };
  State state_ = State::kContent;
  std::optional<CallObjectScanner> object_;
};

}  // namespace turbine::server
