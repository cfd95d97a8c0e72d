#include "tokenizer/normalizer.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace turbine::tokenizer {
namespace {

std::string run(const Json& config, std::string text) {
  make_normalizer(config, "test normalizer")->normalize(text);
  return text;
}

TEST(Normalizer, UnicodeForms) {
  EXPECT_EQ(run({{"type", "NFC"}}, "e\xCC\x81"), "\xC3\xA9");
  EXPECT_EQ(run({{"type", "NFD"}}, "\xC3\xA9"), "e\xCC\x81");
  EXPECT_EQ(run({{"type", "NFKC"}}, "\xE2\x91\xA0"), "1");  // circled one
  EXPECT_EQ(run({{"type", "NFKD"}}, "\xC3\xA9"), "e\xCC\x81");
}

TEST(Normalizer, PrependSkipsEmptyText) {
  const Json prepend = {{"type", "Prepend"}, {"prepend", "\u2581"}};
  EXPECT_EQ(run(prepend, "hi"), "\u2581hi");
  EXPECT_EQ(run(prepend, ""), "");
  EXPECT_EQ(run({{"type", "Append"}, {"append", "!"}}, "hi"), "hi!");
}

TEST(Normalizer, ReplaceStringAndRegex) {
  EXPECT_EQ(run({{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}, "a b  c"),
            "a\u2581b\u2581\u2581c");
  EXPECT_EQ(run({{"type", "Replace"}, {"pattern", {{"Regex", "\\d+"}}}, {"content", "#"}}, "a12b3"),
            "a#b#");
}

TEST(Normalizer, StripLowercaseAccents) {
  EXPECT_EQ(run({{"type", "Strip"}, {"strip_left", true}, {"strip_right", false}}, " \t x \u3000"),
            "x \u3000");
  EXPECT_EQ(run({{"type", "Strip"}, {"strip_left", true}, {"strip_right", true}}, "\u3000x\xC2\x85"), "x");
  EXPECT_EQ(run({{"type", "Lowercase"}}, "ÀB\xC4\xB0"), "àbi\xCC\x87");
  EXPECT_EQ(run({{"type", "Sequence"}, {"normalizers", {{{"type", "NFD"}}, {{"type", "StripAccents"}}}}},
                "café"),
            "cafe");
}

TEST(Normalizer, Bert) {
  const Json bert = {{"type", "BertNormalizer"}, {"clean_text", true}, {"handle_chinese_chars", true},
                     {"strip_accents", nullptr}, {"lowercase", true}};
  EXPECT_EQ(run(bert, "H\xC3\xA9llo\tW\x01orld\xE4\xB8\xAD"), "hello world \xE4\xB8\xAD ");
}

TEST(Normalizer, ByteLevelMapsBytes) {
  EXPECT_EQ(run({{"type", "ByteLevel"}}, "a b\n"), "a\xC4\xA0" "b\xC4\x8A");
}

TEST(Normalizer, UnsupportedTypeIsNamed) {
  try {
    make_normalizer({{"type", "Precompiled"}, {"precompiled_charsmap", ""}}, "x.json: normalizer");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Precompiled"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("x.json"), std::string::npos);
  }
  EXPECT_THROW(make_normalizer({{"type", "Replace"}, {"content", "x"}}, "n"), Error);  // no pattern
}

}  // namespace
}  // namespace turbine::tokenizer
