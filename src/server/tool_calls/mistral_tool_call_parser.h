// mistral: Mistral tool calls, both forms (vLLM's MistralToolParser, which picks one by the
// tokenizer's version; here the text after [TOOL_CALLS] tells which).
//
//   Sure.[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}, {...}]
//   [TOOL_CALLS]get_weather[ARGS]{"city": "Paris"}[TOOL_CALLS]get_time[ARGS]{"zone": "CET"}
//   [TOOL_CALLS]get_weather[CALL_ID]a1B2c3D4e[ARGS]{"city": "Paris"}
//   [TOOL_CALLS]get_weather{"city": "Paris"}      (what vLLM sees once [ARGS] is decoded away)
//
// Content is the text before the first [TOOL_CALLS]. A JSON list (Mistral 7B v0.3, Nemo, Large 2)
// holds objects with a string "name" and "arguments" (other keys, such as "id", ignored);
// arguments are json.dumps of the value; text after the list is dropped. In the newer form
// (tokenizer v11+: Small 3.1+, Magistral, Devstral) a call is a function name, then [ARGS] (or
// [CALL_ID] and an id, which is ignored, then [ARGS]) or directly the '{' of the arguments, and
// the arguments are the text as written, up to the next [TOOL_CALLS] or the end - as vLLM passes
// them on, even when they are not valid JSON. A name with no arguments is dropped. Ids are 9
// letters and digits, as Mistral's templates require.
//
// Deviations: vLLM recovers a list after junk ("[TOOL_CALLS] junk [{...}]") with a regex, and
// raises on a second [TOOL_CALLS] in the list form; here junk before the list makes the output
// content (junk reads as a malformed name), and several [TOOL_CALLS] lists are all read. A name
// is trimmed of whitespace and must be made of letters, digits and _ - . : / (vLLM takes any text
// before '{').
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "server/tool_calls/call_object_scanner.h"
#include "server/tool_calls/streaming_tool_call_parser.h"

namespace turbine::server {

class MistralToolCallParser final : public StreamingToolCallParser {
 public:
  MistralToolCallParser() : StreamingToolCallParser(ToolCallIdStyle::kMistral) {}

 protected:
  std::unique_ptr<StreamingToolCallParser> fresh() const override { return std::make_unique<MistralToolCallParser>(); }
  void advance(bool at_end) override;

 private:
  enum class State {
    kContent, kAfterBot, kListFirst, kListItem, kObject, kListNext, kAfterList, kName, kCallId, kArguments,
  };
  // Reads the name (kName) or the call id (kCallId) from rest(); false to return from advance().
  bool read_name_or_id(bool at_end);

  State state_ = State::kContent;
  std::optional<CallObjectScanner> object_;
  std::string name_;
  bool name_ended_ = false;  // whitespace after the name: only a tag or '{' may follow
};

}  // namespace turbine::server
