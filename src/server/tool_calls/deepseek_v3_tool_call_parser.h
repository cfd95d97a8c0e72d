// deepseek_v3: DeepSeek V3 / R1-0528 tool calls (vLLM's DeepSeekV3ToolParser).
//
//   Let me look.<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>get_weather
//   ```json
//   {"city": "Paris"}
//   ```<｜tool▁call▁end｜>
//   <｜tool▁call▁begin｜>function<｜tool▁sep｜>get_time
//   ```json
//   {"zone": "CET"}
//   ```<｜tool▁call▁end｜><｜tool▁calls▁end｜>
//
// The markers use U+FF5C FULLWIDTH VERTICAL LINE and U+2581 LOWER ONE EIGHTH BLOCK, exactly as
// DeepSeek's tokenizer (and vLLM) spell them. Content is the text before <｜tool▁calls▁begin｜>.
// Each call is a type (which must be "function"), the separator, the name up to a newline, then
// "```json\n", the arguments as written (vLLM does not re-serialize them) and
// "\n```<｜tool▁call▁end｜>". A call whose shape does not match is skipped, as vLLM's regex skips
// it; a call the output leaves unterminated is dropped by parse() (a stream has already sent it).
// Text between calls and after <｜tool▁calls▁end｜> is dropped.
//
// Deviation: vLLM's regex has no DOTALL, so it skips calls whose arguments span several lines
// (pretty-printed JSON); they are read here.
#pragma once

#include <memory>
#include <string>

#include "server/tool_calls/streaming_tool_call_parser.h"

namespace turbine::server {

class DeepSeekV3ToolCallParser final : public StreamingToolCallParser {
 public:
  DeepSeekV3ToolCallParser() : StreamingToolCallParser(ToolCallIdStyle::kChatCompletionTool) {}

 protected:
  std::unique_ptr<StreamingToolCallParser> fresh() const override {
    return std::make_unique<DeepSeekV3ToolCallParser>();
  }
  void advance(bool at_end) override;

 private:
  enum class State { kContent, kCalls, kType, kName, kFence, kArguments, kDone };
  State state_ = State::kContent;
  std::string name_;
  size_t scanned_ = 0;
};

}  // namespace turbine::server
