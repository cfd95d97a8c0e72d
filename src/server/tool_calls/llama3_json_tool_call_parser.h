// llama3_json: Llama 3.1 / 3.2 JSON tool calls (vLLM's Llama3JsonToolParser).
//
//   {"name": "get_weather", "parameters": {"city": "Paris"}}
//   <|python_tag|>{"name": "search", "parameters": {"query": "news"}}; {"name": "get_time", ...}
//
// An output is tool calls when it starts (after whitespace) with a JSON object or with
// <|python_tag|>, or when <|python_tag|> follows some content (that text stays content). Then come
// JSON objects with a string "name" and the arguments under "parameters" or "arguments",
// separated by ';' and/or whitespace; text after the last one is dropped. Arguments are json.dumps
// of the value. An object that is not a call (a plain JSON answer such as {"answer": 42}, which
// has no name) makes the whole output content.
//
// Deviation: vLLM's non-streaming parser also finds calls after leading prose ("Sure! {...}"),
// which its streaming parser does not; here prose first means content, both ways.
#pragma once

#include <memory>
#include <optional>

#include "server/tool_calls/call_object_scanner.h"
#include "server/tool_calls/streaming_tool_call_parser.h"

namespace turbine::server {

class Llama3JsonToolCallParser final : public StreamingToolCallParser {
 public:
  Llama3JsonToolCallParser() : StreamingToolCallParser(ToolCallIdStyle::kChatCompletionTool) {}

 protected:
  std::unique_ptr<StreamingToolCallParser> fresh() const override {
    return std::make_unique<Llama3JsonToolCallParser>();
  }
  void advance(bool at_end) override;

 private:
  enum class State { kStart, kContent, kAfterTag, kObject, kAfterObject, kAfterSeparator, kDrop };
  void start_object();

  State state_ = State::kStart;
  std::optional<CallObjectScanner> object_;
};

}  // namespace turbine::server
