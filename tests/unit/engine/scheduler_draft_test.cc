// Several tokens per sequence per step: draft tokens scheduled after the last token, verified by
// the (fake) runner, the accepted ones kept and the rest rolled back. Driven ahead, a sequence is
// nearly always in the step already scheduled when the drafter runs, so it rarely takes drafts
// (the engine runs steps in order when it drafts); there the tests check that nothing breaks. A scripted drafter proposes
// drafts that are right or wrong at random, so accept counts vary; the outputs must equal plain
// decoding's, and every block must come back to the pool (the fixture checks it at the end).
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "scheduler_fixture.h"

namespace turbine::testing {
namespace {

using SchedulerDraftTest = SchedulerModesFixture;

SchedulerConfig config_with(int budget, int max_num_seqs, int max_model_len = 1024) {
  return SchedulerConfig{.max_num_batched_tokens = budget, .max_num_seqs = max_num_seqs, .max_model_len = max_model_len};
}

// Proposes up to `max_drafts` drafts for every sequence that may take them: each the sequence's
// true next token with probability `p_right` (once one is wrong the rest follow from a wrong
// guess, so they are wrong too), and counts what it proposed.
struct ScriptedDrafter {
  std::mt19937 rng{99};
  int max_drafts = 4;
  double p_right = 0.7;
  int proposed = 0;
  int right = 0;

