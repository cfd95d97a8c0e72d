#include "server/tool_calls/streaming_tool_call_parser.h"

#include "common/error.h"
#include "server/tool_calls/text_scan.h"

namespace turbine::server {

ParsedDelta StreamingToolCallParser::feed(std::string_view text_delta) {
  TURBINE_CHECK(!finished_, "tool call parser fed after finish()");
  text_.append(text_delta);
  run(false);
  flush(false);
  return take();
}

ParsedDelta StreamingToolCallParser::finish() {
  TURBINE_CHECK(!finished_, "tool call parser finished twice");
  run(true);
  TURBINE_CHECK(stopped() || (pos_ == text_.size() && !call_open_), "a tool call parser left text unhandled");
  flush(true);
  finished_ = true;
  return take();
}

ToolCallParser::Result StreamingToolCallParser::parse(std::string_view output) {
  std::unique_ptr<StreamingToolCallParser> parser = fresh();
  Result result;
  result.content = parser->feed(output).content;
  result.content += parser->finish().content;
  if (parser->failed_) return Result{std::string(output), {}};
  for (size_t i = 0; i < parser->calls_.size(); ++i)
    if (parser->complete_[i]) result.calls.push_back(std::move(parser->calls_[i]));
  return result;
}

void StreamingToolCallParser::run(bool at_end) {
  if (mode_ == Mode::kParsing) advance(at_end);
  if (mode_ == Mode::kPassthrough) {
    content_pending_.append(text_, content_end_);
    content_end_ = text_.size();
  }
  if (mode_ != Mode::kParsing) pos_ = text_.size();
}

void StreamingToolCallParser::emit_content_to(size_t end) {
  TURBINE_CHECK(!call_open_ && calls_.empty() && end >= content_end_ && end <= text_.size(),
                "content must be one run before any tool call");
  content_pending_.append(text_, content_end_, end - content_end_);
  content_end_ = end;
}

void StreamingToolCallParser::begin_call(std::string name) {
  TURBINE_CHECK(!call_open_, "a tool call begun inside another");
  move_whole_characters(content_pending_, out_.content, true);
  ToolCall call{make_tool_call_id(id_style_), std::move(name), {}};
  out_.tool_calls.push_back(ToolCallDelta{int(calls_.size()), call.id, call.name, {}});
  calls_.push_back(std::move(call));
  complete_.push_back(false);
  call_open_ = true;
}

void StreamingToolCallParser::add_arguments(std::string_view arguments) {
  TURBINE_CHECK(call_open_, "tool call arguments outside a call");
  calls_.back().arguments.append(arguments);
  arguments_pending_.append(arguments);
}

void StreamingToolCallParser::end_call(bool complete) {
  TURBINE_CHECK(call_open_, "no tool call to end");
  if (!arguments_pending_.empty()) {
    delta_for_current_call().arguments_delta += arguments_pending_;
    arguments_pending_.clear();
  }
  complete_.back() = complete;
  call_open_ = false;
}

void StreamingToolCallParser::fail() {
  failed_ = true;
  if (calls_.empty()) {
    mode_ = Mode::kPassthrough;
    return;
  }
  mode_ = Mode::kDead;
  if (call_open_) end_call(false);
}

StreamingToolCallParser::CallObjectProgress StreamingToolCallParser::stream_call_object(CallObjectScanner& object,
                                                                                    bool at_end) {
  // One key or value at a time: the call begins at the byte that completes its name and arguments
  // key, before an error further on is read, however the text was split.
  do {
    consume_to(pos_ + object.feed(rest()));
    if (object.status() == CallObjectScanner::Status::kError) {
      if (call_open_) add_arguments(object.take_arguments());  // what was read before the error
      fail();
      return CallObjectProgress::kFailed;
    }
    if (!call_open_ && object.name() && object.has_arguments_key()) begin_call(*object.name());
    if (call_open_) add_arguments(object.take_arguments());
  } while (pos_ < text_.size() && object.status() == CallObjectScanner::Status::kIncomplete);
  if (object.status() == CallObjectScanner::Status::kComplete) {
    if (!call_open_ || !object.arguments_complete()) {  // no name or no arguments: vLLM's KeyError
      fail();
      return CallObjectProgress::kFailed;
    }
    return CallObjectProgress::kDone;
  }
  if (at_end) {  // the output ends inside the object
    fail();
    return CallObjectProgress::kFailed;
  }
  return CallObjectProgress::kWaiting;
}

ToolCallDelta& StreamingToolCallParser::delta_for_current_call() {
  const int index = int(calls_.size()) - 1;
  if (out_.tool_calls.empty() || out_.tool_calls.back().index != index) out_.tool_calls.push_back(ToolCallDelta{index});
  return out_.tool_calls.back();
}

void StreamingToolCallParser::flush(bool all) {
  move_whole_characters(content_pending_, out_.content, all);
  if (!arguments_pending_.empty()) {
    std::string piece;
    move_whole_characters(arguments_pending_, piece, all);
    if (!piece.empty()) delta_for_current_call().arguments_delta += piece;
  }
}

ParsedDelta StreamingToolCallParser::take() {
  ParsedDelta out = std::move(out_);
  out_ = ParsedDelta{};
  return out;
}

}  // namespace turbine::server
