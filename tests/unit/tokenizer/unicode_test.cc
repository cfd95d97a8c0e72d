#include "tokenizer/unicode.h"

#include <gtest/gtest.h>
#include <utf8proc.h>

#include <cstdlib>
#include <random>

#include "tokenizer/utf8.h"

namespace turbine::tokenizer::unicode {
namespace {

std::string utf8proc_reference(const std::string& text, NormalizationForm form) {
  utf8proc_option_t options = UTF8PROC_STABLE;
  switch (form) {
    case NormalizationForm::kNfc: options = utf8proc_option_t(options | UTF8PROC_COMPOSE); break;
    case NormalizationForm::kNfd: options = utf8proc_option_t(options | UTF8PROC_DECOMPOSE); break;
    case NormalizationForm::kNfkc:
      options = utf8proc_option_t(options | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
      break;
    case NormalizationForm::kNfkd:
      options = utf8proc_option_t(options | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
      break;
  }
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                              static_cast<utf8proc_ssize_t>(text.size()), &out, options);
  std::string result(reinterpret_cast<char*>(out), static_cast<size_t>(n));
  std::free(out);
  return result;
}

TEST(Unicode, NormalizationForms) {
  const std::string e_acute_decomposed = "e\xCC\x81";
  EXPECT_EQ(normalize(e_acute_decomposed, NormalizationForm::kNfc), "\xC3\xA9");
  EXPECT_EQ(normalize("\xC3\xA9", NormalizationForm::kNfd), e_acute_decomposed);
  EXPECT_EQ(normalize("\xEF\xAC\x81", NormalizationForm::kNfkc), "fi");        // ligature
  EXPECT_EQ(normalize("\xEF\xAC\x81", NormalizationForm::kNfc), "\xEF\xAC\x81");
  EXPECT_EQ(normalize("\xE1\x84\x80\xE1\x85\xA1", NormalizationForm::kNfc), "\xEA\xB0\x80");  // Hangul
  EXPECT_EQ(normalize("\xE0\xA7\x87\xE0\xA7\x97", NormalizationForm::kNfc), "\xE0\xA7\x8C");  // Bengali
  EXPECT_EQ(normalize("plain ascii", NormalizationForm::kNfkd), "plain ascii");
}

// The fast path (copying inert runs) must agree with utf8proc on the whole string.
TEST(Unicode, NormalizeMatchesUtf8procOnRandomText) {
  const char32_t pool[] = {'a', 'e', 'A', ' ', 0xE9, 0x301, 0x323, 0x302, 0x1100, 0x1161, 0x11A8,
                           0xAC00, 0x9C7, 0x9BE, 0x9D7, 0xFB01, 0x2460, 0x4E00, 0x3099, 0x304B,
                           0x212B, 0x1E0B, 0x0F73, 0xFF21, 0x1F600};
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int length = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < length; ++i) utf8::append(text, pool[rng() % std::size(pool)]);
    for (auto form : {NormalizationForm::kNfc, NormalizationForm::kNfd, NormalizationForm::kNfkc,
                      NormalizationForm::kNfkd}) {
      ASSERT_EQ(normalize(text, form), utf8proc_reference(text, form)) << "round " << round;
    }
  }
}

TEST(Unicode, Lowercase) {
  EXPECT_EQ(lowercase("HeLLo \xC3\x89T\xC3\x89"), "hello \xC3\xA9t\xC3\xA9");
  EXPECT_EQ(lowercase("\xC4\xB0"), "i\xCC\x87");  // U+0130 lowercases to two characters
}

TEST(Unicode, Properties) {
  EXPECT_TRUE(is_whitespace(0x85));
  EXPECT_TRUE(is_whitespace(0x3000));
  EXPECT_FALSE(is_whitespace(0x180E));  // not White_Space since Unicode 6.3
  EXPECT_FALSE(is_whitespace(0x200B));
  EXPECT_TRUE(is_numeric(0xBD));        // ½ is No
  EXPECT_TRUE(is_punctuation('$'));     // ASCII punctuation counts, although Sc
  EXPECT_TRUE(is_punctuation(0x3001));
  EXPECT_FALSE(is_punctuation('a'));
  EXPECT_TRUE(is_word_char('_'));
  EXPECT_TRUE(is_word_char(0x301));
  EXPECT_FALSE(is_word_char('-'));
  // A letter added after Unicode 15 (utf8proc 2.8 does not know it): from the additions table.
  EXPECT_TRUE(is_alphabetic(0x1C89));
}

}  // namespace
}  // namespace turbine::tokenizer::unicode
