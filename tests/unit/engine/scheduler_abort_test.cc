// Aborts reach a request in every state, free its blocks and end its stream with "abort".
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "scheduler_fixture.h"

namespace turbine::testing {
namespace {

using SchedulerAbortTest = SchedulerModesFixture;
INSTANTIATE_TEST_SUITE_P(Modes, SchedulerAbortTest, ::testing::Bool(), scheduling_mode_name);

SchedulerConfig config_with(int budget, int max_num_seqs, int max_model_len = 1024) {
  return SchedulerConfig{.max_num_batched_tokens = budget, .max_num_seqs = max_num_seqs, .max_model_len = max_model_len};
}

bool contains(const std::vector<SeqId>& ids, SeqId id) { return std::ranges::find(ids, id) != ids.end(); }

TEST_P(SchedulerAbortTest, WaitingRequest) {
  start(config_with(256, 1), 65);
  submit("a", 10, 5, 1);
  submit("b", 10, 5, 2);
  step();
  EXPECT_EQ(scheduler->num_waiting(), 1);
  scheduler->abort_request("b");
  const SchedulerOutput out = step();
  for (const ScheduledSequence& e : out.scheduled) EXPECT_NE(scheduler->find_sequence(e.seq_id)->id, "b");
  EXPECT_EQ(scheduler->num_waiting(), 0);
  EXPECT_EQ(result("b", 0).finish_reason, RequestFinishReason::kAbort);
  EXPECT_TRUE(result("b", 0).tokens.empty());
  run();
  expect_full_output("a", 10, 5);
}

TEST_P(SchedulerAbortTest, SubmittedAndAbortedBeforeAnyStep) {
  start(config_with(256, 4), 65);
  submit("a", 10, 5);
  scheduler->abort_request("a");
  const SchedulerOutput out = step();
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(result("a", 0).finish_reason, RequestFinishReason::kAbort);
}

TEST_P(SchedulerAbortTest, RunningMidPrefill) {
  start(config_with(32, 4), 65);
  submit("long", 200, 5);
  const SeqId seq = step().scheduled.at(0).seq_id;
  step();
  EXPECT_GT(scheduler->kv_cache().usage(), 0.0);
  scheduler->abort_request("long");
  const SchedulerOutput out = step();
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(contains(out.finished_seq_ids, seq));  // the runner drops its row
  EXPECT_EQ(result("long", 0).finish_reason, RequestFinishReason::kAbort);
  EXPECT_DOUBLE_EQ(scheduler->kv_cache().usage(), 0.0);
  EXPECT_EQ(model->num_rows(), 0);
}

TEST_P(SchedulerAbortTest, RunningDecode) {
  start(config_with(256, 4), 65);
  submit("d", 10, 100, 1);
  submit("other", 10, 6, 2);
  for (int i = 0; i < 4; ++i) step();
  EXPECT_EQ(result("d", 0).tokens.size(), 4u);
  scheduler->abort_request("d");
  run();
  EXPECT_EQ(result("d", 0).tokens, expected_output("d", 0, 10, 4));
  EXPECT_EQ(result("d", 0).finish_reason, RequestFinishReason::kAbort);
  expect_full_output("other", 10, 6);
}

TEST_P(SchedulerAbortTest, PreemptedRequest) {
  start(config_with(256, 8, 160), 11);  // 10 usable blocks: the later request gets preempted
  submit("old", 60, 80, 1);
  submit("new", 60, 80, 2);
  bool aborted = false;
  for (int i = 0; i < 500 && scheduler->has_unfinished_requests(); ++i) {
    const SchedulerOutput out = step();
    if (!aborted && !out.preempted_seq_ids.empty()) {
      const Request* victim = scheduler->find_sequence(out.preempted_seq_ids.front());
      ASSERT_NE(victim, nullptr);
      EXPECT_EQ(victim->id, "new");
      EXPECT_EQ(victim->status, RequestStatus::kPreempted);
      scheduler->abort_request("new");
      aborted = true;
    }
  }
  ASSERT_TRUE(aborted);
  EXPECT_EQ(result("new", 0).finish_reason, RequestFinishReason::kAbort);
  expect_full_output("old", 60, 80);
}

TEST_P(SchedulerAbortTest, FinishedOrUnknownRequestIsANoOp) {
  start(config_with(256, 4), 65);
  submit("a", 10, 3);
  run();
  expect_full_output("a", 10, 3);
  const int deltas = result("a", 0).num_deltas;
  scheduler->abort_request("a");
  scheduler->abort_request("never-existed");
  const SchedulerOutput out = step();
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(result("a", 0).num_deltas, deltas);
  EXPECT_EQ(result("a", 0).finish_reason, RequestFinishReason::kLength);
}

TEST_P(SchedulerAbortTest, AbortReachesEverySampleOfAForkedRequest) {
  start(config_with(256, 8), 65);
  submit("n3", make_prompt(20, 1), RequestParams{.max_tokens = 50, .n = 3});
  for (int i = 0; i < 4; ++i) step();
  EXPECT_EQ(scheduler->num_running(), 3);
  scheduler->abort_request("n3");
  step();
  for (int s = 0; s < 3; ++s) EXPECT_EQ(result("n3", s).finish_reason, RequestFinishReason::kAbort) << s;
}

TEST_P(SchedulerAbortTest, AbortsFromAnotherThreadWhileStepping) {
  start(config_with(128, 8, 512), 65);
  constexpr int kRequests = 30;
  for (int i = 0; i < kRequests; ++i) submit(fmt::format("t{}", i), 20 + i, 40, uint32_t(i));
  std::atomic<bool> done = false;
  std::thread aborter([&] {
    for (int i = 0; i < kRequests && !done; i += 2) {
      scheduler->abort_request(fmt::format("t{}", i));
      std::this_thread::yield();
    }
  });
  run();
  done = true;
  aborter.join();
  run();  // aborts that arrived after the last step
  for (int i = 0; i < kRequests; ++i) {
    const std::string id = fmt::format("t{}", i);
    const SampleResult& r = result(id, 0);
    ASSERT_TRUE(r.finish_reason.has_value()) << id;
    if (r.finish_reason == RequestFinishReason::kAbort) {
      EXPECT_EQ(i % 2, 0) << id;
      const auto full = expected_output(id, 0, 20 + i, 40);
      EXPECT_TRUE(std::equal(r.tokens.begin(), r.tokens.end(), full.begin())) << id;  // a clean prefix
    } else {
      expect_full_output(id, 20 + i, 40);
    }
  }
}

}  // namespace
}  // namespace turbine::testing
