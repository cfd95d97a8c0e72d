#include "server/tool_calls/mistral_tool_call_parser.h"

#include "server/tool_calls/text_scan.h"

namespace turbine::server {
namespace {

constexpr std::string_view kBot = "[TOOL_CALLS]";
constexpr std::string_view kArgs = "[ARGS]";
constexpr std::string_view kCallId = "[CALL_ID]";
constexpr size_t kMaxNameBytes = 256;

bool is_name_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == ':' || c == '/' || u >= 0x80;
}

size_t leading_whitespace(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && is_json_whitespace(s[n])) ++n;
  return n;
}

}  // namespace

bool MistralToolCallParser::read_name_or_id(bool at_end) {
  const std::string_view r = rest();
  const bool id = state_ == State::kCallId;
  for (size_t i = 0; i < r.size(); ++i) {
    const std::string_view here = r.substr(i);
    const char c = r[i];
    if (here.starts_with(kBot)) {  // a name with no arguments: vLLM skips it
      consume_to(pos() + i + kBot.size());
      state_ = State::kAfterBot;
      return true;
    }
    const bool args_tag = here.starts_with(kArgs);
    if (args_tag || c == '{') {
      if (name_.empty()) {
        fail();
        return false;
      }
      consume_to(pos() + i + (args_tag ? kArgs.size() : 0));
      begin_call(std::move(name_));
      state_ = State::kArguments;
      return true;
    }
    if (!id && here.starts_with(kCallId)) {
      consume_to(pos() + i + kCallId.size());
      state_ = State::kCallId;
      return true;
    }
    if (c == '[') {
      if (kBot.starts_with(here) || kArgs.starts_with(here) || (!id && kCallId.starts_with(here))) {
        if (!at_end) {
          consume_to(pos() + i);  // a tag may be starting: wait for it
          return false;
        }
        break;  // the output ends inside a tag: a name with no arguments
      }
      fail();
      return false;
    }
    if (is_json_whitespace(c)) {
      if (!name_.empty()) name_ended_ = true;
      continue;
    }
    if (id) continue;  // the call id is not used
    if (name_ended_ || !is_name_byte(c) || name_.size() >= kMaxNameBytes) {
      fail();  // not a function name: this is not a tool call
      return false;
    }
    name_ += c;
  }
  consume_to(text().size());
  if (at_end) {
    name_.clear();  // a name with no arguments: dropped
    state_ = State::kAfterList;
  }
  return false;
}

void MistralToolCallParser::advance(bool at_end) {
  while (!stopped()) {
    const std::string_view r = rest();
    switch (state_) {
      case State::kContent:
      case State::kAfterList: {
        const size_t at = r.find(kBot);
        if (at != std::string_view::npos) {
          if (state_ == State::kContent) emit_content_to(pos() + at);
          consume_to(pos() + at + kBot.size());
          state_ = State::kAfterBot;
          continue;
        }
        const size_t end = text().size() - (at_end ? 0 : partial_tag_overlap(r, kBot));
        if (state_ == State::kContent) emit_content_to(end);
        consume_to(end);
        return;
      }
      case State::kAfterBot: {
        const size_t ws = leading_whitespace(r);
        consume_to(pos() + ws);
        if (ws == r.size()) {
          if (at_end) state_ = State::kAfterList;  // nothing after [TOOL_CALLS]
          if (at_end) continue;
          return;
        }
        if (r[ws] == '[') {  // a list, unless a tag ("[A...]") follows: tags start with a capital
          if (r.size() - ws < 2 && !at_end) return;
          const char next = ws + 1 < r.size() ? r[ws + 1] : '\0';
          if (!(next >= 'A' && next <= 'Z')) {
            consume_to(pos() + 1);
            state_ = State::kListFirst;
            continue;
          }
        }
        name_.clear();
        name_ended_ = false;
        state_ = State::kName;
        continue;
      }
      case State::kListFirst:
      case State::kListItem:
      case State::kListNext: {
        const size_t ws = leading_whitespace(r);
        consume_to(pos() + ws);
        if (ws == r.size()) {
          if (at_end) fail();  // the list never closes
          return;
        }
        const char c = r[ws];
        if (c == '{' && state_ != State::kListNext) {
          object_.emplace(std::vector<std::string>{"arguments"});
          state_ = State::kObject;
        } else if (c == ']' && state_ != State::kListItem) {
          consume_to(pos() + 1);
          state_ = State::kAfterList;
        } else if (c == ',' && state_ == State::kListNext) {
          consume_to(pos() + 1);
          state_ = State::kListItem;
        } else {
          fail();
          return;
        }
        continue;
      }
      case State::kObject:
        switch (stream_call_object(*object_, at_end)) {
          case CallObjectProgress::kWaiting: return;
          case CallObjectProgress::kFailed: return;
          case CallObjectProgress::kDone:
            end_call();
            state_ = State::kListNext;
            continue;
        }
        return;
      case State::kName:
      case State::kCallId:
        if (!read_name_or_id(at_end)) return;
        continue;
      case State::kArguments: {
        const size_t at = r.find(kBot);
        if (at != std::string_view::npos) {
          add_arguments(r.substr(0, at));
          end_call();
          consume_to(pos() + at + kBot.size());
          state_ = State::kAfterBot;
          continue;
        }
        const size_t keep = at_end ? 0 : partial_tag_overlap(r, kBot);
        add_arguments(r.substr(0, r.size() - keep));
        consume_to(text().size() - keep);
        if (at_end) end_call();
        return;
      }
    }
  }
}

}  // namespace turbine::server
