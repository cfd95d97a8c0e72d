#include "engine/kv/block_pool.h"

#include <gtest/gtest.h>

#include <numeric>

namespace turbine {
namespace {

constexpr int kBlockSize = 4;

// A full block's key in a simple chain: tokens {seed, seed+1, ...}.
struct KeyMaker {
  std::vector<int32_t> tokens;
  std::vector<uint64_t> extra_keys;
  BlockHash hash;
  KeyMaker(int32_t seed, const BlockHash& parent = kRootBlockHash, std::vector<uint64_t> extra = {})
      : tokens(kBlockSize), extra_keys(std::move(extra)) {
    std::iota(tokens.begin(), tokens.end(), seed);
    hash = hash_block(parent, tokens, extra_keys);
  }
  CachedBlockKey key(uint64_t parent_cache_id = 0) const { return {hash, tokens, extra_keys, parent_cache_id}; }
};

class BlockPoolTest : public ::testing::Test {
 protected:
  // No leaks: every test gives every block back.
  void TearDown() override { EXPECT_EQ(pool.num_free_blocks(), pool.num_usable_blocks()); }
  BlockPool pool{9, kBlockSize};  // blocks 1..8 usable
};

TEST_F(BlockPoolTest, NullBlockIsNeverHandedOut) {
  EXPECT_EQ(pool.num_usable_blocks(), 8);
  EXPECT_EQ(pool.num_free_blocks(), 8);
  EXPECT_DOUBLE_EQ(pool.usage(), 0.0);
  std::vector<BlockId> all = pool.allocate(8);
  EXPECT_EQ(all, (std::vector<BlockId>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(pool.num_free_blocks(), 0);
  EXPECT_DOUBLE_EQ(pool.usage(), 1.0);
  for (BlockId id : all) EXPECT_EQ(pool.ref_count(id), 1);
  pool.free(all);
}

TEST_F(BlockPoolTest, RefCountsShareBlocks) {
  std::vector<BlockId> ids = pool.allocate(2);
  pool.touch(ids);  // a second holder
  EXPECT_EQ(pool.ref_count(ids[0]), 2);
  pool.free(ids);
  EXPECT_EQ(pool.ref_count(ids[0]), 1);
  EXPECT_EQ(pool.num_free_blocks(), 6);  // still held once
  pool.free(ids);
  EXPECT_EQ(pool.ref_count(ids[0]), 0);
}

TEST_F(BlockPoolTest, CachedBlocksAreEvictedLeastRecentlyFreedFirst) {
  std::vector<BlockId> ids = pool.allocate(8);
  const KeyMaker a(10), b(20), c(30);
  pool.cache(ids[0], a.key());
  pool.cache(ids[1], b.key());
  pool.cache(ids[2], c.key());
  // Freed in the order c, a, b: c is evicted first, b last.
  pool.free(std::vector<BlockId>{ids[2]});
  pool.free(std::vector<BlockId>{ids[0]});
  pool.free(std::vector<BlockId>{ids[1]});
  EXPECT_EQ(pool.free_queue_order(), (std::vector<BlockId>{ids[2], ids[0], ids[1]}));
  // An uncached freed block holds nothing reusable: it goes to the head.
  pool.free(std::vector<BlockId>{ids[7]});
  EXPECT_EQ(pool.free_queue_order().front(), ids[7]);

  EXPECT_EQ(pool.allocate(1).front(), ids[7]);
  EXPECT_EQ(pool.allocate(1).front(), ids[2]);  // c evicted
  EXPECT_FALSE(pool.find_cached(c.key()).has_value());
  EXPECT_EQ(pool.find_cached(a.key()), ids[0]);
  pool.free(std::vector<BlockId>{ids[7], ids[2], ids[3], ids[4], ids[5], ids[6]});
}

TEST_F(BlockPoolTest, FreedBlocksKeepTheirHashUntilReused) {
  std::vector<BlockId> ids = pool.allocate(1);
  const KeyMaker a(10);
  pool.cache(ids[0], a.key());
  pool.free(ids);
  // Lazy eviction: still findable while free.
  ASSERT_EQ(pool.find_cached(a.key()), ids[0]);
  EXPECT_TRUE(pool.is_cached(ids[0]));
  EXPECT_EQ(pool.num_cached_blocks(), 1);

  // A hit takes it out of the middle of the free queue.
  pool.touch(ids);
  EXPECT_EQ(pool.ref_count(ids[0]), 1);
  EXPECT_EQ(pool.num_free_blocks(), 7);
  for (BlockId id : pool.free_queue_order()) EXPECT_NE(id, ids[0]);
  pool.free(ids);
  EXPECT_EQ(pool.free_queue_order().back(), ids[0]);

  // Reusing every other block first leaves it cached; reusing it drops the hash.
  std::vector<BlockId> others = pool.allocate(7);
  EXPECT_TRUE(pool.find_cached(a.key()).has_value());
  std::vector<BlockId> last = pool.allocate(1);
  EXPECT_EQ(last.front(), ids[0]);
  EXPECT_FALSE(pool.is_cached(ids[0]));
  EXPECT_FALSE(pool.find_cached(a.key()).has_value());
  EXPECT_EQ(pool.num_cached_blocks(), 0);
  pool.free(others);
  pool.free(last);
}

TEST_F(BlockPoolTest, LookupVerifiesTokensExtraKeysAndParentNotJustTheHash) {
  std::vector<BlockId> ids = pool.allocate(2);
  const KeyMaker root(10);
  pool.cache(ids[0], root.key());
  const uint64_t root_id = pool.cache_id(ids[0]);
  const KeyMaker child(20, root.hash);
  pool.cache(ids[1], child.key(root_id));
  EXPECT_EQ(pool.find_cached(child.key(root_id)), ids[1]);

  // A forged collision: the right hash with other tokens, keys or parent finds nothing.
  CachedBlockKey forged = child.key(root_id);
  std::vector<int32_t> other_tokens = child.tokens;
  other_tokens[0] += 1;
  forged.tokens = other_tokens;
  EXPECT_FALSE(pool.find_cached(forged).has_value());

  const std::vector<uint64_t> keys{42};
  forged = child.key(root_id);
  forged.extra_keys = keys;
  EXPECT_FALSE(pool.find_cached(forged).has_value());

  EXPECT_FALSE(pool.find_cached(child.key(root_id + 100)).has_value());
  EXPECT_FALSE(pool.find_cached(child.key(0)).has_value());
  pool.free(ids);
}

TEST_F(BlockPoolTest, ReCachingGivesANewCacheIdSoStaleChildrenAreUnreachable) {
  std::vector<BlockId> ids = pool.allocate(2);
  const KeyMaker root(10);
  pool.cache(ids[0], root.key());
  const uint64_t old_root_id = pool.cache_id(ids[0]);
  const KeyMaker child(20, root.hash);
  pool.cache(ids[1], child.key(old_root_id));
  // Free the root alone and let it be evicted and re-cached with the same contents: the child,
  // computed after the old incarnation, must not be found through the new one.
  pool.free(std::vector<BlockId>{ids[0]});
  std::vector<BlockId> rest = pool.allocate(7);  // evicts the root, last in the queue
  EXPECT_FALSE(pool.is_cached(ids[0]));
  const auto it = std::find(rest.begin(), rest.end(), ids[0]);
  ASSERT_NE(it, rest.end());
  pool.cache(ids[0], root.key());
  EXPECT_NE(pool.cache_id(ids[0]), old_root_id);
  EXPECT_FALSE(pool.find_cached(child.key(pool.cache_id(ids[0]))).has_value());
  pool.free(rest);
  pool.free(std::vector<BlockId>{ids[1]});
}

TEST_F(BlockPoolTest, DuplicateContentsCanBeCachedTwice) {
  std::vector<BlockId> ids = pool.allocate(2);
  const KeyMaker a(10);
  pool.cache(ids[0], a.key());
  pool.cache(ids[1], a.key());
  EXPECT_EQ(pool.num_cached_blocks(), 2);
  pool.free(std::vector<BlockId>{ids[0]});
  // Evicting one copy keeps the other findable.
  std::vector<BlockId> rest = pool.allocate(7);
  EXPECT_EQ(pool.find_cached(a.key()), ids[1]);
  pool.free(rest);
  pool.free(std::vector<BlockId>{ids[1]});
}

TEST_F(BlockPoolTest, CountsPrefixLookups) {
  pool.record_prefix_lookup(200, 192);
  pool.record_prefix_lookup(50, 0);
  EXPECT_EQ(pool.prefix_cache_stats().lookups, 2u);
  EXPECT_EQ(pool.prefix_cache_stats().queried_tokens, 250u);
  EXPECT_EQ(pool.prefix_cache_stats().hit_tokens, 192u);
}

TEST(BlockPoolDeathTest, CatchesMisuse) {
  BlockPool pool(3, kBlockSize);
  EXPECT_DEATH(pool.allocate(3), "asked for 3 blocks, 2 free");
  EXPECT_DEATH(pool.free(std::vector<BlockId>{1}), "freed more often than referenced");
  EXPECT_DEATH(pool.free(std::vector<BlockId>{kNullBlockId}), "not a usable block");
}

}  // namespace
}  // namespace turbine
