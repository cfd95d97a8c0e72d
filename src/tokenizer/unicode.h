// Unicode character properties and normalization forms (backed by utf8proc).
//
// The predicates mirror the Rust functions Hugging Face tokenizers call, so that splitting and
// stripping decisions agree with theirs: `is_whitespace` is char::is_whitespace (the White_Space
// property), `is_numeric` is char::is_numeric, `is_word_char` is the regex crate's \w.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace turbine::tokenizer::unicode {

bool is_whitespace(char32_t c);
bool is_numeric(char32_t c);            // general category Nd, Nl or No
bool is_alphabetic(char32_t c);         // letters, letter numbers and marks (approximation)
bool is_word_char(char32_t c);          // \w: alphabetic, marks, Nd, Pc, joiners
bool is_punctuation(char32_t c);        // ASCII punctuation or a P* general category
bool is_control(char32_t c);            // general category Cc, Cf or Co (Bert's definition)
bool is_chinese_char(char32_t c);       // CJK ideograph blocks, as Bert's normalizer lists them
bool is_combining_mark(char32_t c);     // general category Mn, Mc or Me
bool is_nonspacing_mark(char32_t c);    // general category Mn

// Appends the lowercase mapping of `c` (full mapping: U+0130 gives two characters).
void append_lowercase(std::string& out, char32_t c);
std::string lowercase(std::string_view text);

// A range of characters that recent Unicode versions assign but the PCRE2/utf8proc tables on
// Debian 12 do not know yet, with its two-letter general category (see unicode_additions.inc).
struct AddedCategoryRange {
  char32_t first;
  char32_t last;
  const char* category;
};
std::span<const AddedCategoryRange> added_category_ranges();

enum class NormalizationForm { kNfc, kNfd, kNfkc, kNfkd };

// Normalizes valid UTF-8 text. Runs of characters that no normalization form can change are
// copied as they are, so mostly-ASCII or CJK text costs little more than a copy.
std::string normalize(std::string_view text, NormalizationForm form);

}  // namespace turbine::tokenizer::unicode
