// The step plan survives encoding: every plan of a busy run (new sequences with their parameters,
// block copies of forks, preemptions, drafts) decodes to the same value; torn or corrupt messages
// throw instead of decoding to a wrong step.
#include <gtest/gtest.h>

#include <random>

#include "engine/scheduler/step_plan_codec.h"
#include "scheduler_fixture.h"

namespace turbine::testing {
namespace {

void expect_same_params(const RequestParams& a, const RequestParams& b) {
  EXPECT_EQ(a.sampling.temperature, b.sampling.temperature);
  EXPECT_EQ(a.sampling.top_k, b.sampling.top_k);
  EXPECT_EQ(a.sampling.top_p, b.sampling.top_p);
  EXPECT_EQ(a.sampling.min_p, b.sampling.min_p);
  EXPECT_EQ(a.sampling.seed, b.sampling.seed);
  EXPECT_EQ(a.sampling.logprobs, b.sampling.logprobs);
  EXPECT_EQ(a.sampling.presence_penalty, b.sampling.presence_penalty);
  EXPECT_EQ(a.sampling.frequency_penalty, b.sampling.frequency_penalty);
  EXPECT_EQ(a.sampling.repetition_penalty, b.sampling.repetition_penalty);
  EXPECT_EQ(a.sampling.logit_bias, b.sampling.logit_bias);
  EXPECT_EQ(a.max_tokens, b.max_tokens);
  EXPECT_EQ(a.min_tokens, b.min_tokens);
  EXPECT_EQ(a.ignore_eos, b.ignore_eos);
  EXPECT_EQ(a.stop_token_ids, b.stop_token_ids);
  EXPECT_EQ(a.bad_words_token_ids, b.bad_words_token_ids);
  EXPECT_EQ(a.allowed_token_ids, b.allowed_token_ids);
  EXPECT_EQ(a.priority, b.priority);
  EXPECT_EQ(a.n, b.n);
  EXPECT_EQ(a.prompt_logprobs, b.prompt_logprobs);
  EXPECT_EQ(a.cache_extra_keys, b.cache_extra_keys);
  EXPECT_EQ(a.structured, b.structured);
}

void expect_same_plan(const SchedulerOutput& a, const SchedulerOutput& b) {
  EXPECT_EQ(a.step_id, b.step_id);
  ASSERT_EQ(a.scheduled.size(), b.scheduled.size());
  for (size_t i = 0; i < a.scheduled.size(); ++i) {
    const ScheduledSequence& x = a.scheduled[i];
    const ScheduledSequence& y = b.scheduled[i];
    EXPECT_EQ(x.seq_id, y.seq_id);
    EXPECT_EQ(x.is_new, y.is_new);
    EXPECT_EQ(x.new_sequence, y.new_sequence);
    EXPECT_EQ(x.num_computed_tokens, y.num_computed_tokens);
    EXPECT_EQ(x.token_begin, y.token_begin);
    EXPECT_EQ(x.num_tokens, y.num_tokens);
    EXPECT_EQ(x.last_token_in_flight, y.last_token_in_flight);
    EXPECT_EQ(x.block_table.kind, y.block_table.kind);
    EXPECT_EQ(x.block_table.block_begin, y.block_table.block_begin);
    EXPECT_EQ(x.block_table.num_blocks, y.block_table.num_blocks);
    EXPECT_EQ(x.samples_token, y.samples_token);
    EXPECT_EQ(x.num_draft_tokens, y.num_draft_tokens);
    EXPECT_EQ(x.num_prior_output_tokens, y.num_prior_output_tokens);
  }
  EXPECT_EQ(a.num_scheduled_tokens, b.num_scheduled_tokens);
  EXPECT_EQ(a.num_prompt_tokens, b.num_prompt_tokens);
  ASSERT_EQ(a.new_sequences.size(), b.new_sequences.size());
  for (size_t i = 0; i < a.new_sequences.size(); ++i) {
    EXPECT_EQ(a.new_sequences[i].seq_id, b.new_sequences[i].seq_id);
    EXPECT_EQ(a.new_sequences[i].sample_index, b.new_sequences[i].sample_index);
    EXPECT_EQ(a.new_sequences[i].prompt_token_ids, b.new_sequences[i].prompt_token_ids);
    EXPECT_EQ(a.new_sequences[i].output_token_ids, b.new_sequences[i].output_token_ids);
    expect_same_params(a.new_sequences[i].params, b.new_sequences[i].params);
  }
  EXPECT_EQ(a.token_ids, b.token_ids);
  EXPECT_EQ(a.block_ids, b.block_ids);
  EXPECT_EQ(a.block_copies, b.block_copies);
  EXPECT_EQ(a.finished_seq_ids, b.finished_seq_ids);
  EXPECT_EQ(a.preempted_seq_ids, b.preempted_seq_ids);
}

class StepPlanCodecTest : public SchedulerFixture {};

TEST_F(StepPlanCodecTest, EveryPlanOfABusyRunRoundTrips) {
  SchedulerConfig config{.max_num_batched_tokens = 40, .max_num_seqs = 6, .max_model_len = 160};
  config.policy = SchedulingPolicy::kPriority;
  start(config, 41, 4);  // tight: preemptions and copy-on-write forks happen
  std::mt19937 rng(11);
  for (int i = 0; i < 16; ++i) {
    RequestParams p{.max_tokens = int(rng() % 30) + 1, .priority = int(rng() % 3), .n = int(rng() % 3) + 1};
    p.sampling.temperature = 0.5f + float(i) * 0.1f;
    p.sampling.top_k = i;
    p.sampling.top_p = 0.9f;
    p.sampling.min_p = 0.01f * float(i % 3);
    if (i % 2) p.sampling.seed = 1000 + uint64_t(i);
    p.sampling.logprobs = i % 5;
    p.sampling.presence_penalty = 0.1f * float(i % 4);
    p.sampling.frequency_penalty = -0.2f;
    p.sampling.repetition_penalty = 1.1f;
    p.sampling.logit_bias = {{3, 1.5f}, {int32_t(7 + i), -2.0f}};
    p.min_tokens = i % 2;
    p.ignore_eos = i % 3 == 0;
    p.stop_token_ids = {int32_t(i), 42};
    if (i % 3 == 1) p.bad_words_token_ids = {{int32_t(i)}, {5, 6, int32_t(100 + i)}};
    if (i % 3 == 2) p.allowed_token_ids = {int32_t(i), 9, 300};
    if (i % 4 == 0) p.prompt_logprobs = 2;
    p.cache_extra_keys = {uint64_t(i % 2)};
    if (i % 3 == 1)
      p.structured = structured::ConstraintSpec{structured::ConstraintKind(i % 5), fmt::format("^a{{{}}}$", i), i % 2 == 0,
                                                i % 2 ? "</think>" : ""};
    submit(fmt::format("c{}", i), make_prompt(int(rng() % 40) + 2, uint32_t(i)), p);
  }
  std::vector<uint8_t> bytes;
  int plans = 0, with_new = 0, with_copies = 0, with_preemptions = 0, with_drafts = 0;
  std::mt19937 draft_rng(3);
  run_to_completion(*scheduler, *model, results, 5000, [&](const SchedulerOutput& plan) {
    encode_step_plan(plan, bytes);
    expect_same_plan(plan, decode_step_plan(bytes));
    ++plans;
    with_new += int(!plan.new_sequences.empty());
    with_copies += int(!plan.block_copies.empty());
    with_preemptions += int(!plan.preempted_seq_ids.empty());
    for (const ScheduledSequence& s : plan.scheduled) with_drafts += int(s.num_draft_tokens > 0);
  }, false, [&](Scheduler& s) {
    for (const Request* r : s.sequences_ready_for_drafts())
      if (draft_rng() % 2) s.set_draft_tokens(r->seq_id, std::vector<int32_t>{int32_t(draft_rng() % 500), 5, 6});
  });
  EXPECT_GT(plans, 20);
  EXPECT_GT(with_new, 0);
  EXPECT_GT(with_copies, 0);
  EXPECT_GT(with_preemptions, 0);
  EXPECT_GT(with_drafts, 0);
}

TEST_F(StepPlanCodecTest, TornAndCorruptMessagesThrow) {
  start(SchedulerConfig{.max_num_batched_tokens = 64, .max_num_seqs = 4, .max_model_len = 128}, 65, 4);
  RequestParams p{.max_tokens = 4};
  p.sampling.seed = 9;
  p.sampling.logit_bias = {{1, 1.0f}};
  p.bad_words_token_ids = {{2, 3}, {4}};
  submit("a", make_prompt(9, 1), p);
  const SchedulerOutput plan = scheduler->schedule();
  std::vector<uint8_t> bytes;
  encode_step_plan(plan, bytes);
  for (size_t cut = 0; cut < bytes.size(); ++cut)
    EXPECT_THROW(decode_step_plan(std::span(bytes).first(cut)), Error) << "cut at " << cut;
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_THROW(decode_step_plan(longer), Error);
  std::vector<uint8_t> bad_magic = bytes;
  bad_magic[0] ^= 1;
  EXPECT_THROW(decode_step_plan(bad_magic), Error);
  // A token range past the plan's tokens: the first entry's num_tokens (after step id, count,
  // seq id, is_new, new_sequence, num_computed_tokens, token_begin).
  std::vector<uint8_t> bad_range = bytes;
  const size_t num_tokens_at = 4 + 4 + 8 + 8 + 8 + 1 + 4 + 4 + 4;
  bad_range[num_tokens_at + 1] = 0x7f;
  EXPECT_THROW(decode_step_plan(bad_range), Error);
  const StepTokens sampled = model->step(plan);
  fold(scheduler->update_from_output(plan, sampled), sampled);
  run();
}

}  // namespace
}  // namespace turbine::testing
