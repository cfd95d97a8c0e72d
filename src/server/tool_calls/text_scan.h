// Text scanning shared by the streaming tool-call and reasoning parsers: finding the first of
// several tags, how much of a text's end could still grow into a tag (that much is held back so
// a stream never shows part of a tag as text), and where UTF-8 text can be cut without splitting
// a character (so every emitted piece is whole characters even when deltas split one).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace turbine::server {

// The longest suffix of `text` that is a proper, non-empty prefix of `tag` (0 if none).
size_t partial_tag_overlap(std::string_view text, std::string_view tag);
// The same for several tags: the longest such suffix for any of them.
size_t partial_tag_overlap(std::string_view text, std::initializer_list<std::string_view> tags);
size_t partial_tag_overlap(std::string_view text, const std::vector<std::string_view>& tags);

struct TagMatch {
  size_t pos = std::string_view::npos;  // npos: none of the tags occurs
  size_t tag = 0;                       // which tag (its index in the list)
  bool found() const { return pos != std::string_view::npos; }
};
// The earliest occurrence in `text` at or after `from` of any of `tags` (the first listed wins a
// tie).
TagMatch find_first_tag(std::string_view text, size_t from, std::initializer_list<std::string_view> tags);
TagMatch find_first_tag(std::string_view text, size_t from, const std::vector<std::string_view>& tags);

// The length of the longest prefix of `text` that does not end inside a UTF-8 character: a lead
// byte near the end whose continuation bytes have not all arrived is left out with them.
size_t utf8_safe_length(std::string_view text);

// Moves the part of `pending` that ends on a character boundary (all of it when `all`) to the end
// of `out`.
void move_whole_characters(std::string& pending, std::string& out, bool all);

bool is_json_whitespace(char c);

}  // namespace turbine::server
