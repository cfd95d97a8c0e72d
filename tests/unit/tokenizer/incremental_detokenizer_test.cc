#include "tokenizer/incremental_detokenizer.h"

#include <gtest/gtest.h>

#include <random>

#include "common/error.h"
#include "test_tokenizers.h"
#include "tokenizer/utf8.h"

namespace turbine {
namespace {

using Ids = std::vector<int32_t>;

std::vector<std::string> stream(const Tokenizer& tokenizer, const Ids& ids, bool skip_special,
                                const Ids& context = {}) {
  IncrementalDetokenizer detokenizer(tokenizer, skip_special, context);
  std::vector<std::string> pieces;
  for (const int32_t id : ids) pieces.push_back(detokenizer.push(id));
  pieces.push_back(detokenizer.finish());
  return pieces;
}

std::string join(const std::vector<std::string>& pieces) {
  std::string out;
  for (const auto& p : pieces) out += p;
  return out;
}

// The contract on arbitrary ids: pieces are valid UTF-8 and join to decode().
void check_random_sequences(const Tokenizer& tokenizer, uint32_t seed, int rounds) {
  std::vector<int32_t> byte_ids;
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    if (tokenizer.is_valid_id(id) && (tokenizer.is_byte_fallback_token(id) ||
                                      tokenizer::utf8::count_chars(tokenizer.id_to_token(id)) == 1)) {
      byte_ids.push_back(id);
    }
  }
  const Ids specials = tokenizer.special_ids();
  std::mt19937 rng(seed);
  for (int round = 0; round < rounds; ++round) {
    Ids ids;
    const int length = 1 + static_cast<int>(rng() % 40);
    while (static_cast<int>(ids.size()) < length) {
      const uint32_t kind = rng() % 10;
      int32_t id;
      if (kind < 5 && !byte_ids.empty()) {
        id = byte_ids[rng() % byte_ids.size()];
      } else if (kind < 6 && !specials.empty()) {
        id = specials[rng() % specials.size()];
      } else {
        id = static_cast<int32_t>(rng() % static_cast<uint32_t>(tokenizer.vocab_size()));
      }
      if (tokenizer.is_valid_id(id)) ids.push_back(id);
    }
    for (const bool skip : {false, true}) {
      const auto pieces = stream(tokenizer, ids, skip);
      for (const auto& piece : pieces) ASSERT_TRUE(tokenizer::utf8::is_valid(piece));
      ASSERT_EQ(join(pieces), tokenizer.decode(ids, skip)) << "round " << round << " skip " << skip;
    }
  }
}

TEST(IncrementalDetokenizer, RandomIdsSentencePiece) {
  check_random_sequences(test::load(test::sentencepiece_bpe_document()), 1, 3000);
}

TEST(IncrementalDetokenizer, RandomIdsByteLevel) {
  check_random_sequences(test::load(test::byte_level_bpe_document({"\xC4\xA0 t", "h e"})), 2, 3000);
}

TEST(IncrementalDetokenizer, RandomIdsRealTokenizers) {
  int checked = 0;
  for (const char* name : {"stories260K", "llama2", "llama3_1", "qwen2_5", "gemma3", "mistral_nemo"}) {
    const auto path = test::fixture_tokenizer(name);
    if (!path) continue;
    ++checked;
    SCOPED_TRACE(name);
    check_random_sequences(Tokenizer::from_file(*path), 3, 300);
  }
  if (checked == 0) GTEST_SKIP() << "no fixture tokenizer present";
}

TEST(IncrementalDetokenizer, MultiByteCharacterWaitsForItsLastByte) {
  const Tokenizer tokenizer = test::load(test::byte_level_bpe_document({}));
  const Ids euro = {0xE2, 0x82, 0xAC, 'x'};  // byte-level ids are the byte values here
  const auto pieces = stream(tokenizer, euro, false);
  EXPECT_EQ(pieces, (std::vector<std::string>{"", "", "\xE2\x82\xAC", "x", ""}));
  // Cut short: the end flushes the incomplete character as U+FFFD, like decode().
  const auto cut = stream(tokenizer, Ids{'a', 0xE2, 0x82}, false);
  EXPECT_EQ(cut, (std::vector<std::string>{"a", "", "", "\xEF\xBF\xBD"}));
}

TEST(IncrementalDetokenizer, ByteFallbackRunsAreReleasedWhenTheyEnd) {
  const Tokenizer tokenizer = test::load(test::sentencepiece_bpe_document());
  // "▁a", <0xE2> <0x82> <0xAC>, "b"
  const auto pieces = stream(tokenizer, Ids{8, 11, 12, 13, 5}, false);
  EXPECT_EQ(pieces, (std::vector<std::string>{"a", "", "", "", "\xE2\x82\xAC" "b", ""}));
}

TEST(IncrementalDetokenizer, LeadingSpaceOnlyDroppedAtTheStart) {
  const Tokenizer tokenizer = test::load(test::sentencepiece_bpe_document());
  EXPECT_EQ(stream(tokenizer, Ids{8, 8, 3, 9}, false),
            (std::vector<std::string>{"a", " a", " ", " ab", ""}));
  // After a prompt, the first generated "▁a" keeps its space.
  EXPECT_EQ(join(stream(tokenizer, Ids{8}, false, /*context=*/Ids{1, 9})), " a");
}

TEST(IncrementalDetokenizer, SpecialTokens) {
  const Tokenizer tokenizer = test::load(test::sentencepiece_bpe_document());
  EXPECT_EQ(join(stream(tokenizer, Ids{1, 9, 2}, false)), "<s> ab</s>");
  EXPECT_EQ(join(stream(tokenizer, Ids{1, 9, 2}, true)), "ab");
}

TEST(IncrementalDetokenizer, InvalidIdIsNamed) {
  IncrementalDetokenizer detokenizer(test::load(test::sentencepiece_bpe_document()), false);
  try {
    detokenizer.push(777);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("777"), std::string::npos);
  }
  EXPECT_EQ(detokenizer.push(4), "a");  // the stream goes on
}

TEST(IncrementalDetokenizer, EncodedTextStreamsBackExactly) {
  const auto path = test::fixture_tokenizer("stories260K");
  if (!path) GTEST_SKIP();
  const Tokenizer tokenizer = Tokenizer::from_file(*path);
  const std::string text = "Once upon a time, there was a little girl named Lily. \xE2\x82\xAC 42 \xF0\x9F\x98\x80!";
  const Ids ids = tokenizer.encode(text, true);
  EXPECT_EQ(join(stream(tokenizer, ids, true)), tokenizer.decode(ids, true));
  EXPECT_EQ(join(stream(tokenizer, ids, false)), tokenizer.decode(ids, false));
}

}  // namespace
}  // namespace turbine
