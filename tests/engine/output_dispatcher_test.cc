// OutputDispatcher (engine/loop/output_dispatcher.h): the sinks' thread.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"
#include "engine/loop/output_dispatcher.h"

namespace turbine {
namespace {

// Records what a sink received, from the dispatcher's thread.
struct Received {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<RequestOutput> outputs;

  OutputSink sink() {
    return [this](const RequestOutput& out) {
      std::lock_guard lock(mutex);
      outputs.push_back(out);
      changed.notify_all();
    };
  }
  // Waits (at most 10 s) until `n` outputs have arrived; returns a copy.
  std::vector<RequestOutput> wait_for(size_t n) {
    std::unique_lock lock(mutex);
    changed.wait_for(lock, std::chrono::seconds(10), [&] { return outputs.size() >= n; });
    return outputs;
  }
};

RequestDelta delta(uint64_t key, std::optional<RequestFinishReason> finish = std::nullopt, int sample_index = 0) {
  RequestDelta d;
  d.output_key = key;
  d.sample_index = sample_index;
  d.finish_reason = finish;
  d.num_prompt_tokens = 3;
  return d;
}

// Adds a delta with these new tokens to the step (its tokens index the step's samples).
void add(StepOutputs& out, RequestDelta d, std::vector<SampledToken> tokens = {}) {
  d.token_begin = int(out.samples.size());
  d.num_new_tokens = int(tokens.size());
  for (SampledToken& t : tokens) out.samples.push_back(std::move(t));
  out.deltas.push_back(d);
}

SampledToken token(int32_t id) { return SampledToken{id, -1.0f, {}}; }

TEST(OutputDispatcher, DeliversEachStepInOrderWithItsSamplesLogprobs) {
  Received a, b;  // outlive the dispatcher, which fails the sinks left when it closes
  OutputDispatcher dispatcher;
  const uint64_t key_a = dispatcher.add_sink("a", a.sink(), 1);
  const uint64_t key_b = dispatcher.add_sink("b", b.sink(), 1);
  for (int step = 0; step < 50; ++step) {
    StepOutputs out;
    add(out, delta(key_a), {SampledToken{100 + step, -0.5f, {{100 + step, -0.5f}, {7, -2.0f}}}});
    add(out, delta(key_b, step == 49 ? std::optional(RequestFinishReason::kLength) : std::nullopt), {token(200 + step)});
    dispatcher.post(std::move(out));
  }
  const std::vector<RequestOutput> got_a = a.wait_for(50);
  const std::vector<RequestOutput> got_b = b.wait_for(50);
  ASSERT_EQ(got_a.size(), 50u);
  ASSERT_EQ(got_b.size(), 50u);
  for (int step = 0; step < 50; ++step) {
    ASSERT_EQ(got_a[step].new_tokens.size(), 1u);
    EXPECT_EQ(got_a[step].new_tokens[0].token, 100 + step);
    EXPECT_FLOAT_EQ(got_a[step].new_tokens[0].logprob, -0.5f);
    EXPECT_EQ(got_a[step].new_tokens[0].top_logprobs.size(), 2u);
    EXPECT_EQ(got_b[step].new_tokens[0].token, 200 + step);
    EXPECT_FLOAT_EQ(got_b[step].new_tokens[0].logprob, -1.0f);
    EXPECT_EQ(got_b[step].num_prompt_tokens, 3);
  }
  EXPECT_EQ(got_b.back().finish_reason, RequestFinishReason::kLength);
  // b finished: its id is free again, under a new key; a's is still in use.
  Received b2;
  uint64_t key_b2 = 0;
  EXPECT_NO_THROW(key_b2 = dispatcher.add_sink("b", b2.sink(), 1));
  EXPECT_NE(key_b2, key_b);
  EXPECT_THROW(dispatcher.add_sink("a", a.sink(), 1), Error);
  // A late delta under the finished request's key reaches nobody; the new request's does.
  StepOutputs late;
  add(late, delta(key_b), {token(7)});
  add(late, delta(key_b2), {token(8)});
  dispatcher.post(std::move(late));
  const std::vector<RequestOutput> got_b2 = b2.wait_for(1);
  ASSERT_EQ(got_b2.size(), 1u);
  EXPECT_EQ(got_b2[0].new_tokens[0].token, 8);
  EXPECT_EQ(b.wait_for(50).size(), 50u);
}

TEST(OutputDispatcher, SeveralTokensOfOneStepArriveInOneOutput) {
  Received a, b;
  OutputDispatcher dispatcher;
  const uint64_t key_a = dispatcher.add_sink("a", a.sink(), 1);
  const uint64_t key_b = dispatcher.add_sink("b", b.sink(), 1);
  StepOutputs out;  // a verified drafts: three tokens; b one
  add(out, delta(key_a), {SampledToken{5, -0.1f, {}}, SampledToken{6, -0.2f, {{6, -0.2f}}}, SampledToken{7, -0.3f, {}}});
  add(out, delta(key_b, RequestFinishReason::kStop), {token(9)});
  dispatcher.post(std::move(out));
  const RequestOutput got = a.wait_for(1)[0];
  ASSERT_EQ(got.new_tokens.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(got.new_tokens[size_t(i)].token, 5 + i);
    EXPECT_FLOAT_EQ(got.new_tokens[size_t(i)].logprob, -0.1f * float(i + 1));
  }
  EXPECT_EQ(got.new_tokens[1].top_logprobs.size(), 1u);
  ASSERT_EQ(b.wait_for(1)[0].new_tokens.size(), 1u);
  EXPECT_EQ(b.wait_for(1)[0].new_tokens[0].token, 9);
}

TEST(OutputDispatcher, PromptLogprobsGoToTheirDelta) {
  Received a, b;  // outlive the dispatcher, which fails the sinks left when it closes
  OutputDispatcher dispatcher;
  const uint64_t key_a = dispatcher.add_sink("a", a.sink(), 1);
  const uint64_t key_b = dispatcher.add_sink("b", b.sink(), 1);
  StepOutputs out;
  add(out, delta(key_a), {token(1)});
  add(out, delta(key_b), {token(2)});
  out.prompt_logprobs.emplace_back(1, std::vector<PromptTokenLogprobInfo>{{1, 5, -0.25f, {}}, {2, 6, -0.75f, {}}});
  dispatcher.post(std::move(out));
  EXPECT_TRUE(a.wait_for(1)[0].prompt_logprobs.empty());
  const RequestOutput got = b.wait_for(1)[0];
  ASSERT_EQ(got.prompt_logprobs.size(), 2u);
  EXPECT_EQ(got.prompt_logprobs[1].token, 6);
}

TEST(OutputDispatcher, AnAbortEndsEverySampleOfTheRequest) {
  Received r;
  OutputDispatcher dispatcher;
  const uint64_t key_r = dispatcher.add_sink("r", r.sink(), 3);
  StepOutputs out;
  add(out, delta(key_r, RequestFinishReason::kAbort, 1));
  dispatcher.post(std::move(out));
  const std::vector<RequestOutput> got = r.wait_for(3);
  ASSERT_EQ(got.size(), 3u);
  std::vector<int> samples;
  for (const RequestOutput& o : got) {
    EXPECT_EQ(o.finish_reason, RequestFinishReason::kAbort);
    samples.push_back(o.sample_index);
  }
  EXPECT_EQ(samples, (std::vector<int>{1, 0, 2}));
  EXPECT_NO_THROW(dispatcher.add_sink("r", r.sink(), 1));  // all three ended: the id is free
}

TEST(OutputDispatcher, FailAllComesAfterWhatWasPostedAndRefusesNewSinks) {
  Received a;
  OutputDispatcher dispatcher;
  const uint64_t key_a = dispatcher.add_sink("a", a.sink(), 1);
  StepOutputs out;
  add(out, delta(key_a), {token(9)});
  dispatcher.post(std::move(out));
  dispatcher.fail_all("engine failure: boom");
  EXPECT_THROW(dispatcher.add_sink("c", a.sink(), 1), Error);
  const std::vector<RequestOutput> got = a.wait_for(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].new_tokens[0].token, 9);
  EXPECT_EQ(got[1].finish_reason, RequestFinishReason::kAbort);
  EXPECT_EQ(got[1].error, "engine failure: boom");
}

TEST(OutputDispatcher, CloseDeliversTheQueueThenFailsTheRest) {
  Received a;
  {
    OutputDispatcher dispatcher;
    const uint64_t key_a = dispatcher.add_sink("a", a.sink(), 1);
    for (int i = 0; i < 100; ++i) {
      StepOutputs out;
      add(out, delta(key_a), {token(i)});
      dispatcher.post(std::move(out));
    }
    dispatcher.close("the engine shut down");
    EXPECT_THROW(dispatcher.add_sink("b", a.sink(), 1), Error);
    dispatcher.close();  // again: nothing more
  }
  std::lock_guard lock(a.mutex);
  ASSERT_EQ(a.outputs.size(), 101u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.outputs[size_t(i)].new_tokens[0].token, i);
  EXPECT_EQ(a.outputs.back().error, "the engine shut down");
}

TEST(OutputDispatcher, AThrowingSinkDoesNotStopTheOthers) {
  Received b;
  OutputDispatcher dispatcher;
  const uint64_t key_a = dispatcher.add_sink("a", [](const RequestOutput&) { throw std::runtime_error("client gone"); }, 1);
  const uint64_t key_b = dispatcher.add_sink("b", b.sink(), 1);
  StepOutputs out;
  add(out, delta(key_a), {token(1)});
  add(out, delta(key_b), {token(2)});
  dispatcher.post(std::move(out));
  EXPECT_EQ(b.wait_for(1).size(), 1u);
}

TEST(OutputDispatcher, ASinkMaySubmitAgainUnderTheIdItJustFinished) {
  Received again;
  std::mutex mutex;
  std::condition_variable done;
  bool reused = false;
  OutputDispatcher dispatcher;
  const uint64_t key_x = dispatcher.add_sink("x", [&](const RequestOutput& out) {
    if (!out.finish_reason) return;
    dispatcher.add_sink("x", again.sink(), 1);  // from the dispatcher's own thread
    std::lock_guard lock(mutex);
    reused = true;
    done.notify_all();
  }, 1);
  StepOutputs out;
  add(out, delta(key_x, RequestFinishReason::kStop), {token(1)});
  dispatcher.post(std::move(out));
  std::unique_lock lock(mutex);
  EXPECT_TRUE(done.wait_for(lock, std::chrono::seconds(10), [&] { return reused; }));
}

TEST(OutputDispatcher, WithoutAThreadDeliversOnTheCallersThread) {
  Received a;
  OutputDispatcher dispatcher(/*own_thread=*/false);
  const uint64_t key_a = dispatcher.add_sink("a", a.sink(), 1);
  StepOutputs out;
  add(out, delta(key_a), {token(3)});
  dispatcher.post(std::move(out));
  {
    std::lock_guard lock(a.mutex);
    ASSERT_EQ(a.outputs.size(), 1u);  // already there: no waiting
    EXPECT_EQ(a.outputs[0].new_tokens[0].token, 3);
  }
  dispatcher.fail_all("engine failure: x");
  std::lock_guard lock(a.mutex);
  ASSERT_EQ(a.outputs.size(), 2u);
  EXPECT_EQ(a.outputs[1].error, "engine failure: x");
}

}  // namespace
}  // namespace turbine
