#include "server/tool_calls/text_scan.h"

#include <algorithm>

namespace turbine::server {

size_t partial_tag_overlap(std::string_view text, std::string_view tag) {
  if (tag.empty()) return 0;
  for (size_t k = std::min(text.size(), tag.size() - 1); k > 0; --k)
    if (text.substr(text.size() - k) == tag.substr(0, k)) return k;
  return 0;
}

namespace {

template <typename Tags>
size_t longest_overlap(std::string_view text, const Tags& tags) {
  size_t best = 0;
  for (std::string_view tag : tags) best = std::max(best, partial_tag_overlap(text, tag));
  return best;
}

template <typename Tags>
TagMatch first_tag(std::string_view text, size_t from, const Tags& tags) {
  TagMatch best;
  size_t index = 0;
  for (std::string_view tag : tags) {
    const size_t pos = text.find(tag, from);
    if (pos != std::string_view::npos && (!best.found() || pos < best.pos)) best = TagMatch{pos, index};
    ++index;
  }
  return best;
}

}  // namespace

size_t partial_tag_overlap(std::string_view text, std::initializer_list<std::string_view> tags) {
  return longest_overlap(text, tags);
}
size_t partial_tag_overlap(std::string_view text, const std::vector<std::string_view>& tags) {
  return longest_overlap(text, tags);
}
TagMatch find_first_tag(std::string_view text, size_t from, std::initializer_list<std::string_view> tags) {
  return first_tag(text, from, tags);
}
TagMatch find_first_tag(std::string_view text, size_t from, const std::vector<std::string_view>& tags) {
  return first_tag(text, from, tags);
}

size_t utf8_safe_length(std::string_view text) {
  // Look back over at most three continuation bytes for the lead byte of the last character.
  const size_t n = text.size();
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    const auto byte = static_cast<unsigned char>(text[n - back]);
    if ((byte & 0xC0) == 0x80) continue;  // a continuation byte
    size_t length = 1;
    if ((byte & 0xE0) == 0xC0) length = 2;
    else if ((byte & 0xF0) == 0xE0) length = 3;
    else if ((byte & 0xF8) == 0xF0) length = 4;
    return back < length ? n - back : n;
  }
  return n;  // only continuation bytes at the end: not a character we can complete
}

void move_whole_characters(std::string& pending, std::string& out, bool all) {
  const size_t n = all ? pending.size() : utf8_safe_length(pending);
  out.append(pending, 0, n);
  pending.erase(0, n);
}

bool is_json_whitespace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace turbine::server
