#include "tokenizer/pattern.h"

namespace turbine::tokenizer {

Pattern Pattern::from_json(const Json& pattern, std::string_view where) {
  if (const Json* text = optional_field(pattern, "String")) {
    if (!text->is_string()) fail("{}: pattern \"String\" must be a string", where);
    return literal(text->get<std::string>());
  }
  if (const Json* regex = optional_field(pattern, "Regex")) {
    if (!regex->is_string()) fail("{}: pattern \"Regex\" must be a string", where);
    Pattern result;
    result.regex_.emplace(regex->get<std::string>(), where);
    return result;
  }
  fail("{}: pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}, got {}", where,
       pattern.dump());
}

Pattern Pattern::literal(std::string text) {
  Pattern result;
  result.literal_ = std::move(text);
  return result;
}

void Pattern::find_all(std::string_view text, std::vector<MatchRange>& out) const {
  if (regex_) {
    regex_->find_all(text, out);
    return;
  }
  if (literal_.empty()) return;  // an empty literal never splits anything
  for (size_t pos = text.find(literal_); pos != std::string_view::npos;
       pos = text.find(literal_, pos + literal_.size())) {
    out.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(pos + literal_.size())});
  }
}

std::string Pattern::replace_all(std::string_view text, std::string_view content) const {
  std::vector<MatchRange> matches;
  find_all(text, matches);
  if (matches.empty()) return std::string(text);
  std::string out;
  out.reserve(text.size() + matches.size() * content.size());
  size_t copied = 0;
  for (const MatchRange& m : matches) {
    out.append(text.data() + copied, m.begin - copied);
    out.append(content);
    copied = m.end;
  }
  out.append(text.data() + copied, text.size() - copied);
  return out;
}

}  // namespace turbine::tokenizer
