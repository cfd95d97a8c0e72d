// Sliding-window models: a sequence's blocks that no query can read again are released as it
// goes, so a long sequence holds about window / block_size blocks; the output is unchanged (the
// fake model checks every position each query reads) and every block comes back.
#include <gtest/gtest.h>

#include <random>

#include "scheduler_fixture.h"

namespace turbine::testing {
namespace {

using SchedulerWindowTest = SchedulerModesFixture;

int live_blocks(const KvCacheManager& kv, SeqId seq) {
  int live = 0;
  for (const BlockId id : kv.block_ids(seq)) live += int(id != kNullBlockId);
  return live;
}

TEST_P(SchedulerWindowTest, ALongSequenceHoldsOnlyItsWindow) {
  sliding_window = 16;
  start(SchedulerConfig{.max_num_batched_tokens = 32, .max_num_seqs = 4, .max_model_len = 512}, 129, 4);
  submit("long", 40, 200, 1);
  int most_live = 0;
  run(1000, [&](const SchedulerOutput& out) {
    for (const ScheduledSequence& e : out.scheduled)
      if (scheduler->find_sequence(e.seq_id)) most_live = std::max(most_live, live_blocks(scheduler->kv_cache(), e.seq_id));
  });
  expect_full_output("long", 40, 200);
  // The window (16 tokens = 4 blocks), the block being written, and a step's chunk (32 tokens).
  EXPECT_LE(most_live, 4 + 1 + 8 + 1);
  EXPECT_LT(most_live, 240 / 4);  // without the window it would hold all 60 blocks
}

TEST_P(SchedulerWindowTest, ReleasedBlocksAreReplacedInTheRunnersTable) {
  sliding_window = 8;
  start(SchedulerConfig{.max_num_batched_tokens = 64, .max_num_seqs = 4, .max_model_len = 256}, 65, 4);
  submit("a", 12, 30, 3);
  const SchedulerOutput first = step();  // the prompt: 12 tokens, 3 blocks; the first token sampled
  const SeqId seq = first.scheduled.at(0).seq_id;
  // 13 tokens, 12 computed: the next query is position 12, its window starts at 5, so block 0
  // (positions 0-3) is released.
  EXPECT_EQ(scheduler->kv_cache().block_ids(seq)[0], kNullBlockId);
  EXPECT_EQ(live_blocks(scheduler->kv_cache(), seq), 2);
  const SchedulerOutput second = step();
  ASSERT_EQ(second.scheduled.size(), 1u);
  EXPECT_EQ(second.scheduled[0].block_table.kind, BlockTableUpdate::Kind::kReplace);
  EXPECT_EQ(second.blocks(second.scheduled[0])[0], kNullBlockId);
  run();
  expect_full_output("a", 12, 30);
}

TEST_P(SchedulerWindowTest, ForksDraftsPreemptionsAndThePrefixCacheStayExact) {
  sliding_window = 12;
  SchedulerConfig config{.max_num_batched_tokens = 40, .max_num_seqs = 6, .max_model_len = 200};
  config.policy = SchedulingPolicy::kPriority;
  start(config, 26, 4);  // 25 usable blocks, fewer than one 200-token context: the window makes it fit
  std::mt19937 rng(17);
  const std::vector<int32_t> shared = make_prompt(24, 99);  // a common prefix: cache hits
  struct Expected { std::string id; int prompt_len; int max_tokens; int n; };
  std::vector<Expected> expected;
  for (int i = 0; i < 24; ++i) {
    std::vector<int32_t> prompt(shared.begin(), shared.begin() + int(rng() % 24));
    const auto tail = make_prompt(int(rng() % 40) + 1, uint32_t(i + 7));
    prompt.insert(prompt.end(), tail.begin(), tail.end());
    RequestParams params{.max_tokens = int(rng() % 60) + 1, .priority = int(rng() % 3), .n = int(rng() % 3) + 1};
    expected.push_back({fmt::format("s{}", i), int(prompt.size()), params.max_tokens, params.n});
    submit(expected.back().id, prompt, params);
  }
  std::mt19937 draft_rng(5);
  run_to_completion(*scheduler, *model, results, 20000, {}, ahead, [&](Scheduler& s) {
    for (const Request* r : s.sequences_ready_for_drafts()) {
      std::vector<int32_t> drafts;
      for (int k = 0; k < int(draft_rng() % 4); ++k)
        drafts.push_back(draft_rng() % 3 ? default_next_token(*r, r->num_tokens() + k) : 1);
      s.set_draft_tokens(r->seq_id, drafts);
    }
  });
  for (const Expected& e : expected)
    for (int s = 0; s < e.n; ++s) expect_full_output(e.id, e.prompt_len, e.max_tokens, s);
  EXPECT_GT(scheduler->stats().num_preemptions, 0u);
  EXPECT_GT(scheduler->stats().prefix_cache.hit_tokens, 0u);
}

INSTANTIATE_TEST_SUITE_P(Modes, SchedulerWindowTest, ::testing::Bool(), scheduling_mode_name);

}  // namespace
}  // namespace turbine::testing
