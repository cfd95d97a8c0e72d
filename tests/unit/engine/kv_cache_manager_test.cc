#include "engine/kv/kv_cache_manager.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "fake_model.h"

namespace turbine {
namespace {

using testing::make_prompt;

class KvCacheManagerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_EQ(kv.num_sequences(), 0);
    EXPECT_EQ(kv.num_free_blocks(), kv.pool().num_usable_blocks()) << "leaked blocks";
  }

  Request make(std::vector<int32_t> prompt, std::vector<uint64_t> extra_keys = {}) {
    RequestParams params;
    params.cache_extra_keys = std::move(extra_keys);
    Request request(fmt::format("r{}", next_seq_id_), std::move(prompt), params);
    request.seq_id = next_seq_id_++;
    return request;
  }

  // Admits `request` the way the scheduler does and computes its whole prompt in one step.
  void admit_and_compute(Request& request) {
    ComputedBlocks hit = kv.get_computed_blocks(request);
    const int n = request.num_tokens() - hit.num_tokens;
    ASSERT_TRUE(kv.allocate_slots(request, n, hit).has_value());
    request.num_computed_tokens = request.num_tokens();
    kv.cache_computed_blocks(request);
  }

  KvCacheManager kv{KvCacheConfig{.num_blocks = 65, .block_size = 16}};
  SeqId next_seq_id_ = 1;
};

TEST_F(KvCacheManagerTest, SecondRequestReusesTheFullBlocksOfASharedPrefix) {
  const std::vector<int32_t> shared = make_prompt(200, 1);
  auto prompt_a = shared;
  prompt_a.push_back(7);
  auto prompt_b = shared;
  prompt_b.insert(prompt_b.end(), {8, 9, 10});
  Request a = make(prompt_a);
  admit_and_compute(a);
  const std::vector<BlockId> a_blocks(kv.block_ids(a.seq_id).begin(), kv.block_ids(a.seq_id).end());
  kv.free(a);

  Request b = make(prompt_b);
  const ComputedBlocks hit = kv.get_computed_blocks(b);
  EXPECT_EQ(hit.num_tokens, 192);  // 12 full blocks of 16; the 8 shared tokens of block 12 are not full
  EXPECT_EQ(hit.block_ids, std::vector<BlockId>(a_blocks.begin(), a_blocks.begin() + 12));
  const auto slots = kv.allocate_slots(b, b.num_tokens() - hit.num_tokens, hit);
  ASSERT_TRUE(slots.has_value());
  EXPECT_EQ(slots->num_appended_blocks, 13);  // 12 hits + 1 fresh for tokens 192..202
  EXPECT_EQ(kv.pool().prefix_cache_stats().hit_tokens, 192u);
  kv.free(b);
}

// A prompt that grows turn by turn (a conversation, or beam search's one-token steps): what a
// request computed after its prefix-cache hit is cached for the next one.
TEST_F(KvCacheManagerTest, BlocksComputedAfterACacheHitAreCachedToo) {
  std::vector<int32_t> prompt = make_prompt(40, 1);
  Request a = make(prompt);
  admit_and_compute(a);
  kv.free(a);
  prompt.resize(70, 5);
  Request b = make(prompt);
  admit_and_compute(b);  // hits 2 blocks, computes and caches blocks 2 and 3
  EXPECT_EQ(kv.pool().prefix_cache_stats().hit_tokens, 32u);
  kv.free(b);
  prompt.push_back(6);
  Request c = make(prompt);
  EXPECT_EQ(kv.get_computed_blocks(c).num_tokens, 64);
}

TEST_F(KvCacheManagerTest, NeverServesTheWholePrompt) {
  Request a = make(make_prompt(32, 2));
  admit_and_compute(a);
  kv.free(a);
  Request same = make(make_prompt(32, 2));
  EXPECT_EQ(kv.get_computed_blocks(same).num_tokens, 16);  // the last token must be computed
  auto prompt = make_prompt(32, 2);
  prompt.push_back(5);
  Request extended = make(prompt);  // 32 shared tokens + 1
  EXPECT_EQ(kv.get_computed_blocks(extended).num_tokens, 32);
  EXPECT_EQ(kv.get_computed_blocks(extended, 20).num_tokens, 16);  // an explicit cap
}

TEST_F(KvCacheManagerTest, ExtraKeysSeparateCaches) {
  auto prompt = make_prompt(64, 3);
  Request lora_1 = make(prompt, {1});
  admit_and_compute(lora_1);
  kv.free(lora_1);
  Request lora_2 = make(prompt, {2});
  EXPECT_EQ(kv.get_computed_blocks(lora_2).num_tokens, 0);
  Request none = make(prompt);
  EXPECT_EQ(kv.get_computed_blocks(none).num_tokens, 0);
  Request lora_1_again = make(prompt, {1});
  EXPECT_EQ(kv.get_computed_blocks(lora_1_again).num_tokens, 48);
}

