#include "engine/kv/block_hash.h"

#include <gtest/gtest.h>

#include <numeric>

namespace turbine {
namespace {

std::vector<int32_t> iota_tokens(int n, int32_t first) {
  std::vector<int32_t> tokens(size_t(n), 0);
  std::iota(tokens.begin(), tokens.end(), first);
  return tokens;
}

TEST(BlockHash, IsDeterministic) {
  const auto tokens = iota_tokens(16, 5);
  EXPECT_EQ(hash_block(kRootBlockHash, tokens, {}), hash_block(kRootBlockHash, tokens, {}));
}

TEST(BlockHash, DependsOnParentTokensExtraKeysAndSeed) {
  const auto tokens = iota_tokens(16, 5);
  const BlockHash base = hash_block(kRootBlockHash, tokens, {});
  const BlockHash other_parent = hash_block(base, tokens, {});
  EXPECT_NE(base, other_parent);

  auto changed = tokens;
  changed[15] += 1;
  EXPECT_NE(base, hash_block(kRootBlockHash, changed, {}));

  const std::vector<uint64_t> lora_7{7};
  const std::vector<uint64_t> lora_8{8};
  EXPECT_NE(base, hash_block(kRootBlockHash, tokens, lora_7));
  EXPECT_NE(hash_block(kRootBlockHash, tokens, lora_7), hash_block(kRootBlockHash, tokens, lora_8));
  EXPECT_NE(base, hash_block(kRootBlockHash, tokens, {}, kDefaultBlockHashSeed + 1));
}

TEST(BlockHash, TokenAndKeyBoundariesAreUnambiguous) {
  // 15 tokens + key {x} must not hash like 16 tokens ending in x's bytes.
  const auto sixteen = iota_tokens(16, 1);
  const std::vector<int32_t> fifteen(sixteen.begin(), sixteen.end() - 1);
  const std::vector<uint64_t> key{uint64_t(uint32_t(sixteen.back()))};
  EXPECT_NE(hash_block(kRootBlockHash, sixteen, {}), hash_block(kRootBlockHash, fifteen, key));
}

TEST(BlockHash, ExtendHashesOnlyFullBlocksIncrementally) {
  const auto tokens = iota_tokens(50, 100);
  std::vector<BlockHash> all;
  extend_block_hashes(tokens, 16, {}, kDefaultBlockHashSeed, all);
  ASSERT_EQ(all.size(), 3u);  // 48 of 50 tokens are in full blocks
  EXPECT_EQ(all[0], hash_block(kRootBlockHash, std::span(tokens).first(16), {}));
  EXPECT_EQ(all[1], hash_block(all[0], std::span(tokens).subspan(16, 16), {}));
  EXPECT_EQ(all[2], hash_block(all[1], std::span(tokens).subspan(32, 16), {}));

  std::vector<BlockHash> incremental;
  for (size_t n = 0; n <= tokens.size(); ++n)
    extend_block_hashes(std::span(tokens).first(n), 16, {}, kDefaultBlockHashSeed, incremental);
  EXPECT_EQ(incremental, all);
}

TEST(BlockHash, SharedPrefixSharesHashesUntilTheFirstDifferentBlock) {
  auto a = iota_tokens(64, 0);
  auto b = a;
  b[40] = -1;  // in block 2
  std::vector<BlockHash> ha, hb;
  extend_block_hashes(a, 16, {}, kDefaultBlockHashSeed, ha);
  extend_block_hashes(b, 16, {}, kDefaultBlockHashSeed, hb);
  EXPECT_EQ(ha[0], hb[0]);
  EXPECT_EQ(ha[1], hb[1]);
  EXPECT_NE(ha[2], hb[2]);
  EXPECT_NE(ha[3], hb[3]);  // the chain carries the difference forward
}

}  // namespace
}  // namespace turbine
