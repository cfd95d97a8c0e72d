#include "tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace turbine::tokenizer {
namespace {

std::vector<std::string> pieces(const Json& config, const std::string& text) {
  PreTokenized pre;
  pre.text = text;
  pre.pieces = {{0, static_cast<uint32_t>(text.size()), true}};
  make_pre_tokenizer(config, "test pre_tokenizer")->pre_tokenize(pre);
  std::vector<std::string> out;
  for (const Piece& p : pre.pieces) out.emplace_back(pre.view(p));
  return out;
}

Json split(const std::string& behavior, bool invert = false) {
  return {{"type", "Split"}, {"pattern", {{"String", "-"}}}, {"behavior", behavior}, {"invert", invert}};
}

using Pieces = std::vector<std::string>;

// The example of Hugging Face's documentation for SplitDelimiterBehavior.
TEST(PreTokenizer, SplitBehaviors) {
  const std::string text = "the-final--countdown";
  EXPECT_EQ(pieces(split("Removed"), text), (Pieces{"the", "final", "countdown"}));
  EXPECT_EQ(pieces(split("Isolated"), text), (Pieces{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(pieces(split("MergedWithPrevious"), text), (Pieces{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(pieces(split("MergedWithNext"), text), (Pieces{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(pieces(split("Contiguous"), text), (Pieces{"the", "-", "final", "--", "countdown"}));
  EXPECT_EQ(pieces(split("Removed", /*invert=*/true), text), (Pieces{"-", "-", "-"}));
}

TEST(PreTokenizer, SplitRegex) {
  const Json config = {{"type", "Split"}, {"pattern", {{"Regex", "\\p{N}{1,3}"}}}, {"behavior", "Isolated"},
                       {"invert", false}};
  EXPECT_EQ(pieces(config, "ab12345c"), (Pieces{"ab", "123", "45", "c"}));
}

TEST(PreTokenizer, ByteLevel) {
  const Json with_regex = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}};
  EXPECT_EQ(pieces(with_regex, "Hello world!"), (Pieces{"\xC4\xA0Hello", "\xC4\xA0world", "!"}));
  const Json no_regex = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
  EXPECT_EQ(pieces(no_regex, "a b\n\xC3\xA9"), (Pieces{"a\xC4\xA0" "b\xC4\x8A\xC3\x83\xC2\xA9"}));
}

TEST(PreTokenizer, Metaspace) {
  const Json always = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "always"},
                       {"split", true}};
  EXPECT_EQ(pieces(always, "Hey  friend"), (Pieces{"\u2581Hey", "\u2581", "\u2581friend"}));
  const Json no_split = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "never"},
                         {"split", false}};
  EXPECT_EQ(pieces(no_split, "Hey friend"), (Pieces{"Hey\u2581friend"}));
  // "first" prepends only to text that starts the input.
  const Json first = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "first"},
                      {"split", true}};
  PreTokenized pre;
  pre.text = "ab";
  pre.pieces = {{0, 2, false}};
  make_pre_tokenizer(first, "t")->pre_tokenize(pre);
  EXPECT_EQ(pre.view(pre.pieces[0]), "ab");
  EXPECT_EQ(pieces(first, "ab"), (Pieces{"\u2581ab"}));
}

TEST(PreTokenizer, DigitsPunctuationWhitespace) {
  EXPECT_EQ(pieces({{"type", "Digits"}, {"individual_digits", true}}, "a123b"),
            (Pieces{"a", "1", "2", "3", "b"}));
  EXPECT_EQ(pieces({{"type", "Digits"}, {"individual_digits", false}}, "a123b"), (Pieces{"a", "123", "b"}));
  EXPECT_EQ(pieces({{"type", "Punctuation"}, {"behavior", "Isolated"}}, "Hi, you!"),
            (Pieces{"Hi", ",", " you", "!"}));
  EXPECT_EQ(pieces({{"type", "Whitespace"}}, "Hi, you  there!?"),
            (Pieces{"Hi", ",", "you", "there", "!?"}));
  EXPECT_EQ(pieces({{"type", "WhitespaceSplit"}}, " Hi,\tyou\u3000x "), (Pieces{"Hi,", "you", "x"}));
  EXPECT_EQ(pieces({{"type", "BertPreTokenizer"}}, "Hi, you!"), (Pieces{"Hi", ",", "you", "!"}));
  EXPECT_EQ(pieces({{"type", "CharDelimiterSplit"}, {"delimiter", "|"}}, "a|b||c"), (Pieces{"a", "b", "c"}));
}

TEST(PreTokenizer, SequenceAndErrors) {
  const Json sequence = {{"type", "Sequence"},
                         {"pretokenizers", {{{"type", "WhitespaceSplit"}}, {{"type", "Digits"}, {"individual_digits", true}}}}};
  EXPECT_EQ(pieces(sequence, "a1 b22"), (Pieces{"a", "1", "b", "2", "2"}));
  try {
    make_pre_tokenizer({{"type", "UnicodeScripts"}}, "x.json: pre_tokenizer");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("UnicodeScripts"), std::string::npos);
  }
  EXPECT_THROW(make_pre_tokenizer(split("Sideways"), "t"), Error);
}

}  // namespace
}  // namespace turbine::tokenizer