TEST_F(KvCacheManagerTest, AllocationIsAllOrNothing) {
  Request big = make(make_prompt(64 * 16 + 1, 4));  // needs 65 blocks; 64 exist
  EXPECT_FALSE(kv.allocate_slots(big, big.num_tokens()).has_value());
  EXPECT_FALSE(kv.holds_blocks(big.seq_id));
  EXPECT_EQ(kv.num_free_blocks(), 64);

  Request a = make(make_prompt(60 * 16, 5));
  ASSERT_TRUE(kv.allocate_slots(a, a.num_tokens()).has_value());
  Request b = make(make_prompt(5 * 16, 6));
  EXPECT_FALSE(kv.allocate_slots(b, b.num_tokens()).has_value());
  EXPECT_TRUE(kv.allocate_slots(b, 4 * 16).has_value());
  kv.free(a);
  kv.free(b);
}

TEST_F(KvCacheManagerTest, GrowsTheTableOnlyWhenABlockFillsUp) {
  Request a = make(make_prompt(10, 7));
  auto first = kv.allocate_slots(a, 10);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->num_appended_blocks, 1);
  a.num_computed_tokens = 10;
  for (int i = 0; i < 6; ++i) {  // tokens 10..15 fit the first block
    a.append_output_token(1);
    auto more = kv.allocate_slots(a, 1);
    ASSERT_TRUE(more.has_value());
    EXPECT_EQ(more->num_appended_blocks, 0);
    ++a.num_computed_tokens;
  }
  a.append_output_token(1);
  auto next = kv.allocate_slots(a, 1);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->num_appended_blocks, 1);
  EXPECT_EQ(kv.block_ids(a.seq_id).size(), 2u);
  kv.free(a);
}

TEST_F(KvCacheManagerTest, FreeingPutsASequenceTailFirstInTheEvictionOrder) {
  Request a = make(make_prompt(48, 8));
  admit_and_compute(a);  // 3 full, cached blocks
  const std::vector<BlockId> blocks(kv.block_ids(a.seq_id).begin(), kv.block_ids(a.seq_id).end());
  kv.free(a);
  const std::vector<BlockId> order = kv.pool().free_queue_order();
  const std::vector<BlockId> tail(order.end() - 3, order.end());
  EXPECT_EQ(tail, (std::vector<BlockId>{blocks[2], blocks[1], blocks[0]}));
}

TEST_F(KvCacheManagerTest, CacheHitsInTheFreeQueueCountAgainstFreeSpace) {
  Request a = make(make_prompt(64 * 16 - 1, 9));  // 64 blocks, the last partial
  admit_and_compute(a);
  kv.free(a);  // 63 cached blocks, all free
  EXPECT_EQ(kv.num_free_blocks(), 64);
  auto prompt = make_prompt(64 * 16 - 1, 9);
  prompt.resize(63 * 16);
  prompt.push_back(1);  // 63 full shared blocks + 1 token
  Request b = make(prompt);
  const ComputedBlocks hit = kv.get_computed_blocks(b);
  EXPECT_EQ(hit.num_tokens, 63 * 16);
  // Claiming the 63 hits leaves one free block; 1 token fits, 17 would not.
  EXPECT_FALSE(kv.allocate_slots(b, 17 + 16, hit).has_value());
  EXPECT_TRUE(kv.allocate_slots(b, 1, hit).has_value());
  EXPECT_EQ(kv.num_free_blocks(), 0);
  kv.free(b);
}

TEST_F(KvCacheManagerTest, NoPrefixCachingModeNeverHits) {
  KvCacheManager plain(KvCacheConfig{.num_blocks = 17, .block_size = 16, .enable_prefix_caching = false});
  Request a = make(make_prompt(64, 10));
  ASSERT_TRUE(plain.allocate_slots(a, 64).has_value());
  a.num_computed_tokens = 64;
  plain.cache_computed_blocks(a);
  EXPECT_EQ(plain.pool().num_cached_blocks(), 0);
  plain.free(a);
  Request b = make(make_prompt(64, 10));
  EXPECT_EQ(plain.get_computed_blocks(b).num_tokens, 0);
  EXPECT_EQ(plain.pool().prefix_cache_stats().lookups, 0u);
  EXPECT_EQ(plain.num_free_blocks(), 16);
}

