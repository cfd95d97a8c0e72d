// BeamSearchRun (src/server/beam_search_run.h) against the real engine on stories260K: one beam
// is greedy decoding, every beam is a real continuation whose logprobs are the model's, the
// prompt's logprobs come with the first beam, the prefix cache serves the steps, and an abort
// ends every beam with nothing left in the engine.
#include "server/beam_search_run.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

#include "model/model.h"
#include "support/test_backend.h"

namespace turbine::server {
namespace {

const std::filesystem::path kStories = std::filesystem::path(TURBINE_SHARED_DIR) / "models/stories260K";
const std::vector<int32_t> kPrompt = {1, 403, 407, 261, 378};  // "Once upon a time" (harness.mjs)

// The I/O pool's stand-in: runs posted tasks one after another on a thread of its own.
class Worker {
 public:
  Worker() : thread_([this] { run(); }) {}
  ~Worker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    wake_.notify_all();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
      lock.lock();
    }
  }
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

class BeamSearchRunTest : public ::testing::Test {
 protected:
  BeamSearchRunTest()
      : backend_(test_support::make_test_backend()), model_(load_model(kStories, *backend_)) {
    EngineOptions options;
    options.kv_cache_memory = 16ull << 20;
    engine_ = std::make_unique<LlmEngine>(*model_, *backend_, options);
  }

  BeamSearchOptions options(int width, int max_tokens, const std::vector<int32_t>& prompt = kPrompt) {
    BeamSearchOptions o;
    o.beam_width = width;
    o.max_tokens = max_tokens;
    o.ignore_eos = true;
    o.eos_token_ids = {2};
    o.num_prompt_tokens = int(prompt.size());
    o.last_prompt_token = prompt.back();
    return o;
  }

  // Runs a beam search to its end and returns what it delivered.
  std::vector<RequestOutput> search(BeamSearchOptions o, const std::vector<int32_t>& prompt = kPrompt,
                                    RequestParams params = {}, bool abort_at_once = false) {
    std::mutex mutex;
    std::condition_variable done;
    std::vector<RequestOutput> outputs;
    const size_t expected = size_t(o.beam_width);
    auto run = std::make_shared<BeamSearchRun>(
        *engine_, fmt::format("beam-{}", next_id_++), prompt, params, std::move(o),
        [this](std::function<void()> task) { worker_.post(std::move(task)); },
        [&](const RequestOutput& out) {
          std::lock_guard lock(mutex);
          outputs.push_back(out);
          done.notify_all();
        });
    run->start();
    if (abort_at_once) run->abort();
    std::unique_lock lock(mutex);
    EXPECT_TRUE(done.wait_for(lock, std::chrono::seconds(60), [&] { return outputs.size() >= expected; }));
    return outputs;
  }

  // What one engine request gives: its tokens, and the prompt's logprobs when asked.
  RequestOutput generate(const std::vector<int32_t>& prompt, RequestParams params) {
    std::mutex mutex;
    std::condition_variable done;
    RequestOutput all;
    bool finished = false;
    engine_->submit(std::make_unique<Request>(fmt::format("plain-{}", next_id_++), prompt, params),
                    [&](const RequestOutput& out) {
                      std::lock_guard lock(mutex);
                      all.new_tokens.insert(all.new_tokens.end(), out.new_tokens.begin(), out.new_tokens.end());
                      if (!out.prompt_logprobs.empty()) all.prompt_logprobs = out.prompt_logprobs;
                      if (out.finish_reason) {
                        finished = true;
                        done.notify_all();
                      }
                    });
    std::unique_lock lock(mutex);
    EXPECT_TRUE(done.wait_for(lock, std::chrono::seconds(60), [&] { return finished; }));
    return all;
  }

