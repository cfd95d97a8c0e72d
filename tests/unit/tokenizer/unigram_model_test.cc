#include "tokenizer/unigram_model.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "test_tokenizers.h"

namespace turbine {
namespace {

using test::Json;
using Ids = std::vector<int32_t>;

Tokenizer unigram(bool byte_fallback) {
  Json vocab = Json::array();
  for (const auto& [token, score] : std::vector<std::pair<std::string, double>>{
           {"<unk>", 0.0}, {"a", -1.0}, {"b", -2.0}, {"ab", -1.5}, {"c", -3.0}, {"abc", -5.0},
           {"bc", -2.5}, {"<0x78>", -10.0}}) {
    vocab.push_back(Json::array({token, score}));
  }
  const Json model = {{"type", "Unigram"}, {"unk_id", 0}, {"vocab", vocab}, {"byte_fallback", byte_fallback}};
  return test::load(test::tokenizer_document(model, nullptr, {{"type", "WhitespaceSplit"}}));
}

// Expected ids come from the reference library on the same document.
TEST(UnigramModel, Viterbi) {
  const Tokenizer tokenizer = unigram(false);
  EXPECT_EQ(tokenizer.encode("ab", false), Ids{3});          // ab (-1.5) beats a+b (-3)
  EXPECT_EQ(tokenizer.encode("abc", false), (Ids{1, 6}));    // a+bc (-3.5) is best
  EXPECT_EQ(tokenizer.encode("ab c", false), (Ids{3, 4}));
}

TEST(UnigramModel, UnknownCharactersFuse) {
  const Tokenizer tokenizer = unigram(false);
  EXPECT_EQ(tokenizer.encode("xyz", false), Ids{0});
  EXPECT_EQ(tokenizer.encode("xa", false), (Ids{0, 1}));
  EXPECT_EQ(tokenizer.encode("yyab", false), (Ids{0, 3}));
}

TEST(UnigramModel, ByteFallbackNeedsEveryByte) {
  const Tokenizer tokenizer = unigram(true);
  EXPECT_EQ(tokenizer.encode("xa", false), (Ids{7, 1}));  // <0x78> exists
  EXPECT_EQ(tokenizer.encode("xyz", false), Ids{0});      // <0x79> does not: unk
}

TEST(UnigramModel, DecodeWithoutDecoderJoinsWithSpaces) {
  EXPECT_EQ(unigram(false).decode(Ids{3, 6}, false), "ab bc");
}

TEST(UnigramModel, BadDocuments) {
  Json model = {{"type", "Unigram"}, {"unk_id", 5}, {"vocab", Json::array({Json::array({"a", -1.0})})}};
  EXPECT_THROW(test::load(test::tokenizer_document(model)), Error);
  model["unk_id"] = nullptr;
  const Tokenizer no_unk = test::load(test::tokenizer_document(model));
  EXPECT_EQ(no_unk.encode("a", false), Ids{0});
  EXPECT_THROW(no_unk.encode("b", false), Error);  // an unknown character and no unk_id
}

}  // namespace
}  // namespace turbine