TEST_F(KvCacheManagerTest, ForkSharesBlocksAndCopiesTheSharedPartialBlockOnWrite) {
  Request parent = make(make_prompt(20, 11));  // block 0 full, block 1 holds 4 tokens
  ASSERT_TRUE(kv.allocate_slots(parent, 20).has_value());
  parent.num_computed_tokens = 20;
  Request child = make(make_prompt(20, 11));
  child.num_computed_tokens = 20;
  kv.fork(parent, child);
  const std::vector<BlockId> shared(kv.block_ids(parent.seq_id).begin(), kv.block_ids(parent.seq_id).end());
  EXPECT_EQ(std::vector<BlockId>(kv.block_ids(child.seq_id).begin(), kv.block_ids(child.seq_id).end()), shared);
  EXPECT_EQ(kv.pool().ref_count(shared[0]), 2);
  EXPECT_EQ(kv.pool().ref_count(shared[1]), 2);

  // The child writes token 20 first: it gets a private copy of block 1.
  child.append_output_token(1);
  auto child_slots = kv.allocate_slots(child, 1);
  ASSERT_TRUE(child_slots.has_value());
  EXPECT_TRUE(child_slots->table_rewritten);
  const BlockId copy = kv.block_ids(child.seq_id)[1];
  EXPECT_NE(copy, shared[1]);
  EXPECT_EQ(kv.block_ids(child.seq_id)[0], shared[0]);
  // The parent is now the only holder: it writes in place, no copy.
  parent.append_output_token(2);
  auto parent_slots = kv.allocate_slots(parent, 1);
  ASSERT_TRUE(parent_slots.has_value());
  EXPECT_FALSE(parent_slots->table_rewritten);
  EXPECT_EQ(kv.block_ids(parent.seq_id)[1], shared[1]);

  EXPECT_EQ(kv.take_block_copies(), (std::vector<BlockCopy>{{shared[1], copy}}));
  EXPECT_TRUE(kv.take_block_copies().empty());
  EXPECT_EQ(kv.pool().ref_count(shared[1]), 1);
  EXPECT_EQ(kv.pool().ref_count(shared[0]), 2);  // full blocks stay shared
  kv.free(child);
  kv.free(parent);
}

TEST_F(KvCacheManagerTest, ForkAtABlockBoundaryNeedsNoCopy) {
  Request parent = make(make_prompt(16, 12));
  ASSERT_TRUE(kv.allocate_slots(parent, 16).has_value());
  parent.num_computed_tokens = 16;
  Request child = make(make_prompt(16, 12));
  child.num_computed_tokens = 16;
  kv.fork(parent, child);
  for (Request* r : {&child, &parent}) {
    r->append_output_token(3);
    auto slots = kv.allocate_slots(*r, 1);
    ASSERT_TRUE(slots.has_value());
    EXPECT_FALSE(slots->table_rewritten);
    EXPECT_EQ(slots->num_appended_blocks, 1);
  }
  EXPECT_TRUE(kv.take_block_copies().empty());
  kv.free(parent);
  kv.free(child);
}

TEST_F(KvCacheManagerTest, CopySourceStaysPinnedUntilTakenEvenIfItsHolderIsFreed) {
  Request parent = make(make_prompt(20, 13));
  ASSERT_TRUE(kv.allocate_slots(parent, 20).has_value());
  parent.num_computed_tokens = 20;
  Request child = make(make_prompt(20, 13));
  child.num_computed_tokens = 20;
  kv.fork(parent, child);
  const BlockId src = kv.block_ids(parent.seq_id)[1];
  child.append_output_token(1);
  ASSERT_TRUE(kv.allocate_slots(child, 1).has_value());
  kv.free(parent);  // e.g. preempted later in the same step
  EXPECT_EQ(kv.pool().ref_count(src), 1) << "the pin";
  EXPECT_EQ(kv.take_block_copies().size(), 1u);
  EXPECT_EQ(kv.pool().ref_count(src), 0);
  kv.free(child);
}

TEST_F(KvCacheManagerTest, FreeingTheCopyTargetDropsTheCopy) {
  Request parent = make(make_prompt(20, 14));
  ASSERT_TRUE(kv.allocate_slots(parent, 20).has_value());
  parent.num_computed_tokens = 20;
  Request child = make(make_prompt(20, 14));
  child.num_computed_tokens = 20;
  kv.fork(parent, child);
  child.append_output_token(1);
  ASSERT_TRUE(kv.allocate_slots(child, 1).has_value());
  kv.free(child);  // preempted in the same step: its copy is moot
  EXPECT_TRUE(kv.take_block_copies().empty());
  EXPECT_EQ(kv.pool().ref_count(kv.block_ids(parent.seq_id)[1]), 1);
  kv.free(parent);
}

TEST(KvCacheConfig, RejectsBadValues) {
  EXPECT_THROW(KvCacheManager(KvCacheConfig{.num_blocks = 1, .block_size = 16}), Error);
  EXPECT_THROW(KvCacheManager(KvCacheConfig{.num_blocks = 8, .block_size = 0}), Error);
}

}  // namespace
}  // namespace turbine
