#include "server/reasoning/think_tag_reasoning_parser.h"

#include "common/error.h"
#include "server/tool_calls/text_scan.h"

namespace turbine::server {
namespace {

constexpr std::string_view kStart = "<think>";
constexpr std::string_view kEnd = "</think>";
constexpr std::string_view kToolCall = "<tool_call>";

}  // namespace

ReasoningDelta ThinkTagReasoningParser::feed(std::string_view text_delta) {
  TURBINE_CHECK(!finished_, "reasoning parser fed after finish()");
  pending_.append(text_delta);
  advance(false);
  return take(false);
}

ReasoningDelta ThinkTagReasoningParser::finish() {
  TURBINE_CHECK(!finished_, "reasoning parser finished twice");
  advance(true);
  finished_ = true;
  return take(true);
}

ReasoningParser::Result ThinkTagReasoningParser::parse(std::string_view output) {
  ThinkTagReasoningParser parser(options_);
  ReasoningDelta a = parser.feed(output);
  ReasoningDelta b = parser.finish();
  return Result{a.reasoning + b.reasoning, a.content + b.content};
}

void ThinkTagReasoningParser::advance(bool at_end) {
  size_t pos = 0;
  while (in_reasoning_) {
    std::vector<std::string_view> tags = {kEnd};
    if (!start_tag_removed_) tags.push_back(kStart);
    if (options_.tool_call_ends_reasoning) tags.push_back(kToolCall);
    const TagMatch m = find_first_tag(pending_, pos, tags);
    if (!m.found()) {
      const size_t keep = at_end ? 0 : partial_tag_overlap(std::string_view(pending_).substr(pos), tags);
      reasoning_.append(pending_, pos, pending_.size() - pos - keep);
      pending_.erase(0, pending_.size() - keep);
      return;
    }
    reasoning_.append(pending_, pos, m.pos - pos);
    const std::string_view tag = tags[m.tag];
    if (tag == kStart) {
      start_tag_removed_ = true;
      pos = m.pos + kStart.size();
    } else {
      in_reasoning_ = false;
      pos = tag == kEnd ? m.pos + kEnd.size() : m.pos;  // a <tool_call> stays, for the tool parser
    }
  }
  content_.append(pending_, pos);
  pending_.clear();
}

ReasoningDelta ThinkTagReasoningParser::take(bool all) {
  ReasoningDelta out;
  move_whole_characters(reasoning_, out.reasoning, all);
  move_whole_characters(content_, out.content, all);
  return out;
}

}  // namespace turbine::server
