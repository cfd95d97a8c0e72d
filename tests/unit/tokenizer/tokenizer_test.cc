#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "common/error.h"
#include "test_tokenizers.h"

namespace turbine {
namespace {

using test::Json;
using Ids = std::vector<int32_t>;

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Tokenizer, DecodeSentencePiece) {
  const Tokenizer tokenizer = test::load(test::sentencepiece_bpe_document());
  EXPECT_EQ(tokenizer.decode(Ids{1, 9, 14}, false), "<s> abbc");
  EXPECT_EQ(tokenizer.decode(Ids{1, 9, 14}, true), "abbc");
  EXPECT_EQ(tokenizer.decode(Ids{11, 12}, false), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(tokenizer.decode(Ids{3, 3, 8}, false), "  a");
  EXPECT_EQ(tokenizer.decode(Ids{}, false), "");
}

TEST(Tokenizer, InvalidIdsAreNamed) {
  const Tokenizer tokenizer = test::load(test::sentencepiece_bpe_document());
  EXPECT_NE(error_of([&] { tokenizer.decode(Ids{1, 4242}, false); }).find("4242"), std::string::npos);
  EXPECT_NE(error_of([&] { tokenizer.decode(Ids{-1}, false); }).find("-1"), std::string::npos);
  EXPECT_NE(error_of([&] { tokenizer.id_to_token(99); }).find("99"), std::string::npos);
  EXPECT_FALSE(tokenizer.is_valid_id(15));
  EXPECT_TRUE(tokenizer.is_valid_id(14));
  EXPECT_EQ(tokenizer.vocab_size(), 15);
  EXPECT_EQ(tokenizer.token_to_id("nope"), std::nullopt);
}

TEST(Tokenizer, InvalidUtf8InputIsReplaced) {
  const Tokenizer tokenizer = test::load(test::byte_level_bpe_document({}));
  // U+FFFD is EF BF BD: three byte-level ids.
  EXPECT_EQ(tokenizer.encode("a\xFF", false), (Ids{97, 0xEF, 0xBF, 0xBD}));
}

TEST(Tokenizer, ByteLevelRoundTrip) {
  const Tokenizer tokenizer =
      test::load(test::byte_level_bpe_document({"\xC4\xA0 t", "h e", "\xC4\xA0t he"}));
  const std::string text = "the then  other\n\xE4\xBD\xA0\xE5\xA5\xBD!";
  EXPECT_EQ(tokenizer.decode(tokenizer.encode(text, true), false), text);
  EXPECT_EQ(tokenizer.encode(" the", false), Ids{258});  // "Ġthe"
}

TEST(Tokenizer, PostProcessors) {
  Json document = test::byte_level_bpe_document({});
  document["post_processor"] = {{"type", "RobertaProcessing"}, {"sep", {"</s>", 2}}, {"cls", {"<s>", 0}},
                                {"trim_offsets", true}, {"add_prefix_space", false}};
  EXPECT_EQ(test::load(document).encode("a", true), (Ids{0, 97, 2}));
  EXPECT_EQ(test::load(document).encode("a", false), Ids{97});
  document["post_processor"] = {
      {"type", "Sequence"},
      {"processors",
       {{{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", false}},
        {{"type", "TemplateProcessing"},
         {"single", {{{"SpecialToken", {{"id", "[A]"}, {"type_id", 0}}}},
                     {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                     {{"SpecialToken", {{"id", "[B]"}, {"type_id", 0}}}}}},
         {"pair", Json::array()},
         {"special_tokens", {{"[A]", {{"id", "[A]"}, {"ids", {5, 6}}, {"tokens", {"x", "y"}}}},
                             {"[B]", {{"id", "[B]"}, {"ids", {7}}, {"tokens", {"z"}}}}}}}}}};
  EXPECT_EQ(test::load(document).encode("a", true), (Ids{5, 6, 97, 7}));
}

TEST(Tokenizer, ErrorsNameTheFileAndComponent) {
  Json document = test::byte_level_bpe_document({});
  document["pre_tokenizer"] = {{"type", "FancySplit"}};
  const std::string message = error_of([&] { Tokenizer::from_json_string(document.dump(), "m/tokenizer.json"); });
  EXPECT_NE(message.find("m/tokenizer.json"), std::string::npos) << message;
  EXPECT_NE(message.find("pre_tokenizer"), std::string::npos) << message;
  EXPECT_NE(message.find("FancySplit"), std::string::npos) << message;

  document = test::byte_level_bpe_document({});
  document["model"]["type"] = "WordLevel";
  EXPECT_NE(error_of([&] { test::load(document); }).find("WordLevel"), std::string::npos);
  EXPECT_NE(error_of([] { Tokenizer::from_json_string("{not json", "bad.json"); }).find("bad.json"),
            std::string::npos);
  EXPECT_NE(error_of([] { Tokenizer::from_dir("/nonexistent/model"); }).find("/nonexistent/model"),
            std::string::npos);
  EXPECT_NE(error_of([] { Tokenizer::from_file("/nonexistent/tokenizer.json"); }).find("/nonexistent"),
            std::string::npos);
}

TEST(Tokenizer, LoadsFromDirectory) {
  const auto dir = std::filesystem::temp_directory_path() / "turbine_tokenizer_test_dir";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << test::sentencepiece_bpe_document().dump();
  EXPECT_EQ(Tokenizer::from_dir(dir).encode("ab", true), (Ids{1, 3, 7}));
  std::filesystem::remove_all(dir);
}

// encode is const and shares a word cache between threads: results must not depend on that.
TEST(Tokenizer, ConcurrentEncodeMatchesSerial) {
  const Tokenizer tokenizer =
      test::load(test::byte_level_bpe_document({"\xC4\xA0 t", "h e", "\xC4\xA0t he", "i n", "\xC4\xA0 a"}));
  std::vector<std::string> texts;
  for (int i = 0; i < 200; ++i) {
    texts.push_back("the cat in a hat " + std::to_string(i * 7919) + " then the end\n" + std::string(i % 13, 'x'));
  }
  std::vector<Ids> serial;
  for (const auto& text : texts) serial.push_back(tokenizer.encode(text, true));
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = (t + round) % texts.size(); i < texts.size(); i += 3) {
          if (tokenizer.encode(texts[i], true) != serial[i]) ++mismatches;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Tokenizer, CopiesShareState) {
  const Tokenizer original = test::load(test::sentencepiece_bpe_document());
  const Tokenizer copy = original;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy.encode("abc", true), original.encode("abc", true));
}

}  // namespace
}  // namespace turbine
