// Ways to cut a text into streaming deltas, for tests of parsers that must not care where the
// cuts fall: every single cut (two pieces), every byte on its own, and seeded random cuts.
#pragma once

#include <random>
#include <string_view>
#include <vector>

namespace turbine::test {

using Pieces = std::vector<std::string_view>;

inline std::vector<Pieces> all_splits(std::string_view text, int random_splits = 64, uint32_t seed = 20240611) {
  std::vector<Pieces> out;
  out.push_back({text});
  for (size_t k = 0; k <= text.size(); ++k) out.push_back({text.substr(0, k), text.substr(k)});
  Pieces bytes;
  for (size_t i = 0; i < text.size(); ++i) bytes.push_back(text.substr(i, 1));
  out.push_back(bytes);
  std::mt19937 rng(seed);
  for (int r = 0; r < random_splits; ++r) {
    std::uniform_int_distribution<size_t> length(0, r % 2 == 0 ? 4 : 12);  // empty pieces too
    Pieces pieces;
    for (size_t i = 0; i < text.size();) {
      const size_t n = std::min(length(rng), text.size() - i);
      pieces.push_back(text.substr(i, n));
      i += n;
    }
    out.push_back(pieces);
  }
  return out;
}

// Whether `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
inline bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n;
  }
  return true;
}

}  // namespace turbine::test
