// qwen3_coder: Qwen3-Coder's XML tool calls (vLLM's Qwen3CoderToolParser).
//
//   I'll write it.
//   <tool_call>
//   <function=write_file>
//   <parameter=path>
//   src/main.py
//   </parameter>
//   <parameter=line_count>
//   42
//   </parameter>
//   </function>
//   </tool_call>
//
// Content is the text before the first <tool_call> (or <function=, which vLLM also reads without
// the <tool_call> around it). A <tool_call> may hold several <function=NAME> blocks; each
// <parameter=NAME> value runs to </parameter>, or (leniently, as vLLM) to the next <parameter=,
// </function>, </tool_call> or the end of the output; one leading and one trailing newline are
// removed. Values are typed by the tool's schema (ToolParameterTypes) and the arguments are
// json.dumps of {name: value, ...} in the order written - {} for none. A function or parameter
// name without its closing '>', or tool-call tags with no function in them, make the whole output
// content.
//
// Streaming: a call's name goes out at "<function=NAME>"; a string parameter's text streams as it
// arrives (held back only while it could still be the text "null", and by one trailing newline),
// other parameters go out whole when they end. vLLM sends every parameter whole.
//
// Deviation: a repeated parameter is written twice (vLLM's dict keeps the last value; a JSON
// reader of ours does too).
#pragma once

#include <memory>
#include <string>

#include "server/tool_calls/streaming_tool_call_parser.h"
#include "server/tool_calls/tool_parameter_types.h"

namespace turbine::server {

class Qwen3CoderToolCallParser final : public StreamingToolCallParser {
 public:
  explicit Qwen3CoderToolCallParser(std::shared_ptr<const ToolParameterTypes> types)
      : StreamingToolCallParser(ToolCallIdStyle::kCall), types_(std::move(types)) {}

 protected:
  std::unique_ptr<StreamingToolCallParser> fresh() const override {
    return std::make_unique<Qwen3CoderToolCallParser>(types_);
  }
  void advance(bool at_end) override;

 private:
  enum class State { kContent, kToolCall, kFunctionName, kFunctionBody, kParameterName, kParameterValue, kBetween };

  // The parameter value is text()[value_start_, end); terminated: it ends there.
  void value_progress(size_t end, bool terminated);
  void parameter_key();
  void close_function();

  std::shared_ptr<const ToolParameterTypes> types_;
  State state_ = State::kContent;
  bool entered_ = false;       // a <tool_call> or <function= was seen
  bool in_tool_call_ = false;  // inside <tool_call> (</tool_call> then ends a function too)
  std::string function_;
  std::string parameter_;
  ParameterType type_ = ParameterType::kString;
  int parameters_ = 0;  // parameters written in the current call
  size_t value_start_ = 0;
  // In a name: bytes of rest() searched for its '>'. In a value: no terminator of the value starts
  // before this position of text().
  size_t scanned_ = 0;
  bool lead_checked_ = false;
  size_t text_start_ = 0;  // the value after its leading newline
  bool string_open_ = false;
  size_t emitted_to_ = 0;
};

}  // namespace turbine::server
