// Packed allowed-token masks (backend/token_bitmask.h): setting ids, finding the n-th allowed id,
// and masking logits, at ids across word boundaries and past the mask.
#include "backend/token_bitmask.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace turbine {
namespace {

TEST(TokenBitmask, AllowedIdsAreFoundInOrderAndMaskTheRest) {
  const std::vector<int64_t> ids = {0, 31, 32, 63, 64, 95, 100};
  std::vector<uint32_t> mask(size_t(token_bitmask_words(101)), 0);
  for (const int64_t id : ids) allow_token(mask, id);
  for (size_t n = 0; n < ids.size(); ++n) EXPECT_EQ(nth_allowed_token(mask, int(n)), ids[n]) << n;
  EXPECT_TRUE(token_allowed(mask, 95));
  EXPECT_FALSE(token_allowed(mask, 96));
  EXPECT_FALSE(token_allowed(mask, 1000));  // past the mask
  std::vector<float> logits(110, 1.0f);
  apply_token_bitmask(logits, mask);
  for (int64_t id = 0; id < 110; ++id)
    EXPECT_EQ(std::isinf(logits[size_t(id)]), !token_allowed(mask, id)) << id;
}

}  // namespace
}  // namespace turbine
