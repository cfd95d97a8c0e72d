#include "tokenizer/bpe_model.h"

#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "test_tokenizers.h"

namespace turbine {
namespace {

using test::Json;
using Ids = std::vector<int32_t>;

// Expected ids in these tests come from the reference library on the same documents.
TEST(BpeModel, SentencePieceStyle) {
  const Tokenizer tokenizer = test::load(test::sentencepiece_bpe_document());
  EXPECT_EQ(tokenizer.encode("ab", true), (Ids{1, 3, 7}));
  EXPECT_EQ(tokenizer.encode("abc", true), (Ids{1, 3, 10}));
  EXPECT_EQ(tokenizer.encode("a bc", true), (Ids{1, 8, 3, 14}));
  EXPECT_EQ(tokenizer.encode("\xE2\x82\xAC", true), (Ids{1, 3, 11, 12, 13}));  // byte fallback
  EXPECT_EQ(tokenizer.encode("xyz", true), (Ids{1, 3, 0}));                    // fused unk
  EXPECT_EQ(tokenizer.encode("ab x\xE2\x82\xAC", false), (Ids{3, 7, 3, 11, 12, 13, 0}));
  EXPECT_EQ(tokenizer.encode("", true), (Ids{1}));
  EXPECT_EQ(tokenizer.encode("", false), Ids{});
  EXPECT_EQ(tokenizer.encode("<s>ab</s>", true), (Ids{1, 1, 3, 7, 2}));
  EXPECT_EQ(tokenizer.encode(" ab", false), (Ids{3, 3, 7}));
}

TEST(BpeModel, MergesAsPairs) {
  Json document = test::sentencepiece_bpe_document();
  document["model"]["merges"] = Json::array();
  for (const char* merge : {"a b", "\u2581 a", "\u2581a b", "ab c", "b c"}) {
    const std::string text = merge;
    const size_t space = text.find(' ');
    document["model"]["merges"].push_back({text.substr(0, space), text.substr(space + 1)});
  }
  EXPECT_EQ(test::load(document).encode("a bc", true), (Ids{1, 8, 3, 14}));
}

TEST(BpeModel, DecoratedCharacters) {
  const Json vocab = {{"a", 0}, {"##b", 1}, {"##c</w>", 2}, {"ab", 3}, {"abc</w>", 4},
                      {"[UNK]", 5}, {"##b</w>", 6}, {"a</w>", 7}};
  const Json model = {{"type", "BPE"}, {"unk_token", "[UNK]"}, {"continuing_subword_prefix", "##"},
                      {"end_of_word_suffix", "</w>"}, {"vocab", vocab},
                      {"merges", {"a ##b", "ab ##c</w>"}}};
  const Tokenizer tokenizer = test::load(test::tokenizer_document(model, nullptr, {{"type", "WhitespaceSplit"}}));
  EXPECT_EQ(tokenizer.encode("abc", false), (Ids{4}));
  EXPECT_EQ(tokenizer.encode("ab", false), (Ids{0, 6}));
  EXPECT_EQ(tokenizer.encode("abc ab a", false), (Ids{4, 0, 6, 7}));
  EXPECT_EQ(tokenizer.encode("ax", false), (Ids{0, 5}));
  EXPECT_EQ(tokenizer.encode("xb", false), (Ids{5, 6}));
}

TEST(BpeModel, IgnoreMerges) {
  Json model = {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"c", 2}, {"bc", 3}, {"abc", 4}}},
                {"merges", {"b c"}}, {"ignore_merges", true}};
  const Json pre = {{"type", "WhitespaceSplit"}};
  EXPECT_EQ(test::load(test::tokenizer_document(model, nullptr, pre)).encode("abc abcc", false),
            (Ids{4, 0, 3, 2}));
  model["ignore_merges"] = false;
  EXPECT_EQ(test::load(test::tokenizer_document(model, nullptr, pre)).encode("abc abcc", false),
            (Ids{0, 3, 0, 3, 2}));
}

TEST(BpeModel, UnknownWithoutUnkTokenIsDropped) {
  const Json model = {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}}}, {"merges", Json::array()}};
  EXPECT_EQ(test::load(test::tokenizer_document(model)).encode("axb", false), (Ids{0, 1}));
}

// Plain BPE by repeated scans for the lowest-ranked pair: a slow reference for merge order.
Ids reference_bpe(const std::vector<std::string>& merges, const Json& vocab, const std::string& word) {
  std::vector<std::string> symbols;
  for (char c : word) symbols.emplace_back(1, c);
  while (symbols.size() > 1) {
    size_t best_rank = merges.size();
    size_t best_pos = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      for (size_t r = 0; r < best_rank; ++r) {
        if (merges[r] == symbols[i] + " " + symbols[i + 1]) {
          best_rank = r;
          best_pos = i;
          break;
        }
      }
    }
    if (best_rank == merges.size()) break;
    symbols[best_pos] += symbols[best_pos + 1];
    symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best_pos) + 1);
  }
  Ids ids;
  for (const auto& s : symbols) ids.push_back(vocab.at(s).get<int32_t>());
  return ids;
}

// Long words are cut where no token spans the cut; that must never change the result. The
// vocabulary has no token with "c" followed by "a", so "ca" boundaries are cut points.
TEST(BpeModel, LongWordsMatchTheReference) {
  const std::vector<std::string> merges = {"a b", "b c", "ab c", "c c", "abc c", "b b", "a a",
                                           "aa b", "cc a", "bb bb"};
  Json vocab = {{"a", 0}, {"b", 1}, {"c", 2}};
  for (const auto& merge : merges) {
    const std::string merged = merge.substr(0, merge.find(' ')) + merge.substr(merge.find(' ') + 1);
    if (!vocab.contains(merged)) vocab[merged] = static_cast<int>(vocab.size());
  }
  const Json model = {{"type", "BPE"}, {"vocab", vocab}, {"merges", merges}};
  const Tokenizer tokenizer = test::load(test::tokenizer_document(model));
  std::mt19937 rng(3);
  for (int round = 0; round < 300; ++round) {
    std::string word;
    const size_t length = 1 + rng() % 200;
    for (size_t i = 0; i < length; ++i) word.push_back("abc"[rng() % 3]);
    ASSERT_EQ(tokenizer.encode(word, false), reference_bpe(merges, vocab, word)) << word;
  }
}

TEST(BpeModel, BadMergesAreReported) {
  Json model = {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}}}, {"merges", {"a b"}}};
  try {
    test::load(test::tokenizer_document(model));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("\"ab\""), std::string::npos) << e.what();
  }
  model["merges"] = {"a b c"};
  EXPECT_THROW(test::load(test::tokenizer_document(model)), Error);
  model["merges"] = Json::array();
  model["unk_token"] = "<missing>";
  EXPECT_THROW(test::load(test::tokenizer_document(model)), Error);
}

}  // namespace
}  // namespace turbine
