// UTF-8 helpers shared by the tokenizer pipeline.
//
// The encode path validates its input once (`to_valid_utf8`) and afterwards every component may
// assume well-formed UTF-8, so the decoding helpers here do no checking of their own. The lossy
// conversion follows the "maximal subpart" rule (one U+FFFD per maximal prefix of a valid
// sequence), which is what Rust's `String::from_utf8_lossy` does: Hugging Face decoders use it, so
// our decoded text matches theirs byte for byte even for invalid byte sequences.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace turbine::tokenizer::utf8 {

inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

// Length of the character whose first byte is `lead` (1 for stray continuation bytes).
inline int char_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead < 0xE0) return lead < 0xC0 ? 1 : 2;
  if (lead < 0xF0) return 3;
  return 4;
}

// Decodes the character at `pos` of valid UTF-8 text; returns its length in bytes.
inline int decode(std::string_view text, size_t pos, char32_t* code_point) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data()) + pos;
  if (p[0] < 0x80) {
    *code_point = p[0];
    return 1;
  }
  if (p[0] < 0xE0) {
    *code_point = (char32_t(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if (p[0] < 0xF0) {
    *code_point = (char32_t(p[0] & 0x0F) << 12) | (char32_t(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return 3;
  }
  *code_point = (char32_t(p[0] & 0x07) << 18) | (char32_t(p[1] & 0x3F) << 12) |
                (char32_t(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
  return 4;
}

// Appends the UTF-8 encoding of `code_point` (must be a Unicode scalar value).
void append(std::string& out, char32_t code_point);

// Length of the longest prefix of `bytes` that is well-formed UTF-8.
size_t valid_prefix_length(std::string_view bytes);

inline bool is_valid(std::string_view bytes) { return valid_prefix_length(bytes) == bytes.size(); }

// Appends `bytes` to `out`, replacing each maximal invalid subpart with U+FFFD (Rust's
// from_utf8_lossy). If `hold_incomplete_tail` is set, a trailing sequence that is a valid but
// incomplete prefix of a character is not converted; its length is returned so the caller can
// keep it for the next call (streaming). Otherwise returns 0.
size_t append_lossy(std::string& out, std::string_view bytes, bool hold_incomplete_tail = false);

inline std::string lossy(std::string_view bytes) {
  std::string out;
  append_lossy(out, bytes);
  return out;
}

// Returns `text` unchanged when it is valid UTF-8, otherwise its lossy conversion.
std::string to_valid_utf8(std::string_view text);

// Number of characters (code points) in valid UTF-8 text.
size_t count_chars(std::string_view text);

}  // namespace turbine::tokenizer::utf8