  void operator()(Scheduler& scheduler) {
    for (const Request* r : scheduler.sequences_ready_for_drafts()) {
      const int k = int(rng() % uint32_t(max_drafts + 1));
      std::vector<int32_t> drafts;
      bool on_track = true;
      for (int i = 0; i < k; ++i) {
        const int32_t truth = default_next_token(*r, r->num_tokens() + i);
        on_track = on_track && std::uniform_real_distribution<double>(0, 1)(rng) < p_right;
        drafts.push_back(on_track ? truth : truth + 1 + int32_t(rng() % 5));
        right += int(on_track);
      }
      proposed += k;
      EXPECT_TRUE(scheduler.set_draft_tokens(r->seq_id, drafts));
    }
  }
};

// Counts, over the steps run, the drafts scheduled and the steps that carried some.
struct DraftTally {
  int steps_with_drafts = 0;
  int drafts_scheduled = 0;
  void operator()(const SchedulerOutput& out) {
    int drafts = 0;
    for (const ScheduledSequence& e : out.scheduled) drafts += e.num_draft_tokens;
    drafts_scheduled += drafts;
    steps_with_drafts += int(drafts > 0);
  }
};

TEST_P(SchedulerDraftTest, OutputsEqualPlainDecodingWhateverIsAccepted) {
  start(config_with(64, 8, 256), 129, 4);  // small blocks: drafts cross block boundaries often
  for (int i = 0; i < 12; ++i) submit(fmt::format("r{}", i), 3 + i * 5, 20 + i * 3, uint32_t(i));
  ScriptedDrafter drafter;
  DraftTally tally;
  run_to_completion(*scheduler, *model, results, 10000, std::ref(tally), ahead, std::ref(drafter));
  for (int i = 0; i < 12; ++i) expect_full_output(fmt::format("r{}", i), 3 + i * 5, 20 + i * 3);
  if (!ahead) {
    EXPECT_GT(tally.steps_with_drafts, 10);
    EXPECT_GT(drafter.right, 20);                     // some drafts were accepted...
    EXPECT_GT(drafter.proposed - drafter.right, 20);  // ...and some rejected and rolled back
  }
}

TEST_P(SchedulerDraftTest, AllDraftsRightTakesFewerSteps) {
  start(config_with(64, 4, 128), 65, 4);
  submit("a", 5, 40, 1);
  ScriptedDrafter drafter;
  drafter.p_right = 1.0;
  drafter.max_drafts = 4;
  drafter.rng.seed(5);
  int steps = 0;
  run_to_completion(*scheduler, *model, results, 1000, [&](const SchedulerOutput&) { ++steps; }, ahead,
                    std::ref(drafter));
  expect_full_output("a", 5, 40);
  if (!ahead) {
    EXPECT_LT(steps, 35);  // plain decoding takes 40 steps (the prompt's samples the first token)
  }
}

TEST_P(SchedulerDraftTest, RejectedDraftsGiveTheirBlocksBack) {
  start(config_with(64, 4, 128), 65, 4);
  submit("a", 4, 30, 1);  // the prompt fills one block exactly
  step();                 // prompt: first token sampled; 5 tokens, 4 computed
  ASSERT_EQ(result("a").tokens.size(), 1u);
  const SeqId seq = scheduler->sequences_ready_for_drafts().at(0)->seq_id;
  const int before = scheduler->kv_cache().num_free_blocks();
  // Eight wrong drafts: the step needs slots for 9 tokens from position 4, so two more blocks.
  const Request& r = *scheduler->find_sequence(seq);
  std::vector<int32_t> wrong;
  for (int i = 0; i < 8; ++i) wrong.push_back(default_next_token(r, r.num_tokens() + i) + 1);
  ASSERT_TRUE(scheduler->set_draft_tokens(seq, wrong));
  const SchedulerOutput out = scheduler->schedule();
  ASSERT_EQ(out.scheduled.size(), 1u);
  EXPECT_EQ(out.scheduled[0].num_draft_tokens, 8);
  EXPECT_EQ(out.scheduled[0].num_scheduled_tokens(), 9);
  EXPECT_EQ(scheduler->kv_cache().num_free_blocks(), before - 3);
  EXPECT_FALSE(scheduler->can_schedule_ahead());  // drafts in flight: how many tokens come back is unknown
  const StepTokens sampled = model->step(out);
  ASSERT_EQ(sampled.of(0).size(), 1u);  // the first draft was wrong: only the model's own token
  fold(scheduler->update_from_output(out, sampled), sampled);
  EXPECT_EQ(result("a").tokens.size(), 2u);
  // 6 tokens, 5 with K/V: two blocks kept, the third released.
  EXPECT_EQ(scheduler->find_sequence(seq)->num_computed_tokens, 5);
  EXPECT_EQ(scheduler->kv_cache().block_ids(seq).size(), 2u);
  EXPECT_EQ(scheduler->kv_cache().num_free_blocks(), before - 1);
  // The next step rewrites the runner's table (the fake checks every position's K/V).
  const SchedulerOutput next = step();
  ASSERT_EQ(next.scheduled.size(), 1u);
  EXPECT_EQ(next.scheduled[0].block_table.kind, BlockTableUpdate::Kind::kReplace);
  run();
  expect_full_output("a", 4, 30);
}

TEST_P(SchedulerDraftTest, AStopAmongAcceptedDraftsEndsTheSequenceThere) {
  constexpr int32_t kEos = 7;
  SchedulerConfig config = config_with(64, 4, 128);
  config.eos_token_ids = {kEos};
  // The model's token at index 8 (the prompt is 5) is EOS: the 4th output token.
  start(config, 65, 4, true, [](const Request& r, int position) {
    return position == 8 ? kEos : default_next_token(r, position);
  });
  submit("eos", make_prompt(5, 3), RequestParams{.max_tokens = 20});
  step();  // the first output token
  const Request& r = *scheduler->sequences_ready_for_drafts().at(0);
  // Right drafts through EOS and beyond: everything after the EOS is dropped.
  std::vector<int32_t> drafts{default_next_token(r, 6), default_next_token(r, 7), kEos, 3, 4};
  ASSERT_TRUE(scheduler->set_draft_tokens(r.seq_id, drafts));
  run();
  EXPECT_EQ(result("eos").tokens.size(), 4u);
  EXPECT_EQ(result("eos").tokens.back(), kEos);
  EXPECT_EQ(result("eos").finish_reason, RequestFinishReason::kStop);
}

TEST_P(SchedulerDraftTest, DraftsStopAtMaxTokensAndTheContext) {
  start(config_with(64, 4, 40), 65, 4);
  submit("short", 5, 3, 1);   // at most 3 outputs: at most 1 draft after the first token
  submit("edge", 36, 4, 2);   // the context (40) leaves room for 4 tokens
  ScriptedDrafter drafter;
  drafter.p_right = 1.0;
  drafter.max_drafts = 8;
  int max_drafts_seen = 0;
  run_to_completion(*scheduler, *model, results, 100, [&](const SchedulerOutput& out) {
    for (const ScheduledSequence& e : out.scheduled) max_drafts_seen = std::max(max_drafts_seen, e.num_draft_tokens);
  }, ahead, std::ref(drafter));
  expect_full_output("short", 5, 3);
  expect_full_output("edge", 36, 4);
  EXPECT_LE(max_drafts_seen, 2);
  if (!ahead) {
    EXPECT_GE(max_drafts_seen, 1);
  }
}

TEST_P(SchedulerDraftTest, RandomWorkloadWithAbortsAndPreemptionsStaysExact) {
  SchedulerConfig config = config_with(48, 6, 160);
  config.policy = SchedulingPolicy::kPriority;
  start(config, 41, 4);  // 40 usable blocks of 4 = 160 tokens: preemptions are certain
  std::mt19937 rng(4321);
  struct Expected { std::string id; int prompt_len; int max_tokens; int n; };
  std::vector<Expected> expected;
  std::set<std::string> aborted;
  ScriptedDrafter drafter;
  drafter.p_right = 0.6;
  DraftTally tally;
  int turn = 0;
  auto between = [&](Scheduler& s) {
    drafter(s);
    // Now and then a running request is aborted in the middle (its drafts with it).
    if (++turn % 17 == 0 && !expected.empty()) {
      const Expected& victim = expected[rng() % expected.size()];
      if (aborted.insert(victim.id).second) s.abort_request(victim.id);
    }
  };
  for (int i = 0; i < 30; ++i) {
    RequestParams params{.max_tokens = int(rng() % 40) + 1, .priority = int(rng() % 3), .n = int(rng() % 2) + 1};
    const int prompt_len = int(rng() % 50) + 1;
    expected.push_back({fmt::format("w{}", i), prompt_len, params.max_tokens, params.n});
    submit(expected.back().id, make_prompt(prompt_len, uint32_t(i + 50)), params);
  }
  run_to_completion(*scheduler, *model, results, 20000, std::ref(tally), ahead, between);
  int checked = 0;
  for (const Expected& e : expected) {
    for (int s = 0; s < e.n; ++s) {
      SampleResult& got = result(e.id, s);
      const std::vector<int32_t> plain = expected_output(e.id, s, e.prompt_len, e.max_tokens);
      // An abort before an n > 1 request forked ends samples that never existed: no deltas.
      if (aborted.contains(e.id) && (got.finish_reason == RequestFinishReason::kAbort || got.num_deltas == 0)) {
        // Whatever it got before the abort is plain decoding's prefix.
        EXPECT_TRUE(std::equal(got.tokens.begin(), got.tokens.end(), plain.begin())) << e.id;
        continue;
      }
      expect_full_output(e.id, e.prompt_len, e.max_tokens, s);
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
  EXPECT_GT(scheduler->stats().num_preemptions, 0u);
  if (!ahead) {
    EXPECT_GT(tally.steps_with_drafts, 10);
    EXPECT_GT(drafter.proposed - drafter.right, 10);
  }
}

TEST_P(SchedulerDraftTest, OnlyARunningSequenceWithNothingInFlightTakesDrafts) {
  start(config_with(64, 4, 128), 65, 4);
  submit("a", 6, 10, 1);
  EXPECT_TRUE(scheduler->sequences_ready_for_drafts().empty());  // waiting
  const SchedulerOutput first = scheduler->schedule();
  const SeqId seq = first.scheduled.at(0).seq_id;
  EXPECT_FALSE(scheduler->set_draft_tokens(seq, std::vector<int32_t>{1, 2}));  // its token is in flight
  EXPECT_FALSE(scheduler->set_draft_tokens(seq + 100, std::vector<int32_t>{1}));  // no such sequence
  const StepTokens sampled = model->step(first);
  fold(scheduler->update_from_output(first, sampled), sampled);
  ASSERT_EQ(scheduler->sequences_ready_for_drafts().size(), 1u);
  EXPECT_TRUE(scheduler->set_draft_tokens(seq, std::vector<int32_t>{1, 2}));
  run();
  expect_full_output("a", 6, 10);
}

INSTANTIATE_TEST_SUITE_P(Modes, SchedulerDraftTest, ::testing::Bool(), scheduling_mode_name);

}  // namespace
}  // namespace turbine::testing
