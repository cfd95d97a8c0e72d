#include "server/bad_word_tokens.h"

#include <array>

#include "server/api_error.h"

namespace turbine::server {
namespace {

// Python's whitespace beyond ASCII, in UTF-8: U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028,
// U+2029, U+202F, U+205F, U+3000.
constexpr std::array<std::string_view, 19> kUnicodeWhitespace = {
    "\xc2\x85",     "\xc2\xa0",     "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x81", "\xe2\x80\x82", "\xe2\x80\x83",
    "\xe2\x80\x84", "\xe2\x80\x85", "\xe2\x80\x86", "\xe2\x80\x87", "\xe2\x80\x88", "\xe2\x80\x89", "\xe2\x80\x8a",
    "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80"};

size_t leading_whitespace_bytes(std::string_view text) {
  const unsigned char c = static_cast<unsigned char>(text.front());
  if ((c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20)) return 1;
  for (const std::string_view space : kUnicodeWhitespace)
    if (text.starts_with(space)) return space.size();
  return 0;
}

}  // namespace

std::string_view strip_leading_whitespace(std::string_view text) {
  while (!text.empty()) {
    const size_t n = leading_whitespace_bytes(text);
    if (n == 0) break;
    text.remove_prefix(n);
  }
  return text;
}

std::vector<std::vector<int32_t>> bad_word_token_ids(const std::vector<std::string>& words, const Tokenizer& tokenizer) {
  std::vector<std::vector<int32_t>> sequences;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string_view word = strip_leading_whitespace(words[i]);
    std::vector<int32_t> plain = tokenizer.encode(word, /*add_special_tokens=*/false);
    if (plain.empty())
      fail_param(fmt::format("bad_words[{}]", i), "'bad_words[{}]' encodes to no token to ban (is it blank?)", i);
    std::string with_space(1, ' ');  // (GCC 12's -Wrestrict misfires on " " + std::string)
    with_space += word;
    std::vector<int32_t> spaced = tokenizer.encode(with_space, /*add_special_tokens=*/false);
    const bool new_spelling = !spaced.empty() && spaced.front() != plain.front() && spaced.size() == plain.size();
    sequences.push_back(std::move(plain));
    if (new_spelling) sequences.push_back(std::move(spaced));
  }
  return sequences;
}

}  // namespace turbine::server
