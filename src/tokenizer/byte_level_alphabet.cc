#include "tokenizer/byte_level_alphabet.h"

#include "tokenizer/utf8.h"

namespace turbine::tokenizer {

const ByteLevelAlphabet& ByteLevelAlphabet::get() {
  static const ByteLevelAlphabet alphabet;
  return alphabet;
}

ByteLevelAlphabet::ByteLevelAlphabet() {
  byte_of_.fill(-1);
  auto printable = [](int b) {
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  };
  int next_extra = 0;
  for (int b = 0; b < 256; ++b) {
    const char32_t c = printable(b) ? char32_t(b) : char32_t(256 + next_extra++);
    std::string encoded;
    utf8::append(encoded, c);
    lengths_[b] = static_cast<uint8_t>(encoded.size());
    for (size_t i = 0; i < encoded.size(); ++i) chars_[b][i] = encoded[i];
    byte_of_[c] = static_cast<int16_t>(b);
  }
}

void ByteLevelAlphabet::encode(std::string_view text, std::string& out) const {
  // Each byte becomes at most two: write both and advance by the real length.
  const size_t start = out.size();
  out.resize(start + text.size() * 2);
  char* cursor = out.data() + start;
  for (unsigned char b : text) {
    cursor[0] = chars_[b][0];
    cursor[1] = chars_[b][1];
    cursor += lengths_[b];
  }
  out.resize(static_cast<size_t>(cursor - out.data()));
}

bool ByteLevelAlphabet::decode(std::string_view token, std::string& out) const {
  const size_t mark = out.size();
  for (size_t pos = 0; pos < token.size();) {
    char32_t c;
    pos += utf8::decode(token, pos, &c);
    const int b = byte_of(c);
    if (b < 0) {
      out.resize(mark);
      return false;
    }
    out.push_back(static_cast<char>(b));
  }
  return true;
}

}  // namespace turbine::tokenizer
