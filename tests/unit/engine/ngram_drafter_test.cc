// NgramDrafter: the longest recurring suffix, its latest earlier occurrence, what followed it.
#include <gtest/gtest.h>

#include <vector>

#include "common/error.h"
#include "engine/drafting/ngram_drafter.h"
#include "engine/drafting/speculative_config.h"

namespace turbine {
namespace {

std::vector<int32_t> propose(NgramDrafter& d, const std::vector<int32_t>& tokens, int max_drafts) {
  std::vector<int32_t> drafts{99};  // replaced, not appended to
  d.propose(tokens, max_drafts, drafts);
  return drafts;
}

TEST(NgramDrafter, ProposesWhatFollowedTheSuffixBefore) {
  NgramDrafter d(1, 3);
  // ... 5 6 7 8 9 ... 5 6 7 -> 8 9 10
  EXPECT_EQ(propose(d, {1, 5, 6, 7, 8, 9, 10, 2, 5, 6, 7}, 3), (std::vector<int32_t>{8, 9, 10}));
  EXPECT_EQ(propose(d, {1, 5, 6, 7, 8, 9, 10, 2, 5, 6, 7}, 1), (std::vector<int32_t>{8}));
}

TEST(NgramDrafter, PrefersTheLongestSuffixThenTheLatestOccurrence) {
  NgramDrafter d(1, 3);
  // The 1-gram "7" last occurred followed by 3, but the 2-gram "6 7" followed by 8 wins.
  EXPECT_EQ(propose(d, {6, 7, 8, 4, 7, 3, 6, 7}, 2), (std::vector<int32_t>{8, 4}));
  // Two occurrences of "4 5": the later one's continuation.
  EXPECT_EQ(propose(d, {4, 5, 1, 4, 5, 2, 4, 5}, 1), (std::vector<int32_t>{2}));
}

TEST(NgramDrafter, StopsAtTheEndAndProposesNothingWithoutAMatch) {
  NgramDrafter d(2, 4);
  EXPECT_EQ(propose(d, {3, 4, 3, 4}, 5), (std::vector<int32_t>{3, 4}));  // never past the sequence's end
  EXPECT_TRUE(propose(d, {1, 2, 3, 4, 5}, 5).empty());
  EXPECT_TRUE(propose(d, {7, 1, 7}, 5).empty());  // a 1-gram match is below min_n
  EXPECT_TRUE(propose(d, {3, 4, 3, 4}, 0).empty());
  EXPECT_TRUE(propose(d, {}, 3).empty());
  EXPECT_TRUE(propose(d, {5}, 3).empty());
}

TEST(NgramDrafter, ConfigIsValidated) {
  EXPECT_THROW(NgramDrafter(0, 3), Error);
  EXPECT_THROW(NgramDrafter(3, 2), Error);
  SpeculativeConfig config;
  EXPECT_EQ(make_drafter(config), nullptr);
  config.method = SpeculativeConfig::Method::kNgram;
  EXPECT_THROW(make_drafter(config), Error);  // no num_speculative_tokens
  config.num_speculative_tokens = 5;
  EXPECT_NE(make_drafter(config), nullptr);
}

}  // namespace
}  // namespace turbine
