#include <gtest/gtest.h>

#include "test_tokenizers.h"

namespace turbine {
namespace {

using test::Json;
using Ids = std::vector<int32_t>;

// A byte-level model whose ids are the byte values, plus added tokens with every option, behind
// a Lowercase normalizer. Expected ids come from the reference library on the same document.
Tokenizer added_tokens_tokenizer() {
  Json document = test::byte_level_bpe_document({});
  document["normalizer"] = {{"type", "Lowercase"}};
  document["added_tokens"] = {
      test::added_token(256, "<mask>", false, /*lstrip=*/true),
      test::added_token(257, "[R]", false, false, /*rstrip=*/true),
      test::added_token(258, "word", false, false, false, false, /*single_word=*/true),
      test::added_token(259, "<both>", /*special=*/true, true, true),
      test::added_token(260, "hello", false, false, false, /*normalized=*/true),
      test::added_token(261, "ab", false),
      test::added_token(262, "abc", false),
      test::added_token(263, "bcd", false)};
  return test::load(document);
}

TEST(AddedTokens, StripOptions) {
  const Tokenizer tokenizer = added_tokens_tokenizer();
  EXPECT_EQ(tokenizer.encode("x <mask> y<mask>z", false), (Ids{120, 256, 32, 121, 256, 122}));
  EXPECT_EQ(tokenizer.encode("a [R]  b", false), (Ids{97, 32, 257, 98}));
  EXPECT_EQ(tokenizer.encode("q  <both>  r", false), (Ids{113, 259, 114}));
}

TEST(AddedTokens, SingleWord) {
  EXPECT_EQ(added_tokens_tokenizer().encode("word words sword word. _word", false),
            (Ids{258, 32, 119, 111, 114, 100, 115, 32, 115, 119, 111, 114, 100, 32, 258, 46, 32,
                 95, 119, 111, 114, 100}));
}

TEST(AddedTokens, NormalizedTokensMatchNormalizedText) {
  EXPECT_EQ(added_tokens_tokenizer().encode("HELLO Hello", false), (Ids{260, 32, 260}));
}

TEST(AddedTokens, LeftmostLongest) {
  EXPECT_EQ(added_tokens_tokenizer().encode("xabcdx abcd bcd", false),
            (Ids{120, 262, 100, 120, 32, 262, 100, 32, 263}));
}

TEST(AddedTokens, DecodeKeepsOrSkipsSpecialOnes) {
  const Tokenizer tokenizer = added_tokens_tokenizer();
  const Ids ids = {256, 120, 259, 257};
  EXPECT_EQ(tokenizer.decode(ids, false), "<mask>x<both>[R]");
  EXPECT_EQ(tokenizer.decode(ids, true), "<mask>x[R]");
  EXPECT_TRUE(tokenizer.is_special(259));
  EXPECT_FALSE(tokenizer.is_special(256));
  EXPECT_EQ(tokenizer.special_ids(), Ids{259});
  EXPECT_EQ(tokenizer.token_to_id("<both>"), 259);
  EXPECT_EQ(tokenizer.id_to_token(257), "[R]");
  EXPECT_EQ(tokenizer.vocab_size(), 264);
}

// Hugging Face re-numbers added tokens when it loads a file: a token of the model's vocabulary
// keeps the model's id, new ones follow the vocabulary.
TEST(AddedTokens, IdsFollowTheReferenceNumbering) {
  Json document = test::byte_level_bpe_document({});
  document["added_tokens"] = {test::added_token(999, "a", true),  // "a" is model id 97
                              test::added_token(998, "<x>", true)};
  const Tokenizer tokenizer = test::load(document);
  EXPECT_EQ(tokenizer.token_to_id("a"), 97);
  EXPECT_EQ(tokenizer.token_to_id("<x>"), 256);
}

}  // namespace
}  // namespace turbine
