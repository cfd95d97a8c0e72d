// Grammar source text for the EBNF front ends (GBNF, Lark): offsets to line and column, the
// "grammar: <what> at line L column C" errors, and strict UTF-8 decoding and encoding.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace turbine::structured::ebnf {

class SourceText {
 public:
  explicit SourceText(std::string_view text) : text_(text) {}

  std::string_view text() const { return text_; }
  size_t size() const { return text_.size(); }

  // "line L column C" for a byte offset (1-based; columns count code points).
  std::string where(size_t offset) const;

  // Throws turbine::Error "grammar: <what> at line L column C".
  [[noreturn]] void fail_at(size_t offset, const std::string& what) const;

  // The `digits` hex digits of an escape (\xHH, \uHHHH, ...) at `pos`, advancing it: a Unicode
  // scalar value, else an Error at `escape_start`.
  uint32_t hex_escape(size_t& pos, int digits, size_t escape_start) const;

 private:
  std::string_view text_;
};

// Decodes one code point of strict UTF-8 (no overlongs, surrogates or values past 10FFFF) at
// `pos`, advancing it; false (pos unchanged) when the bytes there are not valid UTF-8.
bool decode_utf8(std::string_view text, size_t& pos, uint32_t& codepoint);

// Appends the UTF-8 encoding of a scalar value (not a surrogate, at most 10FFFF).
void append_utf8(std::string& out, uint32_t codepoint);

// Whether `codepoint` is a Unicode scalar value (encodable as UTF-8).
inline bool is_scalar_value(uint32_t codepoint) {
  return codepoint <= 0x10FFFF && (codepoint < 0xD800 || codepoint > 0xDFFF);
}

// The largest bounded repetition count a grammar may spell ({m,n}, ~ n..m): the compiler expands
// bounded repetition into copies.
inline constexpr int kMaxRepeat = 10000;

}  // namespace turbine::structured::ebnf
