#include "engine/scheduler/scheduling_rules.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/scheduler/waiting_queue.h"

namespace turbine {
namespace {

Request make(uint64_t arrival, int priority, SeqId seq_id, int prompt_len = 8) {
  RequestParams params;
  params.priority = priority;
  Request request(fmt::format("r{}", seq_id), std::vector<int32_t>(size_t(prompt_len), 1), params);
  request.arrival_seq = arrival;
  request.seq_id = seq_id;
  return request;
}

TEST(SchedulingRules, FcfsServesByArrivalAndIgnoresPriority) {
  Request early = make(1, 5, 1), late = make(2, -5, 2);
  EXPECT_TRUE(served_before(early, late, SchedulingPolicy::kFcfs));
  EXPECT_FALSE(served_before(late, early, SchedulingPolicy::kFcfs));
}

TEST(SchedulingRules, PriorityServesLowerValueFirstThenArrival) {
  Request early_low = make(1, 5, 1), late_high = make(2, -5, 2), late_low = make(3, 5, 3);
  EXPECT_TRUE(served_before(late_high, early_low, SchedulingPolicy::kPriority));
  EXPECT_TRUE(served_before(early_low, late_low, SchedulingPolicy::kPriority));
}

TEST(SchedulingRules, VictimIsServedLast) {
  Request a = make(1, 0, 1), b = make(2, 9, 2), c = make(3, 0, 3);
  std::vector<Request*> running{&a, &b, &c};
  EXPECT_EQ(select_preemption_victim(running, SchedulingPolicy::kFcfs), &c);      // latest arrival
  EXPECT_EQ(select_preemption_victim(running, SchedulingPolicy::kPriority), &b);  // lowest priority
}

TEST(SchedulingRules, TokensToScheduleRespectBudgetThresholdAndForkPoint) {
  SchedulerConfig config;
  Request r = make(1, 0, 1, 100);
  EXPECT_EQ(num_tokens_to_schedule(r, 0, 1000, config), 100);
  EXPECT_EQ(num_tokens_to_schedule(r, 40, 1000, config), 60);
  EXPECT_EQ(num_tokens_to_schedule(r, 40, 25, config), 25);
  EXPECT_EQ(num_tokens_to_schedule(r, 100, 25, config), 0);
  config.long_prefill_token_threshold = 16;
  EXPECT_EQ(num_tokens_to_schedule(r, 0, 1000, config), 16);
  config.long_prefill_token_threshold = 0;
  r.params.n = 3;
  r.fork_pending = true;
  EXPECT_EQ(fork_point(r), 99);
  EXPECT_EQ(num_tokens_to_schedule(r, 0, 1000, config), 99);
  EXPECT_EQ(num_tokens_to_schedule(r, 99, 1000, config), 0);
  EXPECT_EQ(num_seats(r), 3);
  r.fork_pending = false;
  EXPECT_EQ(num_seats(r), 1);
}

TEST(WaitingQueue, OrdersByPolicyAndPutsPreemptedRequestsBackInFront) {
  Request a = make(1, 3, 1), b = make(2, 1, 2), c = make(3, 2, 3);
  WaitingQueue fcfs(SchedulingPolicy::kFcfs);
  fcfs.push(&c);
  fcfs.push(&b);
  EXPECT_EQ(fcfs.front(), &b);
  fcfs.push(&a);  // e.g. preempted: it arrived first, so it goes first
  EXPECT_EQ(fcfs.to_vector(), (std::vector<Request*>{&a, &b, &c}));
  EXPECT_TRUE(fcfs.remove(&b));
  EXPECT_FALSE(fcfs.remove(&b));
  fcfs.pop_front();
  EXPECT_EQ(fcfs.front(), &c);

  WaitingQueue priority(SchedulingPolicy::kPriority);
  for (Request* r : {&a, &b, &c}) priority.push(r);
  EXPECT_EQ(priority.to_vector(), (std::vector<Request*>{&b, &c, &a}));
}

}  // namespace
}  // namespace turbine
