#include "server/tool_calls/qwen3_coder_tool_call_parser.h"

#include "server/tool_calls/python_json.h"
#include "server/tool_calls/text_scan.h"

namespace turbine::server {
namespace {

constexpr std::string_view kToolCallOpen = "<tool_call>";
constexpr std::string_view kToolCallClose = "</tool_call>";
constexpr std::string_view kFunctionOpen = "<function=";
constexpr std::string_view kFunctionClose = "</function>";
constexpr std::string_view kParameterOpen = "<parameter=";
constexpr std::string_view kParameterClose = "</parameter>";

// Whether `text` could still grow into "null" (any case).
bool could_be_null(std::string_view text) {
  static constexpr std::string_view kNull = "null";
  if (text.size() > kNull.size()) return false;
  for (size_t i = 0; i < text.size(); ++i)
    if ((text[i] | 0x20) != kNull[i]) return false;
  return true;
}

}  // namespace

void Qwen3CoderToolCallParser::parameter_key() {
  std::string key = parameters_ == 0 ? "{" : ", ";
  append_python_json_string(key, parameter_);
  key += ": ";
  add_arguments(key);
}

void Qwen3CoderToolCallParser::close_function() {
  add_arguments(parameters_ == 0 ? "{}" : "}");
  end_call();
}

void Qwen3CoderToolCallParser::value_progress(size_t end, bool terminated) {
  const std::string& t = text();
  if (!lead_checked_) {
    if (end == value_start_ && !terminated) return;
    lead_checked_ = true;
    text_start_ = value_start_ + (end > value_start_ && t[value_start_] == '\n' ? 1 : 0);
  }
  // One trailing newline is removed from the final value, so a newline at the end is held back.
  const bool newline_at_end = end > text_start_ && t[end - 1] == '\n';
  const size_t safe_end = newline_at_end ? end - 1 : end;
  if (type_ != ParameterType::kString) {
    if (!terminated) return;
    parameter_key();
    add_arguments(convert_parameter_value(std::string_view(t).substr(text_start_, safe_end - text_start_), type_));
    ++parameters_;
    return;
  }
  if (!string_open_) {
    const std::string_view value = std::string_view(t).substr(text_start_, safe_end - text_start_);
    if (!terminated && could_be_null(value)) return;
    parameter_key();
    if (terminated) {
      add_arguments(convert_parameter_value(value, ParameterType::kString));
      ++parameters_;
      return;
    }
    std::string piece = "\"";
    append_python_json_escaped(piece, value);
    add_arguments(piece);
    emitted_to_ = safe_end;
    string_open_ = true;
    return;
  }
  std::string piece;
  append_python_json_escaped(piece, std::string_view(t).substr(emitted_to_, safe_end - emitted_to_));
  emitted_to_ = safe_end;
  if (terminated) {
    piece += '"';
    ++parameters_;
  }
  add_arguments(piece);
}

void Qwen3CoderToolCallParser::advance(bool at_end) {
  while (!stopped()) {
    const std::string_view r = rest();
    switch (state_) {
      case State::kContent:
      case State::kBetween: {
        const TagMatch m = find_first_tag(r, 0, {kToolCallOpen, kFunctionOpen});
        if (m.found()) {
          if (state_ == State::kContent) emit_content_to(pos() + m.pos);
          entered_ = true;
          in_tool_call_ = m.tag == 0;
          consume_to(pos() + m.pos + (in_tool_call_ ? kToolCallOpen : kFunctionOpen).size());
          state_ = in_tool_call_ ? State::kToolCall : State::kFunctionName;
          scanned_ = 0;
          continue;
        }
        const size_t end = text().size() - (at_end ? 0 : partial_tag_overlap(r, {kToolCallOpen, kFunctionOpen}));
        if (state_ == State::kContent) emit_content_to(end);
        consume_to(end);
        if (at_end && entered_ && calls_begun() == 0) fail();  // tags, but no function in them
        return;
      }
      case State::kToolCall: {
        const TagMatch m = find_first_tag(r, 0, {kFunctionOpen, kToolCallClose});
        if (m.found()) {
          consume_to(pos() + m.pos + (m.tag == 0 ? kFunctionOpen : kToolCallClose).size());
          state_ = m.tag == 0 ? State::kFunctionName : State::kBetween;
          scanned_ = 0;
          continue;
        }
        consume_to(text().size() - (at_end ? 0 : partial_tag_overlap(r, {kFunctionOpen, kToolCallClose})));
        if (at_end && calls_begun() == 0) fail();
        return;
      }
      case State::kFunctionName:
      case State::kParameterName: {
        // The name runs to '>'; a closing tag before it means there is no name (vLLM's ValueError).
        // scanned_: bytes of rest() already searched (the name is waited for in place).
        const bool function = state_ == State::kFunctionName;
        const size_t from = scanned_ > kParameterClose.size() ? scanned_ - kParameterClose.size() : 0;
        const TagMatch m = in_tool_call_
                               ? find_first_tag(r, from, {">", kFunctionClose, kToolCallClose, kParameterOpen, kParameterClose})
                               : find_first_tag(r, from, {">", kFunctionClose, kParameterOpen, kParameterClose});
        if (!m.found()) {
          scanned_ = r.size();
          if (at_end) fail();
          return;
        }
        scanned_ = 0;
        if (m.tag != 0) {
          fail();
          return;
        }
        std::string name(r.substr(0, m.pos));
        consume_to(pos() + m.pos + 1);
        if (function) {
          function_ = name;
          parameters_ = 0;
          begin_call(std::move(name));
          state_ = State::kFunctionBody;
        } else {
          parameter_ = std::move(name);
          type_ = types_->type_of(function_, parameter_);
          value_start_ = scanned_ = emitted_to_ = pos();
          lead_checked_ = string_open_ = false;
          state_ = State::kParameterValue;
        }
        continue;
      }
      case State::kFunctionBody: {
        const TagMatch m = in_tool_call_ ? find_first_tag(r, 0, {kParameterOpen, kFunctionClose, kToolCallClose})
                                         : find_first_tag(r, 0, {kParameterOpen, kFunctionClose});
        if (!m.found()) {
          const size_t keep = at_end ? 0
                              : in_tool_call_ ? partial_tag_overlap(r, {kParameterOpen, kFunctionClose, kToolCallClose})
                                              : partial_tag_overlap(r, {kParameterOpen, kFunctionClose});
          consume_to(text().size() - keep);
          if (at_end) close_function();  // unterminated: vLLM still reads the call
          return;
        }
        static constexpr std::string_view kTags[] = {kParameterOpen, kFunctionClose, kToolCallClose};
        consume_to(pos() + m.pos + kTags[m.tag].size());
        if (m.tag == 0) {
          state_ = State::kParameterName;
          scanned_ = 0;
        } else {
          close_function();
          state_ = m.tag == 1 && in_tool_call_ ? State::kToolCall : State::kBetween;
        }
        continue;
      }
      case State::kParameterValue: {
        const std::string_view t = text();
        const TagMatch m = in_tool_call_
                               ? find_first_tag(t, scanned_, {kParameterClose, kParameterOpen, kFunctionClose, kToolCallClose})
                               : find_first_tag(t, scanned_, {kParameterClose, kParameterOpen, kFunctionClose});
        if (m.found() || at_end) {
          const size_t end = m.found() ? m.pos : t.size();
          value_progress(end, true);
          consume_to(m.found() && m.tag == 0 ? end + kParameterClose.size() : end);
          state_ = State::kFunctionBody;
          continue;
        }
        const std::string_view value = t.substr(value_start_);
        const size_t keep = in_tool_call_
                                ? partial_tag_overlap(value, {kParameterClose, kParameterOpen, kFunctionClose, kToolCallClose})
                                : partial_tag_overlap(value, {kParameterClose, kParameterOpen, kFunctionClose});
        scanned_ = t.size() - keep;
        value_progress(scanned_, false);
        return;
      }
    }
  }
}

}  // namespace turbine::server
