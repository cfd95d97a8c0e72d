#include "server/chat_output_shaper.h"

#include "server/tool_calls/tool_call_ids.h"

namespace turbine::server {

ChatOutputShaper::ChatOutputShaper(const GenerationPlan& plan, const Json& tools)
    : tool_mode_(plan.tool_choice.mode), named_function_(plan.tool_choice.name) {
  if (!plan.reasoning_parser.empty())
    reasoning_ = make_reasoning_parser(plan.reasoning_parser, plan.thinking_in_prompt);
  if (tool_mode_ == ToolChoice::Mode::kAuto) parser_ = make_tool_call_parser(plan.tool_call_parser, tools);
}

std::optional<ToolCall> ChatOutputShaper::call_of_element(std::string_view element) {
  Json value;
  try {
    value = Json::parse(element);
  } catch (const Json::parse_error&) {
    return std::nullopt;
  }
  if (!value.is_object() || !value.contains("name") || !value["name"].is_string()) return std::nullopt;
  ToolCall call;
  call.id = make_tool_call_id(ToolCallIdStyle::kChatCompletionTool);
  call.name = value["name"].get<std::string>();
  call.arguments = value.contains("parameters") ? value["parameters"].dump() : "{}";
  return call;
}

void ChatOutputShaper::take_required_calls(ShapedDelta& out) {
  // A small scanner over the JSON array: depth and strings, so that each top-level element's end
  // is found as soon as its text is complete (the constraint guarantees the syntax).
  for (; scan_at_ < required_buffer_.size(); ++scan_at_) {
    const char c = required_buffer_[scan_at_];
    if (in_string_) {
      if (escaped_) escaped_ = false;
      else if (c == '\\') escaped_ = true;
      else if (c == '"') in_string_ = false;
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '[' || c == '{') {
      if (depth_ == 1 && c == '{') element_start_ = scan_at_;
      ++depth_;
    } else if (c == ']' || c == '}') {
      --depth_;
      if (depth_ == 1 && c == '}' && element_start_ != std::string::npos) {
        const std::string_view element(required_buffer_.data() + element_start_, scan_at_ + 1 - element_start_);
        element_start_ = std::string::npos;
        if (auto call = call_of_element(element)) {
          out.tool_calls.push_back({next_index_++, call->id, call->name, call->arguments});
          reports_tool_calls_ = true;
        }
      }
    }
  }
}

void ChatOutputShaper::content_to_tools(std::string_view content, bool at_end, ShapedDelta& out) {
  switch (tool_mode_) {
    case ToolChoice::Mode::kNone:
      out.content += content;
      return;
    case ToolChoice::Mode::kNamed:
      if (content.empty()) return;
      if (!named_id_) {
        named_id_ = make_tool_call_id(ToolCallIdStyle::kChatCompletionTool);
        out.tool_calls.push_back({0, named_id_, named_function_, std::string(content)});
      } else {
        out.tool_calls.push_back({0, std::nullopt, std::nullopt, std::string(content)});
      }
      return;
    case ToolChoice::Mode::kRequired:
      required_buffer_ += content;
      take_required_calls(out);
      return;
    case ToolChoice::Mode::kAuto: {
      ParsedDelta d = parser_->feed(content);
      if (at_end) {
        ParsedDelta rest = parser_->finish();
        d.content += rest.content;
        d.tool_calls.insert(d.tool_calls.end(), rest.tool_calls.begin(), rest.tool_calls.end());
      }
      out.content += d.content;
      if (!d.tool_calls.empty()) reports_tool_calls_ = true;
      out.tool_calls.insert(out.tool_calls.end(), d.tool_calls.begin(), d.tool_calls.end());
      return;
    }
  }
}

ShapedDelta ChatOutputShaper::feed(std::string_view text, bool last) {
  ShapedDelta out;
  if (!reasoning_) {
    content_to_tools(text, last, out);
    return out;
  }
  ReasoningDelta r = reasoning_->feed(text);
  if (last) {
    ReasoningDelta rest = reasoning_->finish();
    r.reasoning += rest.reasoning;
    r.content += rest.content;
  }
  out.reasoning = std::move(r.reasoning);
  content_to_tools(r.content, last, out);
  return out;
}

ShapedMessage ChatOutputShaper::whole(std::string_view text) {
  ShapedMessage m;
  std::string content(text);
  if (reasoning_) {
    ReasoningParser::Result r = reasoning_->parse(text);
    m.reasoning = std::move(r.reasoning);
    content = std::move(r.content);
  }
  switch (tool_mode_) {
    case ToolChoice::Mode::kNone:
      if (!content.empty() || !reasoning_) m.content = std::move(content);
      break;
    case ToolChoice::Mode::kNamed:
      m.tool_calls.push_back({make_tool_call_id(ToolCallIdStyle::kChatCompletionTool), named_function_, content});
      break;
    case ToolChoice::Mode::kRequired: {
      ShapedDelta d;
      required_buffer_ = content;
      scan_at_ = 0;
      take_required_calls(d);
      for (ToolCallDelta& c : d.tool_calls) m.tool_calls.push_back({*c.id, *c.name, std::move(c.arguments_delta)});
      // An array cut short (max_tokens) keeps its complete calls; with none, the text is content.
      if (m.tool_calls.empty()) m.content = std::move(content);
      break;
    }
    case ToolChoice::Mode::kAuto: {
      ToolCallParser::Result r = parser_->parse(content);
      m.tool_calls = std::move(r.calls);
      reports_tool_calls_ = !m.tool_calls.empty();
      if (!r.content.empty() || m.tool_calls.empty()) m.content = std::move(r.content);
      break;
    }
  }
  return m;
}

}  // namespace turbine::server
