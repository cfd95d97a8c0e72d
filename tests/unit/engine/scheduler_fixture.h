// A Scheduler plus a FakeModel of the same KV geometry, for the scheduler tests. Every test ends
// with no live sequence and every block back in the pool.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <memory>

#include "common/error.h"
#include "fake_model.h"

namespace turbine::testing {

class SchedulerFixture : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!scheduler) return;
    EXPECT_FALSE(scheduler->has_unfinished_requests());
    EXPECT_EQ(scheduler->kv_cache().num_sequences(), 0);
    EXPECT_EQ(scheduler->kv_cache().num_free_blocks(), scheduler->kv_cache().pool().num_usable_blocks())
        << "leaked blocks";
  }

  void start(const SchedulerConfig& config, int num_blocks, int block_size = 16, bool prefix_caching = true,
             TokenFn token_fn = default_next_token) {
    scheduler = std::make_unique<Scheduler>(
        config, KvCacheConfig{.num_blocks = num_blocks,
                              .block_size = block_size,
                              .enable_prefix_caching = prefix_caching,
                              .sliding_window = sliding_window});
    model = std::make_unique<FakeModel>(*scheduler, num_blocks, block_size, std::move(token_fn));
  }

  void submit(const std::string& id, std::vector<int32_t> prompt, RequestParams params = {}) {
    auto request = std::make_unique<Request>(id, std::move(prompt), std::move(params));
    request->output_key = output_key_for_id(id);
    scheduler->add_request(std::move(request));
  }
  void submit(const std::string& id, int prompt_len, int max_tokens, uint32_t seed = 0) {
    submit(id, make_prompt(prompt_len, seed), RequestParams{.max_tokens = max_tokens});
  }

  void fold(const std::vector<RequestDelta>& deltas, const StepTokens& sampled) { fold_deltas(deltas, sampled, results); }
  SchedulerOutput step() { return drive_step(*scheduler, *model, results); }
  void run(int max_steps = 10000, const std::function<void(const SchedulerOutput&)>& on_step = {}) {
    run_to_completion(*scheduler, *model, results, max_steps, on_step, ahead);
  }

  // What sample `sample_index` of request `id` produced so far (empty if nothing yet).
  SampleResult& result(const std::string& id, int sample_index = 0) { return results[{id, sample_index}]; }

  // The request ran to max_tokens with the fake model's deterministic tokens.
  void expect_full_output(const std::string& id, int prompt_len, int max_tokens, int sample_index = 0) {
    SCOPED_TRACE(fmt::format("{}#{}", id, sample_index));
    const auto it = results.find({id, sample_index});
    ASSERT_NE(it, results.end()) << "no output";
    EXPECT_EQ(it->second.tokens, expected_output(id, sample_index, prompt_len, max_tokens));
    EXPECT_EQ(it->second.finish_reason, RequestFinishReason::kLength);
  }

  std::unique_ptr<Scheduler> scheduler;
  std::unique_ptr<FakeModel> model;
  bool ahead = false;  // run() schedules each step before the previous one's update
  int sliding_window = 0;  // start() gives the KV cache this window (KvCacheConfig::sliding_window)
  RunResults results;
};

// The same tests in both ways the engine drives a scheduler: each step updated before the next
// is scheduled, and each step scheduled ahead of the previous one's update (`ahead`).
class SchedulerModesFixture : public SchedulerFixture, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override { ahead = GetParam(); }
};

inline std::string scheduling_mode_name(const ::testing::TestParamInfo<bool>& info) {
  return info.param ? "Ahead" : "InOrder";
}

}  // namespace turbine::testing
