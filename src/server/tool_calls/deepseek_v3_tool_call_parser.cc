#include "server/tool_calls/deepseek_v3_tool_call_parser.h"

#include "server/tool_calls/text_scan.h"

namespace turbine::server {
namespace {

// "｜" is U+FF5C (EF BD 9C), "▁" is U+2581 (E2 96 81).
#define TURBINE_DS_BAR "\xEF\xBD\x9C"
#define TURBINE_DS_SPACE "\xE2\x96\x81"
constexpr std::string_view kCallsBegin = "<" TURBINE_DS_BAR "tool" TURBINE_DS_SPACE "calls" TURBINE_DS_SPACE "begin" TURBINE_DS_BAR ">";
constexpr std::string_view kCallsEnd = "<" TURBINE_DS_BAR "tool" TURBINE_DS_SPACE "calls" TURBINE_DS_SPACE "end" TURBINE_DS_BAR ">";
constexpr std::string_view kCallBegin = "<" TURBINE_DS_BAR "tool" TURBINE_DS_SPACE "call" TURBINE_DS_SPACE "begin" TURBINE_DS_BAR ">";
constexpr std::string_view kSep = "<" TURBINE_DS_BAR "tool" TURBINE_DS_SPACE "sep" TURBINE_DS_BAR ">";
constexpr std::string_view kArgumentsEnd =
    "\n```<" TURBINE_DS_BAR "tool" TURBINE_DS_SPACE "call" TURBINE_DS_SPACE "end" TURBINE_DS_BAR ">";
#undef TURBINE_DS_BAR
#undef TURBINE_DS_SPACE
constexpr std::string_view kFence = "```json\n";

}  // namespace

void DeepSeekV3ToolCallParser::advance(bool at_end) {
  while (!stopped()) {
    const std::string_view r = rest();
    switch (state_) {
      case State::kContent: {
        const size_t at = r.find(kCallsBegin);
        if (at != std::string_view::npos) {
          emit_content_to(pos() + at);
          consume_to(pos() + at + kCallsBegin.size());
          state_ = State::kCalls;
          continue;
        }
        const size_t end = text().size() - (at_end ? 0 : partial_tag_overlap(r, kCallsBegin));
        emit_content_to(end);
        consume_to(end);
        return;
      }
      case State::kCalls: {  // between calls: look for the next one or the end of the calls
        const TagMatch m = find_first_tag(r, 0, {kCallBegin, kCallsEnd});
        if (!m.found()) {
          consume_to(text().size() - (at_end ? 0 : partial_tag_overlap(r, {kCallBegin, kCallsEnd})));
          return;
        }
        if (m.tag == 0) {
          consume_to(pos() + m.pos + kCallBegin.size());
          state_ = State::kType;
        } else {
          consume_to(pos() + m.pos + kCallsEnd.size());
          state_ = State::kDone;
        }
        continue;
      }
      case State::kType: {
        // scanned_: bytes of rest() already searched (the type and name are waited for in place).
        const size_t sep = r.find(kSep, scanned_ >= kSep.size() ? scanned_ - kSep.size() + 1 : 0);
        const size_t newline = r.find('\n', scanned_);
        if (newline != std::string_view::npos && (sep == std::string_view::npos || newline < sep)) {
          scanned_ = 0;
          state_ = State::kCalls;  // not a call's shape: skipped
          continue;
        }
        if (sep == std::string_view::npos) {
          scanned_ = r.size();
          if (at_end) consume_to(text().size());
          return;
        }
        if (r.substr(0, sep) != "function") {  // vLLM's ToolCall only takes type "function"
          fail();
          return;
        }
        scanned_ = 0;
        consume_to(pos() + sep + kSep.size());
        state_ = State::kName;
        continue;
      }
      case State::kName: {
        const size_t newline = r.find('\n', scanned_);
        if (newline == std::string_view::npos) {
          scanned_ = r.size();
          if (at_end) consume_to(text().size());
          return;
        }
        scanned_ = 0;
        name_ = std::string(r.substr(0, newline));
        consume_to(pos() + newline + 1);
        state_ = State::kFence;
        continue;
      }
      case State::kFence:
        if (r.starts_with(kFence)) {
          consume_to(pos() + kFence.size());
          begin_call(std::move(name_));
          state_ = State::kArguments;
          continue;
        }
        if (kFence.starts_with(r) && !at_end) return;
        state_ = State::kCalls;  // not a call's shape: skipped
        continue;
      case State::kArguments: {
        const size_t at = r.find(kArgumentsEnd);
        if (at != std::string_view::npos) {
          add_arguments(r.substr(0, at));
          end_call();
          consume_to(pos() + at + kArgumentsEnd.size());
          state_ = State::kCalls;
          continue;
        }
        const size_t keep = at_end ? 0 : partial_tag_overlap(r, kArgumentsEnd);
        add_arguments(r.substr(0, r.size() - keep));
        consume_to(text().size() - keep);
        if (at_end) end_call(/*complete=*/false);
        return;
      }
      case State::kDone:
        consume_to(text().size());
        return;
    }
  }
}

}  // namespace turbine::server
