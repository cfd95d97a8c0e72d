// ChatOutputShaper: how one chat choice's generated text becomes its message: reasoning_content
// (the server's --reasoning-parser), content, and tool_calls, whole or as a stream of deltas.
//
// Tool calls come from one of three places, by the request's tool choice (tool_choice.h):
//  - named: the whole output is the named function's arguments (its constraint made it so);
//  - required: the output is a JSON array of {"name", "parameters"} (its constraint made it so):
//    each element becomes a call as soon as it is complete;
//  - auto: the --tool-call-parser reads calls out of the content (tool_calls/tool_call_parser.h).
// With a reasoning parser, the text first goes through it and only its content reaches the tool
// path. A choice with neither is passed through as content.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/generation_plan.h"
#include "server/reasoning/reasoning_parser.h"
#include "server/tool_calls/tool_call_parser.h"

namespace turbine::server {

struct ShapedDelta {
  std::string reasoning;
  std::string content;
  std::vector<ToolCallDelta> tool_calls;
  bool empty() const { return reasoning.empty() && content.empty() && tool_calls.empty(); }
};

struct ShapedMessage {
  std::string reasoning;                // empty: none (null)
  std::optional<std::string> content;   // null when the output was all tool calls or reasoning
  std::vector<ToolCall> tool_calls;
};

class ChatOutputShaper {
 public:
  ChatOutputShaper(const GenerationPlan& plan, const Json& tools);

  // Whether there is anything to shape (else the text is the content, unchanged).
  bool active() const { return reasoning_ != nullptr || tool_mode_ != ToolChoice::Mode::kNone; }

  // Streaming: the next piece of text; `last`: the output ends with it (held-back text is
  // flushed). Nothing may be fed after the last piece.
  ShapedDelta feed(std::string_view text, bool last);
  // Non-streaming: the whole output.
  ShapedMessage whole(std::string_view text);

  // Whether the output called tools the way that makes the finish reason "tool_calls" (auto and
  // required; a named choice finishes with "stop", as OpenAI's does).
  bool reports_tool_calls() const { return reports_tool_calls_; }

 private:
  void content_to_tools(std::string_view content, bool at_end, ShapedDelta& out);
  // required: calls whose array element is complete in required_buffer_ (from scan_at_).
  void take_required_calls(ShapedDelta& out);
  static std::optional<ToolCall> call_of_element(std::string_view element);

  ToolChoice::Mode tool_mode_ = ToolChoice::Mode::kNone;
  std::string named_function_;
  std::unique_ptr<ReasoningParser> reasoning_;
  std::unique_ptr<ToolCallParser> parser_;  // auto
  // named
  std::optional<std::string> named_id_;
  // required: the text so far and the scan of its top-level array.
  std::string required_buffer_;
  size_t scan_at_ = 0;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  size_t element_start_ = std::string::npos;
  int next_index_ = 0;
  bool reports_tool_calls_ = false;
};

}  // namespace turbine::server
