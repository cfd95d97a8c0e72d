// n > 1: one prompt computed once, forked into samples that share its KV blocks, with
// copy-on-write for the shared partially filled block.
#include <gtest/gtest.h>

#include <set>

#include "scheduler_fixture.h"

namespace turbine::testing {
namespace {

using SchedulerForkTest = SchedulerModesFixture;
INSTANTIATE_TEST_SUITE_P(Modes, SchedulerForkTest, ::testing::Bool(), scheduling_mode_name);

SchedulerConfig config_with(int budget, int max_num_seqs) {
  return SchedulerConfig{.max_num_batched_tokens = budget, .max_num_seqs = max_num_seqs, .max_model_len = 1024};
}

TEST_P(SchedulerForkTest, SharesThePromptAndCopiesThePartialBlockOnWrite) {
  start(config_with(256, 8), 65);
  submit("n3", make_prompt(20, 1), RequestParams{.max_tokens = 30, .n = 3});
  // Step 1: the prompt up to the fork point (19 tokens), sampling nothing.
  const SchedulerOutput prefill = step();
  ASSERT_EQ(prefill.scheduled.size(), 1u);
  EXPECT_EQ(prefill.scheduled[0].num_scheduled_tokens(), 19);
  EXPECT_FALSE(prefill.scheduled[0].samples_token);
  EXPECT_EQ(scheduler->kv_cache().num_free_blocks(), 62);

  // Step 2: three samples each compute token 19 into what was one shared block 1: the first two
  // writers get copies, the last writes in place. Block 0 (full) stays shared.
  const SchedulerOutput forked = step();
  ASSERT_EQ(forked.scheduled.size(), 3u);
  EXPECT_EQ(forked.block_copies.size(), 2u);
  std::set<BlockId> second_blocks;
  for (const ScheduledSequence& e : forked.scheduled) {
    EXPECT_EQ(e.num_computed_tokens, 19);
    EXPECT_EQ(e.num_scheduled_tokens(), 1);
    EXPECT_TRUE(e.samples_token);
    EXPECT_EQ(e.block_table.kind, BlockTableUpdate::Kind::kReplace);
    ASSERT_EQ(forked.blocks(e).size(), 2u);
    EXPECT_EQ(forked.blocks(e)[0], forked.blocks(forked.scheduled[0])[0]);
    second_blocks.insert(forked.blocks(e)[1]);
  }
  EXPECT_EQ(second_blocks.size(), 3u);
  for (const BlockCopy& copy : forked.block_copies) {
    EXPECT_TRUE(second_blocks.contains(copy.dst));
    EXPECT_TRUE(second_blocks.contains(copy.src));  // the original stays with the last writer
  }
  EXPECT_EQ(scheduler->kv_cache().num_free_blocks(), 60);

  run();
  for (int s = 0; s < 3; ++s) expect_full_output("n3", 20, 30, s);
  EXPECT_NE(result("n3", 0).tokens, result("n3", 1).tokens);
}

TEST_P(SchedulerForkTest, ForkAtABlockBoundaryCopiesNothing) {
  start(config_with(256, 8), 65);
  submit("n2", make_prompt(17, 2), RequestParams{.max_tokens = 20, .n = 2});
  run(1000, [](const SchedulerOutput& out) { EXPECT_TRUE(out.block_copies.empty()); });
  for (int s = 0; s < 2; ++s) expect_full_output("n2", 17, 20, s);
}

TEST_P(SchedulerForkTest, OneTokenPromptStartsItsSamplesApart) {
  start(config_with(256, 8), 65);
  submit("one", make_prompt(1, 3), RequestParams{.max_tokens = 10, .n = 3});
  const SchedulerOutput first = step();
  EXPECT_EQ(first.scheduled.size(), 3u);
  run();
  for (int s = 0; s < 3; ++s) expect_full_output("one", 1, 10, s);
}

TEST_P(SchedulerForkTest, SiblingSeedsDiffer) {
  start(config_with(256, 8), 65);
  RequestParams params{.max_tokens = 3, .n = 3};
  params.sampling.seed = 100;
  submit("seeded", make_prompt(20, 4), params);
  step();
  const SchedulerOutput forked = step();
  std::set<uint64_t> seeds;
  for (const ScheduledSequence& e : forked.scheduled) seeds.insert(*scheduler->find_sequence(e.seq_id)->params.sampling.seed);
  EXPECT_EQ(seeds, (std::set<uint64_t>{100, 101, 102}));
  run();
}

TEST_P(SchedulerForkTest, ReservesBatchRowsForAllSamples) {
  start(config_with(256, 3), 65);
  submit("n3", make_prompt(20, 5), RequestParams{.max_tokens = 5, .n = 3});
  submit("other", 10, 5, 6);
  const SchedulerOutput first = step();
  ASSERT_EQ(first.scheduled.size(), 1u);  // `other` would take a row the fork needs
  run(1000, [&](const SchedulerOutput&) { EXPECT_LE(scheduler->num_running(), 3); });
  for (int s = 0; s < 3; ++s) expect_full_output("n3", 20, 5, s);
  expect_full_output("other", 10, 5);
}

TEST_P(SchedulerForkTest, PrefixCacheHitStopsShortOfTheForkPoint) {
  start(config_with(256, 8), 65);
  submit("first", make_prompt(33, 6), RequestParams{.max_tokens = 2});
  run();
  submit("n2", make_prompt(33, 6), RequestParams{.max_tokens = 4, .n = 2});
  const SchedulerOutput out = step();
  ASSERT_EQ(out.scheduled.size(), 1u);
  // Fork point 32; hits are capped at 31 tokens, so one full block (16) is reused.
  EXPECT_EQ(out.scheduled[0].num_computed_tokens, 16);
  EXPECT_EQ(out.scheduled[0].num_scheduled_tokens(), 16);
  run();
  for (int s = 0; s < 2; ++s) {
    expect_full_output("n2", 33, 4, s);
    EXPECT_EQ(result("n2", s).num_cached_tokens, 16);
  }
}

TEST_P(SchedulerForkTest, PreemptedSamplesRecomputeAndFinish) {
  // 8 usable blocks of 16 = 128 tokens: three samples of 40 + 60 tokens cannot all stay.
  start(SchedulerConfig{.max_num_batched_tokens = 256, .max_num_seqs = 8, .max_model_len = 128}, 9);
  submit("n3", make_prompt(40, 7), RequestParams{.max_tokens = 60, .n = 3});
  run(5000);
  for (int s = 0; s < 3; ++s) expect_full_output("n3", 40, 60, s);
  EXPECT_GT(scheduler->stats().num_preemptions, 0u);
}

}  // namespace
}  // namespace turbine::testing
