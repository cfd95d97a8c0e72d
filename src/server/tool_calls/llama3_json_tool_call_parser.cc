#include "server/tool_calls/llama3_json_tool_call_parser.h"

#include "server/tool_calls/text_scan.h"

namespace turbine::server {
namespace {

constexpr std::string_view kPythonTag = "<|python_tag|>";

size_t leading_whitespace(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && is_json_whitespace(s[n])) ++n;
  return n;
}

}  // namespace

void Llama3JsonToolCallParser::start_object() {
  object_.emplace(std::vector<std::string>{"parameters", "arguments"});
  state_ = State::kObject;
}

void Llama3JsonToolCallParser::advance(bool at_end) {
  while (!stopped()) {
    const std::string_view r = rest();
    const size_t ws = leading_whitespace(r);
    const std::string_view after = r.substr(ws);
    switch (state_) {
      case State::kStart:
        if (after.starts_with(kPythonTag)) {
          consume_to(pos() + ws + kPythonTag.size());
          state_ = State::kAfterTag;
          continue;
        }
        if (!after.empty() && after.front() == '{') {
          consume_to(pos() + ws);
          start_object();
          continue;
        }
        if (!at_end && kPythonTag.starts_with(after)) return;  // undecided: hold it all back
        state_ = State::kContent;
        continue;
      case State::kContent: {
        const size_t at = r.find(kPythonTag);
        if (at != std::string_view::npos) {
          emit_content_to(pos() + at);
          consume_to(pos() + at + kPythonTag.size());
          state_ = State::kAfterTag;
          continue;
        }
        const size_t end = text().size() - (at_end ? 0 : partial_tag_overlap(r, kPythonTag));
        emit_content_to(end);
        consume_to(end);
        return;
      }
      case State::kAfterTag:
        consume_to(pos() + ws);
        if (!after.empty() && after.front() == '{') {
          start_object();
          continue;
        }
        if (!after.empty() || at_end) fail();  // the tag is not followed by a call
        return;
      case State::kObject:
        switch (stream_call_object(*object_, at_end)) {
          case CallObjectProgress::kWaiting: return;
          case CallObjectProgress::kFailed: return;
          case CallObjectProgress::kDone:
            end_call();
            state_ = State::kAfterObject;
            continue;
        }
        return;
      case State::kAfterObject:
      case State::kAfterSeparator:
        consume_to(pos() + ws);
        if (after.empty()) return;
        if (after.front() == '{') {
          start_object();
        } else if (after.front() == ';' && state_ == State::kAfterObject) {
          consume_to(pos() + 1);
          state_ = State::kAfterSeparator;
        } else {
          state_ = State::kDrop;  // trailing text after the calls
        }
        continue;
      case State::kDrop:
        consume_to(text().size());
        return;
    }
  }
}

}  // namespace turbine::server
