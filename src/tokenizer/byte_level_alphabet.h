// The GPT-2 byte-level alphabet: a bijection between the 256 byte values and 256 printable
// Unicode characters, so that byte-level BPE vocabularies can be stored as text. Printable
// Latin-1 bytes map to themselves; the others map to U+0100 and up, in byte order.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace turbine::tokenizer {

class ByteLevelAlphabet {
 public:
  static const ByteLevelAlphabet& get();

  // UTF-8 encoding of the character that stands for `byte` (1 or 2 bytes long).
  std::string_view encode_byte(uint8_t byte) const { return {chars_[byte].data(), lengths_[byte]}; }

  // Appends the byte-level encoding of every byte of `text`.
  void encode(std::string_view text, std::string& out) const;

  // The byte a character stands for, or -1 if `c` is not in the alphabet.
  int byte_of(char32_t c) const { return c < byte_of_.size() ? byte_of_[c] : -1; }

  // Appends the bytes `token` stands for and returns true, or returns false (leaving `out`
  // untouched) when some character of `token` is not in the alphabet.
  bool decode(std::string_view token, std::string& out) const;

 private:
  ByteLevelAlphabet();
  std::array<std::array<char, 2>, 256> chars_{};
  std::array<uint8_t, 256> lengths_{};
  std::array<int16_t, 324> byte_of_{};  // indexed by code point; the alphabet ends at U+0143
};

}  // namespace turbine::tokenizer
