// Scheduling ahead (Scheduler, "Scheduling ahead"): a step scheduled before the previous step's
// update, with its in-flight tokens fed by the runner. The general behaviour runs in both modes
// in the other scheduler tests; these pin down the cases only a pipeline has.
#include <gtest/gtest.h>

#include <map>

#include "scheduler_fixture.h"

namespace turbine::testing {
namespace {

class SchedulerAheadTest : public SchedulerFixture {
 protected:
  // Runs in order until `id` decodes (its prompt computed, one token out).
  void run_until_decoding(const std::string& id) {
    for (int i = 0; i < 100 && result(id).tokens.empty(); ++i) step();
    ASSERT_FALSE(result(id).tokens.empty());
  }
  void expect_scheduled_ahead(const RequestParams& params);
};

SchedulerConfig config_with(int budget, int max_num_seqs, int max_model_len = 1024) {
  return SchedulerConfig{.max_num_batched_tokens = budget, .max_num_seqs = max_num_seqs, .max_model_len = max_model_len};
}

TEST_F(SchedulerAheadTest, FeedsTheInFlightTokenAndCountsIt) {
  start(config_with(256, 4), 65);
  submit("r", 10, 20);
  run_until_decoding("r");
  const SchedulerOutput first = scheduler->schedule();
  ASSERT_EQ(first.scheduled.size(), 1u);
  EXPECT_EQ(std::vector<int32_t>(first.tokens(first.scheduled[0]).begin(), first.tokens(first.scheduled[0]).end()),
            std::vector<int32_t>{result("r").tokens.back()});
  EXPECT_FALSE(first.scheduled[0].last_token_in_flight);
  EXPECT_EQ(first.scheduled[0].num_prior_output_tokens, 1);
  const auto first_sampled = model->step(first);
  ASSERT_TRUE(scheduler->can_schedule_ahead());
  const SchedulerOutput second = scheduler->schedule();  // before the first's update
  ASSERT_EQ(second.scheduled.size(), 1u);
  EXPECT_EQ(std::vector<int32_t>(second.tokens(second.scheduled[0]).begin(), second.tokens(second.scheduled[0]).end()),
            std::vector<int32_t>{kInFlightToken});
  EXPECT_TRUE(second.scheduled[0].last_token_in_flight);
  EXPECT_EQ(second.scheduled[0].num_computed_tokens, first.scheduled[0].num_computed_tokens + 1);
  EXPECT_EQ(second.scheduled[0].num_prior_output_tokens, 2);
  EXPECT_TRUE(second.scheduled[0].samples_token);
  const auto second_sampled = model->step(second);  // the fake feeds the first step's token
  EXPECT_EQ(scheduler->find_sequence(second.scheduled[0].seq_id)->num_in_flight_tokens, 2);
  fold(scheduler->update_from_output(first, first_sampled), first_sampled);
  fold(scheduler->update_from_output(second, second_sampled), second_sampled);
  EXPECT_EQ(scheduler->find_sequence(second.scheduled[0].seq_id)->num_in_flight_tokens, 0);
  EXPECT_EQ(scheduler->find_sequence(second.scheduled[0].seq_id)->num_output_tokens(), 3);
  ahead = true;
  run();
  expect_full_output("r", 10, 20);
}

TEST_F(SchedulerAheadTest, UpdatesMustComeInScheduleOrder) {
  start(config_with(256, 4), 65);
  submit("r", 10, 20);
  run_until_decoding("r");
  const SchedulerOutput first = scheduler->schedule();
  const auto first_sampled = model->step(first);
  const SchedulerOutput second = scheduler->schedule();
  const auto second_sampled = model->step(second);
  EXPECT_DEATH(scheduler->schedule(), "2 updates outstanding");
  EXPECT_DEATH(scheduler->update_from_output(second, second_sampled), "update_from_output\\(\\) for step");
  fold(scheduler->update_from_output(first, first_sampled), first_sampled);
  fold(scheduler->update_from_output(second, second_sampled), second_sampled);
  scheduler->abort_request("r");
  step();
  EXPECT_EQ(result("r").finish_reason, RequestFinishReason::kAbort);
}

TEST_F(SchedulerAheadTest, ALengthLimitIsNotScheduledAheadOfItsLastToken) {
  start(config_with(256, 8, 40), 65);
  submit("max_tokens", 10, 5, 1);
  submit("context", 35, 100, 2);  // the context ends it after 5 tokens
  std::map<SeqId, int> sampling_rows;
  ahead = true;
  run(1000, [&](const SchedulerOutput& out) {
    for (const ScheduledSequence& e : out.scheduled) sampling_rows[e.seq_id] += int(e.samples_token);
  });
  expect_full_output("max_tokens", 10, 5);
  EXPECT_EQ(result("context").tokens.size(), 5u);
  for (const auto& [seq, rows] : sampling_rows) EXPECT_EQ(rows, 5) << "sequence " << seq << " wasted a row";
}

TEST_F(SchedulerAheadTest, AStopWhileAheadWastesOneRowAndNothingElse) {
  constexpr int32_t kEos = 2;
  SchedulerConfig config = config_with(256, 8);
  config.eos_token_ids = {kEos};
  start(config, 65, 16, true, [](const Request& r, int position) {
    return position - r.num_prompt_tokens() >= 3 ? kEos : default_next_token(r, position);
  });
  submit("eos", make_prompt(10, 1), RequestParams{.max_tokens = 50});
  submit("other", make_prompt(12, 2), RequestParams{.max_tokens = 8, .ignore_eos = true});
  std::map<SeqId, int> sampling_rows;
  ahead = true;
  run(1000, [&](const SchedulerOutput& out) {
    for (const ScheduledSequence& e : out.scheduled) sampling_rows[e.seq_id] += int(e.samples_token);
  });
  EXPECT_EQ(result("eos").tokens.size(), 4u);
  EXPECT_EQ(result("eos").finish_reason, RequestFinishReason::kStop);
  EXPECT_EQ(result("other").tokens.size(), 8u);
  EXPECT_EQ(sampling_rows.size(), 2u);
  EXPECT_EQ(sampling_rows.begin()->second, 5);  // four tokens and the row after the EOS
}

TEST_F(SchedulerAheadTest, AnAbortWhileATokenIsInFlightDropsTheToken) {
  start(config_with(256, 4), 65);
  submit("r", 10, 20);
  run_until_decoding("r");
  const SchedulerOutput first = scheduler->schedule();
  const auto first_sampled = model->step(first);
  scheduler->abort_request("r");
  const SchedulerOutput second = scheduler->schedule();  // the abort lands here
  EXPECT_TRUE(second.empty());
  EXPECT_EQ(scheduler->find_sequence(first.scheduled[0].seq_id), nullptr);
  const auto second_sampled = model->step(second);
  const auto deltas = scheduler->update_from_output(first, first_sampled);
  ASSERT_EQ(deltas.size(), 1u);
  EXPECT_EQ(deltas[0].finish_reason, RequestFinishReason::kAbort);
  EXPECT_FALSE(deltas[0].has_new_token());
  EXPECT_TRUE(scheduler->update_from_output(second, second_sampled).empty());
  fold(deltas, first_sampled);
  EXPECT_EQ(result("r").tokens.size(), 1u);  // the token before the abort, not the dropped one
  EXPECT_FALSE(scheduler->has_unfinished_requests());
  EXPECT_EQ(scheduler->kv_cache().num_free_blocks(), scheduler->kv_cache().pool().num_usable_blocks());
}

// A request whose sampling reads its output (RequestParams::reads_output_tokens) is scheduled
// ahead like any other (the runner defers only that step's sampling until its token is known),
// and still gets its whole output.
void SchedulerAheadTest::expect_scheduled_ahead(const RequestParams& params) {
  start(config_with(256, 4), 65);
  submit("reader", make_prompt(10, 1), params);
  submit("plain", 10, 6, 2);
  run_until_decoding("reader");
  const SchedulerOutput out = scheduler->schedule();
  const auto sampled = model->step(out);
  EXPECT_TRUE(scheduler->can_schedule_ahead());
  const SchedulerOutput next = scheduler->schedule();
  ASSERT_EQ(next.scheduled.size(), 2u);
  for (const ScheduledSequence& seq : next.scheduled) EXPECT_TRUE(seq.last_token_in_flight);
  const auto next_sampled = model->step(next);
  fold(scheduler->update_from_output(out, sampled), sampled);
  fold(scheduler->update_from_output(next, next_sampled), next_sampled);
  ahead = true;
  run();
  expect_full_output("reader", 10, 6);
  expect_full_output("plain", 10, 6);
}

TEST_F(SchedulerAheadTest, PenaltiesAreScheduledAhead) {
  RequestParams params{.max_tokens = 6};
  params.sampling.repetition_penalty = 1.2f;
  expect_scheduled_ahead(params);
}

TEST_F(SchedulerAheadTest, BadWordsAreScheduledAhead) {
  expect_scheduled_ahead(RequestParams{.max_tokens = 6, .bad_words_token_ids = {{7, 8}}});
}

TEST_F(SchedulerAheadTest, PreemptionKeepsTheInFlightTokenAndResumesAfterIt) {
  start(config_with(256, 8, 160), 11);  // 10 usable blocks: the later request gets preempted
  submit("old", 60, 80, 1);
  submit("new", 60, 80, 2);
  ahead = true;
  run();
  EXPECT_GT(scheduler->stats().num_preemptions, 0u);
  expect_full_output("old", 60, 80);
  expect_full_output("new", 60, 80);
}

}  // namespace
}  // namespace turbine::testing
