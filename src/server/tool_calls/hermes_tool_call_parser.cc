#include "server/tool_calls/hermes_tool_call_parser.h"

#include "server/tool_calls/text_scan.h"

namespace turbine::server {
namespace {

constexpr std::string_view kOpen = "<tool_call>";
constexpr std::string_view kClose = "</tool_call>";

}  // namespace

void HermesToolCallParser::advance(bool at_end) {
  while (!stopped()) {
    const std::string_view r = rest();
    switch (state_) {
      case State::kContent:
      case State::kBetween: {
        const size_t at = r.find(kOpen);
        if (at != std::string_view::npos) {
          if (state_ == State::kContent) emit_content_to(pos() + at);
          consume_to(pos() + at + kOpen.size());
          object_.emplace(std::vector<std::string>{"arguments"});
          state_ = State::kObject;
          continue;
        }
        const size_t end = text().size() - (at_end ? 0 : partial_tag_overlap(r, kOpen));
        if (state_ == State::kContent) emit_content_to(end);
        consume_to(end);
        return;
      }
      case State::kObject:
        switch (stream_call_object(*object_, at_end)) {
          case CallObjectProgress::kWaiting: return;
          case CallObjectProgress::kFailed: return;
          case CallObjectProgress::kDone: state_ = State::kAfterObject; continue;
        }
        return;
      case State::kAfterObject: {
        size_t ws = 0;
        while (ws < r.size() && is_json_whitespace(r[ws])) ++ws;
        const std::string_view after = r.substr(ws);
        if (after.starts_with(kClose)) {
          consume_to(pos() + ws + kClose.size());
          end_call();
          state_ = State::kBetween;
          continue;
        }
        if (after.empty() && at_end) {  // no </tool_call>, but the JSON is whole: vLLM takes it
          consume_to(text().size());
          end_call();
          return;
        }
        if (!at_end && kClose.starts_with(after)) {
          consume_to(pos() + ws);
          return;
        }
        fail();  // text after the JSON: json.loads fails on the body
        return;
      }
    }
  }
}

}  // namespace turbine::server
