#include "structured/ebnf_source.h"

#include <fmt/format.h>

#include "common/error.h"
#include "tokenizer/utf8.h"

namespace turbine::structured::ebnf {

std::string SourceText::where(size_t offset) const {
  if (offset > text_.size()) offset = text_.size();
  int line = 1, column = 1;
  for (size_t i = 0; i < offset; ++i) {
    const auto c = uint8_t(text_[i]);
    if (c == '\n') {
      ++line;
      column = 1;
    } else if ((c & 0xC0) != 0x80) {  // continuation bytes do not start a column
      ++column;
    }
  }
  return fmt::format("line {} column {}", line, column);
}

void SourceText::fail_at(size_t offset, const std::string& what) const {
  fail("grammar: {} at {}", what, where(offset));
}

bool decode_utf8(std::string_view text, size_t& pos, uint32_t& codepoint) {
  if (pos >= text.size()) return false;
  const auto b0 = uint8_t(text[pos]);
  int len;
  uint32_t cp;
  if (b0 < 0x80) { codepoint = b0; ++pos; return true; }
  if ((b0 & 0xE0) == 0xC0) { len = 2; cp = b0 & 0x1F; }
  else if ((b0 & 0xF0) == 0xE0) { len = 3; cp = b0 & 0x0F; }
  else if ((b0 & 0xF8) == 0xF0) { len = 4; cp = b0 & 0x07; }
  else return false;
  if (pos + size_t(len) > text.size()) return false;
  for (int i = 1; i < len; ++i) {
    const auto b = uint8_t(text[pos + size_t(i)]);
    if ((b & 0xC0) != 0x80) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || !is_scalar_value(cp)) return false;
  codepoint = cp;
  pos += size_t(len);
  return true;
}

uint32_t SourceText::hex_escape(size_t& pos, int digits, size_t escape_start) const {
  uint32_t v = 0;
  for (int i = 0; i < digits; ++i, ++pos) {
    const char c = pos < text_.size() ? text_[pos] : '\0';
    int d = 0;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else fail_at(escape_start, fmt::format("escape needs {} hex digits", digits));
    v = v * 16 + uint32_t(d);
  }
  if (!is_scalar_value(v))
    fail_at(escape_start, fmt::format("escape U+{:04X} is not a Unicode scalar value (no UTF-8 for it)", v));
  return v;
}

void append_utf8(std::string& out, uint32_t codepoint) { tokenizer::utf8::append(out, char32_t(codepoint)); }

}  // namespace turbine::structured::ebnf
