#include "tokenizer/regex.h"

#include <gtest/gtest.h>

#include "common/error.h"

namespace turbine::tokenizer {
namespace {

std::vector<std::string> matches(std::string_view pattern, std::string_view text) {
  std::vector<MatchRange> ranges;
  Regex(pattern, "test").find_all(text, ranges);
  std::vector<std::string> out;
  for (const auto& r : ranges) out.emplace_back(text.substr(r.begin, r.end - r.begin));
  return out;
}

TEST(Regex, Gpt2StylePattern) {
  const std::string pattern =
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
  EXPECT_EQ(matches(pattern, "I'M here  now 12345!!\n"),
            (std::vector<std::string>{"I", "'M", " here", " ", " now", " ", "123", "45", "!!\n"}));
}

TEST(Regex, WhitespaceIsTheWhiteSpaceProperty) {
  EXPECT_EQ(matches(R"(\s)", "a\xC2\x85" "b"), std::vector<std::string>{"\xC2\x85"});   // U+0085
  EXPECT_TRUE(matches(R"(\s)", "\xE1\xA0\x8E").empty());                               // U+180E
  EXPECT_EQ(matches(R"([^\s])", " x "), std::vector<std::string>{"x"});
}

TEST(Regex, CategoriesIncludeRecentCharacters) {
  // U+1FABF (goose, Unicode 15) is So; PCRE2 10.42 alone would call it unassigned.
  EXPECT_EQ(matches(R"(\p{S}+)", "\xF0\x9F\xAA\xBF"), std::vector<std::string>{"\xF0\x9F\xAA\xBF"});
  EXPECT_EQ(matches(R"([^\p{L}\p{S}]+)", "\xF0\x9F\xAA\xBF a"), std::vector<std::string>{" "});
}

TEST(Regex, OnigurumaSpellings) {
  EXPECT_EQ(matches(R"(\p{^L}+)", "ab12cd"), std::vector<std::string>{"12"});
  EXPECT_EQ(matches(R"(\h+)", "xyz c0ffee!"), std::vector<std::string>{"c0ffee"});
  EXPECT_EQ(matches(R"(\u0041)", "BAB"), std::vector<std::string>{"A"});
  EXPECT_EQ(matches(R"(\w+)", "snake_case x\xC2\xB2"), (std::vector<std::string>{"snake_case", "x\xC2\xB2"}));
}

TEST(Regex, EmptyMatchesAdvance) {
  // Like Oniguruma's find_iter: an empty match right after a match is skipped.
  EXPECT_EQ(matches("x*", "axxb"), (std::vector<std::string>{"", "xx", ""}));
}

TEST(Regex, EscapeAndErrors) {
  EXPECT_EQ(matches(regex_escape("a.b*"), "a.b* axb"), std::vector<std::string>{"a.b*"});
  EXPECT_THROW(Regex("(unclosed", "pre_tokenizer Split"), Error);
  try {
    Regex("(unclosed", "pre_tokenizer Split");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pre_tokenizer Split"), std::string::npos);
  }
}

}  // namespace
}  // namespace turbine::tokenizer
