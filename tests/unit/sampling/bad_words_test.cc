// Bad words (runner/bad_words.h): which tokens a step bans, by vLLM's rule.
#include <gtest/gtest.h>

#include "runner/bad_words.h"

namespace turbine {
namespace {

std::vector<int32_t> banned_after(const std::vector<std::vector<int32_t>>& words, const std::vector<int32_t>& output) {
  std::vector<int32_t> banned;
  append_banned_by_bad_words(words, output, banned);
  return banned;
}

TEST(BadWords, AOneTokenWordIsAlwaysBanned) {
  EXPECT_EQ(banned_after({{7}}, {}), std::vector<int32_t>{7});
  EXPECT_EQ(banned_after({{7}}, {1, 2, 3}), std::vector<int32_t>{7});
}

TEST(BadWords, ALongerWordBansItsLastTokenOnlyAfterTheRestOfIt) {
  const std::vector<std::vector<int32_t>> words{{4, 5, 6}};
  EXPECT_TRUE(banned_after(words, {}).empty());
  EXPECT_TRUE(banned_after(words, {4}).empty());
  EXPECT_TRUE(banned_after(words, {5, 4}).empty());
  EXPECT_TRUE(banned_after(words, {4, 5, 9}).empty());
  EXPECT_EQ(banned_after(words, {4, 5}), std::vector<int32_t>{6});
  EXPECT_EQ(banned_after(words, {1, 1, 4, 5}), std::vector<int32_t>{6});
}

TEST(BadWords, EveryMatchingWordAddsItsToken) {
  const std::vector<std::vector<int32_t>> words{{9}, {2, 3}, {1, 3}, {3, 8}, {2, 8}};
  EXPECT_EQ(banned_after(words, {1, 2}), (std::vector<int32_t>{9, 3, 8}));
  std::vector<int32_t> banned{42};  // appends, keeping what is there
  append_banned_by_bad_words(words, std::vector<int32_t>{1}, banned);
  EXPECT_EQ(banned, (std::vector<int32_t>{42, 9, 3}));
}

}  // namespace
}  // namespace turbine
