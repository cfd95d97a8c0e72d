#include "engine/scheduler/scheduler.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "scheduler_fixture.h"

namespace turbine::testing {
namespace {

using SchedulerTest = SchedulerModesFixture;
INSTANTIATE_TEST_SUITE_P(Modes, SchedulerTest, ::testing::Bool(), scheduling_mode_name);

SchedulerConfig config_with(int budget, int max_num_seqs, int max_model_len = 1024) {
  return SchedulerConfig{.max_num_batched_tokens = budget, .max_num_seqs = max_num_seqs, .max_model_len = max_model_len};
}

TEST_P(SchedulerTest, ChunksALongPromptAcrossSteps) {
  start(config_with(64, 8), 65);
  submit("long", 200, 3);
  std::vector<int> chunk_sizes;
  std::vector<bool> sampled;
  run(100, [&](const SchedulerOutput& out) {
    ASSERT_EQ(out.scheduled.size(), 1u);
    chunk_sizes.push_back(out.scheduled[0].num_scheduled_tokens());
    sampled.push_back(out.scheduled[0].samples_token);
  });
  EXPECT_EQ(chunk_sizes, (std::vector<int>{64, 64, 64, 8, 1, 1}));
  EXPECT_EQ(sampled, (std::vector<bool>{false, false, false, true, true, true}));
  expect_full_output("long", 200, 3);
}

TEST_P(SchedulerTest, LongPrefillThresholdCapsOneSequencePerStep) {
  SchedulerConfig config = config_with(100, 8);
  config.long_prefill_token_threshold = 30;
  start(config, 65);
  submit("a", 70, 2, 1);
  submit("b", 70, 2, 2);
  const SchedulerOutput first = step();
  ASSERT_EQ(first.scheduled.size(), 2u);  // both start, instead of `a` taking 70 of 100
  EXPECT_EQ(first.scheduled[0].num_scheduled_tokens(), 30);
  EXPECT_EQ(first.scheduled[1].num_scheduled_tokens(), 30);
  run();
  expect_full_output("a", 70, 2);
  expect_full_output("b", 70, 2);
}

TEST_P(SchedulerTest, BudgetAndMaxNumSeqsHoldEveryStepAndEveryRequestFinishes) {
  start(config_with(100, 4), 257);
  std::mt19937 rng(7);
  std::vector<std::tuple<std::string, int, int>> requests;
  for (int i = 0; i < 12; ++i) {
    const int prompt_len = int(rng() % 300) + 1;
    const int max_tokens = int(rng() % 40) + 1;
    requests.emplace_back(fmt::format("req{}", i), prompt_len, max_tokens);
    submit(fmt::format("req{}", i), prompt_len, max_tokens, uint32_t(i));
  }
  run(10000, [&](const SchedulerOutput&) { EXPECT_LE(scheduler->num_running(), 4); });
  for (const auto& [id, prompt_len, max_tokens] : requests) expect_full_output(id, prompt_len, max_tokens);
}

TEST_P(SchedulerTest, DecodesGoBeforePrefillChunks) {
  SchedulerConfig config = config_with(64, 8);
  config.long_prefill_token_threshold = 20;
  start(config, 65);
  submit("prefill", 300, 1, 1);  // arrives first, so it runs first in admission order
  submit("decode", 5, 10, 2);
  const SchedulerOutput first = step();
  ASSERT_EQ(first.scheduled.size(), 2u);
  EXPECT_EQ(scheduler->find_sequence(first.scheduled[0].seq_id)->id, "prefill");
  const SchedulerOutput second = step();
  ASSERT_EQ(second.scheduled.size(), 2u);
  EXPECT_EQ(second.scheduled[0].num_scheduled_tokens(), 1);  // the decode leads
  EXPECT_EQ(second.scheduled[1].num_scheduled_tokens(), 20);
  // In every step, among sequences the runner already knows, decodes come first.
  run(1000, [](const SchedulerOutput& out) {
    bool seen_prefill = false;
    for (const ScheduledSequence& e : out.scheduled) {
      if (e.is_new) continue;
      const bool decode = e.num_scheduled_tokens() == 1 && e.samples_token;
      EXPECT_FALSE(decode && seen_prefill) << "a decode after a prefill chunk";
      seen_prefill |= !decode;
    }
  });
  expect_full_output("prefill", 300, 1);
  expect_full_output("decode", 5, 10);
}

TEST_P(SchedulerTest, PreemptsWhenBlocksRunOutAndEveryRequestStillFinishes) {
  // 12 usable blocks of 16 = 192 tokens; six requests that each grow to ~100 tokens.
  start(config_with(256, 8, 192), 13);
  for (int i = 0; i < 6; ++i) submit(fmt::format("r{}", i), 40 + 4 * i, 60, uint32_t(i));
  run(5000, [&](const SchedulerOutput& out) {
    EXPECT_TRUE(out.block_copies.empty());
  });
  for (int i = 0; i < 6; ++i) expect_full_output(fmt::format("r{}", i), 40 + 4 * i, 60);
  EXPECT_GT(scheduler->stats().num_preemptions, 0u);
}

TEST_P(SchedulerTest, FcfsPreemptsTheLatestArrivalAndResumesIt) {
  start(config_with(256, 8, 160), 11);  // 10 usable blocks
  submit("old", 60, 80, 1);
  submit("new", 60, 80, 2);
  std::vector<std::string> victims;
  std::set<SeqId> resumed;
  while (scheduler->has_unfinished_requests()) {
    SchedulerOutput out = scheduler->schedule();
    for (SeqId seq : out.preempted_seq_ids) victims.push_back(scheduler->find_sequence(seq)->id);
    for (const ScheduledSequence& e : out.scheduled)
      if (e.is_new && scheduler->find_sequence(e.seq_id)->num_preemptions > 0) resumed.insert(e.seq_id);
    const auto sampled = model->step(out);
    for (const RequestDelta& d : scheduler->update_from_output(out, sampled)) {
      SampleResult& r = result(id_of_output_key(d.output_key), d.sample_index);
      for (int t = 0; t < d.num_new_tokens; ++t) r.tokens.push_back(sampled.ids[size_t(d.token_begin + t)]);
      r.finish_reason = d.finish_reason;
    }
  }
  ASSERT_FALSE(victims.empty());
  for (const std::string& v : victims) EXPECT_EQ(v, "new");
  EXPECT_FALSE(resumed.empty());
  expect_full_output("old", 60, 80);
  expect_full_output("new", 60, 80);
}

TEST_P(SchedulerTest, PriorityPolicyAdmitsAndPreemptsByPriority) {
  SchedulerConfig config = config_with(256, 8, 160);
  config.policy = SchedulingPolicy::kPriority;
  start(config, 11);
  submit("low", make_prompt(60, 1), RequestParams{.max_tokens = 80, .priority = 5});
  submit("high", make_prompt(60, 2), RequestParams{.max_tokens = 80, .priority = 0});
  std::vector<std::string> victims;
  std::vector<std::string> first_step_ids;
  while (scheduler->has_unfinished_requests()) {
    SchedulerOutput out = scheduler->schedule();
    if (first_step_ids.empty())
      for (const ScheduledSequence& e : out.scheduled) first_step_ids.push_back(scheduler->find_sequence(e.seq_id)->id);
    for (SeqId seq : out.preempted_seq_ids) victims.push_back(scheduler->find_sequence(seq)->id);
    const auto sampled = model->step(out);
    for (const RequestDelta& d : scheduler->update_from_output(out, sampled)) {
      SampleResult& r = result(id_of_output_key(d.output_key), d.sample_index);
      for (int t = 0; t < d.num_new_tokens; ++t) r.tokens.push_back(sampled.ids[size_t(d.token_begin + t)]);
      r.finish_reason = d.finish_reason;
    }
  }
  EXPECT_EQ(first_step_ids, (std::vector<std::string>{"high", "low"}));
  ASSERT_FALSE(victims.empty());
  for (const std::string& v : victims) EXPECT_EQ(v, "low");  // although it arrived first
  expect_full_output("low", 60, 80);
  expect_full_output("high", 60, 80);
}

TEST_P(SchedulerTest, PriorityOrderDecidesWhoWaitsForABatchRow) {
  SchedulerConfig config = config_with(256, 1);
  config.policy = SchedulingPolicy::kPriority;
  start(config, 65);
  submit("c", make_prompt(10, 1), RequestParams{.max_tokens = 3, .priority = 3});
  submit("a", make_prompt(10, 2), RequestParams{.max_tokens = 3, .priority = 1});
  submit("b", make_prompt(10, 3), RequestParams{.max_tokens = 3, .priority = 2});
  std::vector<std::string> finish_order;
  while (scheduler->has_unfinished_requests()) {
    SchedulerOutput out = scheduler->schedule();
    const auto sampled = model->step(out);
    for (const RequestDelta& d : scheduler->update_from_output(out, sampled))
      if (d.finish_reason) finish_order.push_back(id_of_output_key(d.output_key));
  }
  EXPECT_EQ(finish_order, (std::vector<std::string>{"a", "b", "c"}));
}

TEST_P(SchedulerTest, SecondRequestHitsThePrefixCache) {
  start(config_with(512, 8), 65);
  const std::vector<int32_t> shared = make_prompt(200, 9);
  auto prompt_a = shared;
  prompt_a.push_back(1);
  auto prompt_b = shared;
  prompt_b.insert(prompt_b.end(), {2, 3, 4, 5});
  submit("a", prompt_a, RequestParams{.max_tokens = 4});
  run();
  EXPECT_EQ(result("a", 0).num_cached_tokens, 0);

  submit("b", prompt_b, RequestParams{.max_tokens = 4});
  const SchedulerOutput first = step();
  ASSERT_EQ(first.scheduled.size(), 1u);
  EXPECT_EQ(first.scheduled[0].num_computed_tokens, 192);
  EXPECT_EQ(first.scheduled[0].num_scheduled_tokens(), 204 - 192);
  run();
  EXPECT_EQ(result("b", 0).num_cached_tokens, 192);
  expect_full_output("b", 204, 4);
  EXPECT_EQ(scheduler->stats().prefix_cache.hit_tokens, 192u);
}

TEST_P(SchedulerTest, NoPrefixCachingComputesEverything) {
  start(config_with(512, 8), 65, 16, /*prefix_caching=*/false);
  submit("a", 200, 2, 9);
  run();
  submit("b", 200, 2, 9);
  const SchedulerOutput first = step();
  EXPECT_EQ(first.scheduled[0].num_scheduled_tokens(), 200);
  run();
  EXPECT_EQ(result("b", 0).num_cached_tokens, 0);
}

TEST_P(SchedulerTest, StopsAtEosUnlessIgnoredAndHonoursMinTokens) {
  constexpr int32_t kEos = 2;
  SchedulerConfig config = config_with(256, 8);
  config.eos_token_ids = {kEos};
  // EOS whenever the output reaches 3 tokens' position or later.
  start(config, 65, 16, true, [](const Request& r, int position) {
    return position - r.num_prompt_tokens() >= 2 ? kEos : default_next_token(r, position);
  });
  submit("eos", make_prompt(10, 1), RequestParams{.max_tokens = 10});
  submit("ignore", make_prompt(10, 2), RequestParams{.max_tokens = 5, .ignore_eos = true});
  submit("min", make_prompt(10, 3), RequestParams{.max_tokens = 10, .min_tokens = 5});
  run();
  EXPECT_EQ(result("eos", 0).tokens.size(), 3u);
  EXPECT_EQ(result("eos", 0).tokens.back(), kEos);
  EXPECT_EQ(result("eos", 0).finish_reason, RequestFinishReason::kStop);
  EXPECT_EQ(result("ignore", 0).tokens.size(), 5u);
  EXPECT_EQ(result("ignore", 0).finish_reason, RequestFinishReason::kLength);
  EXPECT_EQ(result("min", 0).tokens.size(), 5u);  // EOS from the 3rd token on, honoured at the 5th
  EXPECT_EQ(result("min", 0).finish_reason, RequestFinishReason::kStop);
}

TEST_P(SchedulerTest, StopTokenIdIsReported) {
  start(config_with(256, 8), 65, 16, true, [](const Request& r, int position) {
    return position - r.num_prompt_tokens() == 1 ? 42 : default_next_token(r, position);
  });
  submit("s", make_prompt(10, 1), RequestParams{.max_tokens = 10, .stop_token_ids = {42}});
  run();
  EXPECT_EQ(result("s", 0).tokens.size(), 2u);
  EXPECT_EQ(result("s", 0).stop_token_id, 42);
  EXPECT_EQ(result("s", 0).finish_reason, RequestFinishReason::kStop);
}

TEST_P(SchedulerTest, ContextLengthEndsGenerationWithLength) {
  start(config_with(256, 8, 50), 65);
  submit("ctx", 45, 100);
  run();
  EXPECT_EQ(result("ctx", 0).tokens.size(), 5u);
  EXPECT_EQ(result("ctx", 0).finish_reason, RequestFinishReason::kLength);
}

// The parameters themselves are validated once, at LlmEngine::submit (request_params_test.cc).
TEST_P(SchedulerTest, RejectsRequestsItCannotServe) {
  start(config_with(256, 4, 100), 65);
  EXPECT_THROW(submit("empty", std::vector<int32_t>{}), Error);
  EXPECT_THROW(submit("long", 100, 1), Error);  // no room for an output token
  EXPECT_THROW(submit("neg", std::vector<int32_t>{1, -3}), Error);
  EXPECT_THROW(submit("n", make_prompt(5, 1), RequestParams{.n = 5}), Error);
  submit("dup", 5, 1);
  EXPECT_THROW(submit("dup", 5, 1), Error);
  run();
  results.clear();
  submit("dup", 5, 1);  // finished: the id is free again
  run();
}

TEST(SchedulerConfigTest, RejectsAKvCacheTooSmallForOneSequence) {
  EXPECT_THROW(Scheduler(config_with(256, 4, 1024), KvCacheConfig{.num_blocks = 64, .block_size = 16}), Error);
  EXPECT_NO_THROW(Scheduler(config_with(256, 4, 1024), KvCacheConfig{.num_blocks = 65, .block_size = 16}));
  EXPECT_THROW(Scheduler(config_with(0, 4), KvCacheConfig{.num_blocks = 65}), Error);
}

TEST_P(SchedulerTest, EmptyStepsAreFine) {
  start(config_with(64, 4), 65);
  const SchedulerOutput out = step();
  EXPECT_TRUE(out.empty());
  EXPECT_FALSE(scheduler->has_unfinished_requests());
}

// Many requests with shared prefixes, n > 1, priorities and a small cache, checked end to end by
// the fake model's KV verification and the deterministic outputs.
TEST_P(SchedulerTest, RandomisedWorkloadStaysCorrect) {
  SchedulerConfig config = config_with(96, 6, 256);
  config.policy = SchedulingPolicy::kPriority;
  start(config, 33, 8);  // 32 usable blocks of 8 = 256 tokens
  std::mt19937 rng(1234);
  const std::vector<int32_t> system_prompt = make_prompt(40, 77);
  struct Expected { std::string id; int prompt_len; int max_tokens; int n; };
  std::vector<Expected> expected;
  for (int i = 0; i < 40; ++i) {
    std::vector<int32_t> prompt;
    if (rng() % 2) prompt = std::vector<int32_t>(system_prompt.begin(), system_prompt.begin() + int(rng() % 40));
    const auto tail = make_prompt(int(rng() % 60) + 1, uint32_t(i + 1000));
    prompt.insert(prompt.end(), tail.begin(), tail.end());
    RequestParams params{.max_tokens = int(rng() % 50) + 1, .priority = int(rng() % 3), .n = int(rng() % 3) + 1};
    if (i % 5 == 0) params.cache_extra_keys = {uint64_t(i % 2)};
    expected.push_back({fmt::format("q{}", i), int(prompt.size()), params.max_tokens, params.n});
    submit(expected.back().id, prompt, params);
    if (i % 4 == 3) step();  // arrivals spread over time
  }
  run(20000);
  for (const Expected& e : expected)
    for (int s = 0; s < e.n; ++s) expect_full_output(e.id, e.prompt_len, e.max_tokens, s);
  EXPECT_GT(scheduler->stats().num_preemptions, 0u);
  EXPECT_GT(scheduler->stats().prefix_cache.hit_tokens, 0u);
}

}  // namespace
}  // namespace turbine::testing