  void expect_engine_empty() {
    EngineStats s;
    for (int i = 0; i < 400; ++i) {
      s = engine_->stats();
      if (s.num_running == 0 && s.num_waiting == 0 && s.kv_cache_usage == 0.0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(s.num_running, 0);
    EXPECT_EQ(s.num_waiting, 0);
    EXPECT_EQ(s.kv_cache_usage, 0.0);
  }

  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<LlmEngine> engine_;
  Worker worker_;  // after engine_: stops first, so no task outlives the engine
  int next_id_ = 0;
};

std::vector<int32_t> ids_of(const RequestOutput& out) {
  std::vector<int32_t> ids;
  for (const auto& t : out.new_tokens) ids.push_back(t.token);
  return ids;
}

TEST_F(BeamSearchRunTest, OneBeamIsGreedyDecoding) {
  const auto beams = search(options(1, 24));
  ASSERT_EQ(beams.size(), 1u);
  RequestParams greedy;
  greedy.sampling.temperature = 0.0f;
  greedy.max_tokens = 24;
  greedy.ignore_eos = true;
  const RequestOutput plain = generate(kPrompt, greedy);
  EXPECT_EQ(ids_of(beams[0]), ids_of(plain));
  EXPECT_EQ(beams[0].finish_reason, RequestFinishReason::kLength);
  EXPECT_EQ(beams[0].sample_index, 0);
  expect_engine_empty();
}

TEST_F(BeamSearchRunTest, BeamsAreDistinctRealContinuationsBestFirst) {
  BeamSearchOptions o = options(3, 12);
  o.num_top_logprobs = 2;
  const auto beams = search(o);
  ASSERT_EQ(beams.size(), 3u);
  double previous = 0.0;
  for (size_t i = 0; i < beams.size(); ++i) {
    const RequestOutput& beam = beams[i];
    EXPECT_EQ(beam.sample_index, int(i));
    ASSERT_EQ(beam.new_tokens.size(), 12u);
    for (size_t j = 0; j < i; ++j) EXPECT_NE(ids_of(beam), ids_of(beams[j]));
    // Every token's logprob is the model's for it after the prompt and the beam's tokens before
    // it: the prompt logprobs of prompt + beam say so.
    std::vector<int32_t> sequence = kPrompt;
    const std::vector<int32_t> ids = ids_of(beam);
    sequence.insert(sequence.end(), ids.begin(), ids.end());
    RequestParams teacher;
    teacher.max_tokens = 1;
    teacher.prompt_logprobs = 0;
    const RequestOutput forced = generate(sequence, teacher);
    double cum = 0.0;
    for (size_t t = 0; t < ids.size(); ++t) {
      const auto& info = forced.prompt_logprobs.at(kPrompt.size() - 1 + t);
      ASSERT_EQ(info.position, int(kPrompt.size() + t));
      EXPECT_NEAR(beam.new_tokens[t].logprob, info.logprob, 1e-3) << "beam " << i << ", token " << t;
      ASSERT_EQ(beam.new_tokens[t].top_logprobs.size(), 2u);
      cum += beam.new_tokens[t].logprob;
    }
    // No EOS: all the same length, so the best score is the best cumulative logprob.
    if (i > 0) {
      EXPECT_LE(cum, previous + 1e-6);
    }
    previous = cum;
  }
  expect_engine_empty();
}

TEST_F(BeamSearchRunTest, ThePromptsLogprobsComeWithTheFirstBeam) {
  RequestParams params;
  params.prompt_logprobs = 1;
  const auto beams = search(options(2, 3), kPrompt, params);
  ASSERT_EQ(beams.size(), 2u);
  EXPECT_EQ(beams[0].prompt_logprobs.size(), kPrompt.size() - 1);
  EXPECT_TRUE(beams[1].prompt_logprobs.empty());
  EXPECT_EQ(beams[0].num_prompt_tokens, int(kPrompt.size()));
}

TEST_F(BeamSearchRunTest, EachStepIsServedByThePrefixCache) {
  std::vector<int32_t> prompt = {1};
  for (int i = 0; i < 39; ++i) prompt.push_back(300 + i);
  const uint64_t before = engine_->stats().prefix_cache_hit_tokens;
  const auto beams = search(options(2, 10, prompt), prompt);
  ASSERT_EQ(beams.size(), 2u);
  // Steps 2 to 10 each find the prompt's 2 full blocks (32 tokens) for both beams.
  EXPECT_GE(engine_->stats().prefix_cache_hit_tokens - before, uint64_t(9 * 2 * 32));
}

TEST_F(BeamSearchRunTest, AnAbortEndsEveryBeamAndLeavesNothingInTheEngine) {
  const auto beams = search(options(3, 400), kPrompt, {}, /*abort_at_once=*/true);
  ASSERT_EQ(beams.size(), 3u);
  for (size_t i = 0; i < beams.size(); ++i) {
    EXPECT_EQ(beams[i].sample_index, int(i));
    EXPECT_EQ(beams[i].finish_reason, RequestFinishReason::kAbort);
    EXPECT_TRUE(beams[i].new_tokens.empty());
  }
  expect_engine_empty();
}

TEST_F(BeamSearchRunTest, StepParamsAskForOneGreedyTokenAndKeepPriorityAndCacheKeys) {
  RequestParams params;
  params.priority = 3;
  params.cache_extra_keys = {7, 8};
  params.prompt_logprobs = 2;
  params.sampling.temperature = 0.8f;
  params.max_tokens = 50;
  const RequestParams first = BeamSearchRun::step_params(params, 6, true);
  EXPECT_EQ(first.max_tokens, 1);
  EXPECT_TRUE(first.sampling.is_greedy());
  EXPECT_EQ(first.sampling.logprobs, 6);
  EXPECT_EQ(first.priority, 3);
  EXPECT_EQ(first.cache_extra_keys, params.cache_extra_keys);
  EXPECT_EQ(first.prompt_logprobs, 2);
  EXPECT_FALSE(BeamSearchRun::step_params(params, 6, false).prompt_logprobs.has_value());
}

}  // namespace
}  // namespace turbine::server
