// The engine end to end on a real model (stories260K): continuous batching gives each request
// the output it gets alone, prefix caching computes only the suffix, preemption under a small KV
// budget still completes everything, aborts and n > 1 work, and the pool is empty afterwards.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "backend/cpu/cpu_backend.h"
#include "common/error.h"
#include "engine/loop/llm_engine.h"
#include "engine/loop/offline_batch.h"
#include "runner/kv_cache.h"
#include "support/test_backend.h"

namespace turbine {
namespace {

const std::filesystem::path kStories = std::filesystem::path(TURBINE_SHARED_DIR) / "models/stories260K";

using test_support::make_test_backend;
using test_support::on_cuda;

// Two runs of Turbine on the same device may differ by the batch's arithmetic (F32 on the CPU,
// BF16 activations on CUDA); a logprob moves by at most this much.
double logprob_tolerance() { return on_cuda() ? 5e-2 : 1e-2; }

struct Collected {
  std::vector<GeneratedTokenInfo> tokens;
  std::optional<RequestFinishReason> finish;
  int num_cached_tokens = 0;
};

// Submits requests and waits for all of their samples to finish.
class Harness {
 public:
  explicit Harness(EngineOptions options) : backend_(make_test_backend()), model_(load_model(kStories, *backend_)) {
    // The engine_integration_async_test entry runs every test with steps launched ahead.
    const char* async = std::getenv("TURBINE_TEST_ASYNC_SCHEDULING");
    if (async != nullptr && std::string(async) == "on" && options.async_scheduling == EngineOptions::AsyncScheduling::kAuto)
      options.async_scheduling = EngineOptions::AsyncScheduling::kOn;
    engine_ = std::make_unique<LlmEngine>(*model_, *backend_, options);
  }

  void submit(const std::string& id, std::vector<int32_t> prompt, RequestParams params) {
    {
      std::lock_guard lock(mutex_);
      pending_ += params.n;
    }
    try {
      submit_unchecked(id, std::move(prompt), params);
    } catch (...) {
      std::lock_guard lock(mutex_);
      pending_ -= params.n;
      throw;
    }
  }

  void submit_unchecked(const std::string& id, std::vector<int32_t> prompt, RequestParams params) {
    engine_->submit(std::make_unique<Request>(id, std::move(prompt), params), [this, id](const RequestOutput& out) {
      std::lock_guard lock(mutex_);
      Collected& c = results_[{id, out.sample_index}];
      c.tokens.insert(c.tokens.end(), out.new_tokens.begin(), out.new_tokens.end());
      c.num_cached_tokens = out.num_cached_tokens;
      if (out.finish_reason) {
        c.finish = out.finish_reason;
        if (--pending_ == 0) done_.notify_all();
      }
    });
  }

  void wait() {
    std::unique_lock lock(mutex_);
    ASSERT_TRUE(done_.wait_for(lock, std::chrono::seconds(120), [&] { return pending_ == 0; })) << "requests did not finish";
  }

  std::vector<int32_t> ids(const std::string& id, int sample = 0) {
    std::lock_guard lock(mutex_);
    std::vector<int32_t> out;
    for (const auto& t : results_[{id, sample}].tokens) out.push_back(t.token);
    return out;
  }
  Collected result(const std::string& id, int sample = 0) {
    std::lock_guard lock(mutex_);
    return results_[{id, sample}];
  }

  // Once the engine thread has published its last step, the pool must be back to empty.
  void expect_pool_empty() {
    EngineStats s;
    for (int i = 0; i < 200; ++i) {
      s = engine_->stats();
      if (s.num_running == 0 && s.num_waiting == 0 && s.kv_cache_usage == 0.0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(s.num_running, 0);
    EXPECT_EQ(s.num_waiting, 0);
    EXPECT_EQ(s.kv_cache_usage, 0.0);
  }

  LlmEngine& engine() { return *engine_; }

 private:
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<LlmEngine> engine_;
  std::mutex mutex_;
  std::condition_variable done_;
  int pending_ = 0;
  std::map<std::pair<std::string, int>, Collected> results_;
};

RequestParams greedy(int max_tokens) {
  RequestParams p;
  p.sampling.temperature = 0.0f;
  p.sampling.logprobs = 5;
  p.max_tokens = max_tokens;
  p.ignore_eos = true;
  return p;
}

std::vector<int32_t> random_prompt(std::mt19937& rng, int length) {
  std::uniform_int_distribution<int32_t> token(3, 511);
  std::vector<int32_t> p{1};
  while (int(p.size()) < length) p.push_back(token(rng));
  return p;
}

// The golden rule of the foundation issue, between two runs of Turbine itself.
void expect_same_generation(const Collected& alone, const Collected& batched, const std::string& label) {
  ASSERT_EQ(alone.tokens.size(), batched.tokens.size()) << label;
  for (size_t i = 0; i < alone.tokens.size(); ++i) {
    const auto& a = alone.tokens[i];
    const auto& b = batched.tokens[i];
    if (a.token != b.token) {
      auto in_top = [](const GeneratedTokenInfo& t, int32_t id) {
        return std::any_of(t.top_logprobs.begin(), t.top_logprobs.end(), [&](const auto& e) { return e.first == id; });
      };
      EXPECT_TRUE(in_top(a, b.token) && in_top(b, a.token)) << label << ": diverged at step " << i;
      return;
    }
    EXPECT_NEAR(a.logprob, b.logprob, logprob_tolerance()) << label << " step " << i;
  }
}

TEST(EngineIntegration, BatchedOutputEqualsEachRequestAlone) {
  std::mt19937 rng(42);
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 64; ++i) prompts.push_back(random_prompt(rng, 1 + int(rng() % 120)));

  EngineOptions alone_options;
  alone_options.max_num_seqs = 1;
  Harness alone(alone_options);
  for (int i = 0; i < 64; ++i) {
    alone.submit(std::to_string(i), prompts[size_t(i)], greedy(12));
    alone.wait();
  }
  EngineOptions batch_options;
  batch_options.max_num_batched_tokens = 256;  // forces chunked prefills mixed with decodes
  batch_options.max_num_seqs = 64;
  Harness batched(batch_options);
  for (int i = 0; i < 64; ++i) batched.submit(std::to_string(i), prompts[size_t(i)], greedy(12));
  batched.wait();
  for (int i = 0; i < 64; ++i) {
    const std::string id = std::to_string(i);
    EXPECT_EQ(batched.result(id).finish, RequestFinishReason::kLength);
    expect_same_generation(alone.result(id), batched.result(id), "prompt " + id);
  }
  alone.expect_pool_empty();
  batched.expect_pool_empty();
}

// The engine accounts for each step's host time: decode-only steps are counted with their rows,
// their phases add up to no more than their host time, and each one leaves a sample.
TEST(EngineIntegration, StepTimingCountsDecodeStepsAndTheirPhases) {
  EngineOptions options;
  options.max_num_seqs = 4;
  Harness h(options);
  std::mt19937 rng(5);
  for (int i = 0; i < 4; ++i) h.submit(std::to_string(i), random_prompt(rng, 20), greedy(10));
  h.wait();
  h.expect_pool_empty();
  // A step's timing is recorded after its outputs go out: give the last one a moment.
  EngineStats s = h.engine().stats();
  for (int i = 0; i < 1000 && (s.decode_steps < 9 || s.num_steps <= s.decode_steps); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    s = h.engine().stats();
  }
  EXPECT_GT(s.num_steps, s.decode_steps);  // the prefill steps are not decode-only
  EXPECT_GE(s.decode_steps, 9u);           // 10 tokens each: the first comes from the prefill step
  EXPECT_GE(s.decode_rows, s.decode_steps);
  EXPECT_LE(s.decode_rows, 4 * s.decode_steps);
  EXPECT_GT(s.host_seconds, 0.0);
  EXPECT_LE(s.decode_host_seconds, s.host_seconds);
  const double phases =
      s.decode_schedule_seconds + s.decode_runner_host_seconds + s.decode_update_seconds + s.decode_emit_seconds;
  EXPECT_GT(phases, 0.0);
  EXPECT_LE(phases, s.decode_host_seconds * (1 + 1e-9) + 1e-9);
  // The runner's parts lie inside its share (the forward pass itself is a "device call").
  const double runner_parts = s.decode_runner_rows_seconds + s.decode_runner_upload_seconds +
                              s.decode_runner_forward_seconds + s.decode_runner_sampling_seconds +
                              s.decode_runner_collect_seconds;
  EXPECT_GT(s.decode_runner_forward_seconds, 0.0);
  EXPECT_GT(s.decode_runner_rows_seconds, 0.0);
  EXPECT_LE(runner_parts, s.decode_runner_host_seconds * (1 + 1e-6) + 1e-4);
  EXPECT_LE(s.decode_steps_hidden, s.decode_steps_ahead);
  EXPECT_LE(s.decode_steps_ahead, s.decode_steps);
  EXPECT_LE(s.decode_exposed_host_seconds, s.decode_host_seconds * (1 + 1e-9) + 1e-9);
  const std::vector<double> recent = h.engine().recent_decode_host_seconds();
  EXPECT_EQ(recent.size(), s.decode_steps);
  for (double v : recent) EXPECT_GE(v, 0.0);
}

TEST(EngineIntegration, PrefixCacheComputesOnlyTheSuffix) {
  std::mt19937 rng(7);
  const std::vector<int32_t> prefix = random_prompt(rng, 200);
  std::vector<int32_t> first = prefix, second = prefix;
  for (int32_t t : {300, 301, 302}) first.push_back(t);
  for (int32_t t : {400, 401, 402, 403, 404}) second.push_back(t);

  Harness cached(EngineOptions{});
  cached.submit("a", first, greedy(8));
  cached.wait();
  const uint64_t computed_before = cached.engine().stats().prompt_tokens_computed;
  cached.submit("b", second, greedy(8));
  cached.wait();
  EXPECT_EQ(cached.result("b").num_cached_tokens, 192);  // 12 full blocks of 16
  EXPECT_EQ(cached.engine().stats().prompt_tokens_computed - computed_before, second.size() - 192);

  EngineOptions no_cache;
  no_cache.enable_prefix_caching = false;
  Harness uncached(no_cache);
  uncached.submit("b", second, greedy(8));
  uncached.wait();
  EXPECT_EQ(uncached.result("b").num_cached_tokens, 0);
  EXPECT_EQ(cached.ids("b"), uncached.ids("b"));
  cached.expect_pool_empty();
}

TEST(EngineIntegration, PreemptionUnderASmallBudgetStillCompletesEverything) {
  EngineOptions small;
  small.max_model_len = 128;
  const std::unique_ptr<Backend> backend = make_test_backend();
  small.kv_cache_memory = 12 * KvCache::bytes_per_block(load_model(kStories, *backend)->config(), 16,
                                                        backend->activation_dtype());  // 192 tokens for 8 requests of 100
  Harness h(small);
  std::mt19937 rng(3);
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 8; ++i) {
    prompts.push_back(random_prompt(rng, 40));
    h.submit(std::to_string(i), prompts.back(), greedy(60));
  }
  h.wait();
  EXPECT_GT(h.engine().stats().num_preemptions, 0u);
  Harness reference(EngineOptions{});
  for (int i = 0; i < 8; ++i) reference.submit(std::to_string(i), prompts[size_t(i)], greedy(60));
  reference.wait();
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(h.ids(std::to_string(i)).size(), 60u);
    expect_same_generation(reference.result(std::to_string(i)), h.result(std::to_string(i)), "request " + std::to_string(i));
  }
  h.expect_pool_empty();
}

TEST(EngineIntegration, AbortFreesTheRequest) {
  Harness h(EngineOptions{});
  h.submit("long", {1, 403, 407}, greedy(400));
  while (h.result("long").tokens.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  h.engine().abort("long");
  h.wait();
  EXPECT_EQ(h.result("long").finish, RequestFinishReason::kAbort);
  EXPECT_LT(h.ids("long").size(), 400u);
  h.expect_pool_empty();
}

TEST(EngineIntegration, SeededSamplesAreReproducibleAndDistinct) {
  RequestParams p;
  p.sampling.temperature = 1.0f;
  p.sampling.seed = 11;
  p.max_tokens = 20;
  p.ignore_eos = true;
  p.n = 3;
  std::vector<std::vector<int32_t>> first_run;
  for (int run = 0; run < 2; ++run) {
    Harness h(EngineOptions{});
    h.submit("n3", {1, 403, 407, 261, 378}, p);
    h.wait();
    std::vector<std::vector<int32_t>> samples;
    for (int s = 0; s < 3; ++s) samples.push_back(h.ids("n3", s));
    for (const auto& s : samples) EXPECT_EQ(s.size(), 20u);
    EXPECT_NE(samples[0], samples[1]);
    EXPECT_NE(samples[1], samples[2]);
    if (run == 0) first_run = samples;
    else EXPECT_EQ(samples, first_run);
    h.expect_pool_empty();
  }
}

TEST(EngineIntegration, RejectsBadRequestsOnTheCallersThread) {
  Harness h(EngineOptions{});
  EXPECT_THROW(h.submit("x", {1, 9999}, greedy(4)), Error);           // outside the vocabulary
  EXPECT_THROW(h.submit("y", std::vector<int32_t>(600, 5), greedy(4)), Error);  // longer than the context
  RequestParams bad = greedy(4);
  bad.sampling.top_p = 0.0f;
  EXPECT_THROW(h.submit("z", {1, 2}, bad), Error);
}

TEST(EngineIntegration, MemorySizesTakeUnits) {
  EXPECT_EQ(parse_memory_size("4MiB"), 4u << 20);
  EXPECT_EQ(parse_memory_size("2GiB"), 2ull << 30);
  EXPECT_EQ(parse_memory_size("1.5 GB"), 1500000000u);
  EXPECT_EQ(parse_memory_size("4096"), 4096u);
  EXPECT_THROW(parse_memory_size("4 parsecs"), Error);
  EXPECT_THROW(parse_memory_size("lots"), Error);
}

}  // namespace
}  // namespace turbine

namespace turbine {
namespace {

// Prompt logprobs must agree with the logprobs the same tokens got when they were generated:
// generate greedily from [1], then score the prompt [1, generated...].
TEST(EngineIntegration, PromptLogprobsAgreeWithGenerationLogprobs) {
  auto backend = make_test_backend();
  auto model = load_model(kStories, *backend);
  LlmEngine engine(*model, *backend, EngineOptions{});
  std::vector<OfflinePrompt> first(1);
  first[0].prompt_ids = {1, 403, 407};
  first[0].params = greedy(20);
  const OfflineResult generated = run_offline(engine, first)[0];

  std::vector<OfflinePrompt> second(1);
  second[0].prompt_ids = first[0].prompt_ids;
  for (const auto& t : generated.tokens) second[0].prompt_ids.push_back(t.token);
  second[0].params = greedy(1);
  second[0].params.prompt_logprobs = 5;
  std::vector<PromptTokenLogprobInfo> scored;
  RequestParams params = second[0].params;
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  engine.submit(std::make_unique<Request>("scored", second[0].prompt_ids, params), [&](const RequestOutput& out) {
    std::lock_guard lock(m);
    scored.insert(scored.end(), out.prompt_logprobs.begin(), out.prompt_logprobs.end());
    if (out.finish_reason) done = true, cv.notify_all();
  });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return done; });
  ASSERT_EQ(scored.size(), second[0].prompt_ids.size() - 1);  // every token but the first
  for (size_t i = 0; i < scored.size(); ++i) {
    EXPECT_EQ(scored[i].position, int(i) + 1);
    EXPECT_EQ(scored[i].token, second[0].prompt_ids[i + 1]);
    EXPECT_EQ(scored[i].top_logprobs.size(), 5u);
  }
  for (size_t step = 0; step < generated.tokens.size(); ++step) {
    const PromptTokenLogprobInfo& s = scored[first[0].prompt_ids.size() - 1 + step];
    // The CPU scores both the same way (1e-4); on CUDA, prompt rows are a prefill's BF16 and
    // generated ones a decode's.
    EXPECT_NEAR(s.logprob, generated.tokens[step].logprob, on_cuda() ? logprob_tolerance() : 1e-4) << "step " << step;
    EXPECT_EQ(s.top_logprobs[0].first, generated.tokens[step].top_logprobs[0].first);
  }
  RequestParams bad = greedy(1);
  bad.prompt_logprobs = 21;
  EXPECT_THROW(engine.submit(std::make_unique<Request>("bad", std::vector<int32_t>{1, 2}, bad), {}), Error);
}

}  // namespace
}  // namespace turbine

namespace turbine {
namespace {

// Asynchronous scheduling (each step launched before the previous one's results are back) gives
// every request what stepping in order gives it: greedy, penalised and with bad words (whose
// sampling waits for the token in flight on a backend that samples), min_tokens, stop ids, n > 1,
// prompt logprobs, a seeded sample, and chunked prefills mixed in; then an abort while steps are
// in flight.
TEST(EngineIntegration, AsyncSchedulingMatchesSteppingInOrder) {
  std::mt19937 rng(99);
  std::vector<std::pair<std::vector<int32_t>, RequestParams>> requests;
  for (int i = 0; i < 24; ++i) {
    RequestParams p = greedy(4 + int(rng() % 20));
    switch (i % 7) {
      case 1: p.sampling.repetition_penalty = 1.3f; break;
      case 6: p.bad_words_token_ids = {{int32_t(40 + i)}, {int32_t(7), int32_t(8)}}; break;
      case 2: p.ignore_eos = false, p.min_tokens = 3; break;
      case 3: p.stop_token_ids = {int32_t(300 + i)}; break;
      case 4: p.n = 2; break;
      case 5: p.prompt_logprobs = 2; break;
      default: break;
    }
    requests.emplace_back(random_prompt(rng, 1 + int(rng() % 150)), p);
  }
  RequestParams seeded;
  seeded.sampling.temperature = 0.9f;
  seeded.sampling.seed = 5;
  seeded.max_tokens = 16;
  seeded.ignore_eos = true;
  requests.emplace_back(random_prompt(rng, 30), seeded);

  std::map<std::pair<std::string, int>, Collected> in_order;
  for (auto mode : {EngineOptions::AsyncScheduling::kOff, EngineOptions::AsyncScheduling::kOn}) {
    EngineOptions options;
    options.max_num_batched_tokens = 128;  // chunked prefills next to decodes
    options.max_num_seqs = 16;
    options.async_scheduling = mode;
    Harness h(options);
    for (size_t i = 0; i < requests.size(); ++i) h.submit(std::to_string(i), requests[i].first, requests[i].second);
    h.wait();
    h.expect_pool_empty();
    const EngineStats stats = h.engine().stats();
    if (mode == EngineOptions::AsyncScheduling::kOff) {
      EXPECT_EQ(stats.decode_steps_ahead, 0u);
      for (size_t i = 0; i < requests.size(); ++i)
        for (int s = 0; s < requests[i].second.n; ++s) in_order[{std::to_string(i), s}] = h.result(std::to_string(i), s);
      continue;
    }
    EXPECT_GT(stats.decode_steps_ahead, 0u);
    for (size_t i = 0; i < requests.size(); ++i) {
      for (int s = 0; s < requests[i].second.n; ++s) {
        const std::string id = std::to_string(i);
        const Collected& want = in_order[{id, s}];
        const Collected got = h.result(id, s);
        EXPECT_EQ(got.finish, want.finish) << id;
        if (requests[i].second.sampling.seed) {
          EXPECT_EQ(got.tokens.size(), want.tokens.size()) << id;
        } else {
          expect_same_generation(want, got, "request " + id + "#" + std::to_string(s));
        }
      }
    }

    // An abort lands while a step is in flight: the request ends, nothing leaks.
    h.submit("long", {1, 403, 407}, greedy(400));
    while (h.result("long").tokens.size() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    h.engine().abort("long");
    h.wait();
    EXPECT_EQ(h.result("long").finish, RequestFinishReason::kAbort);
    h.expect_pool_empty();
  }
}

// Aborting an n > 1 request before it forks still ends every one of its samples.
TEST(EngineIntegration, AbortBeforeForkEndsEverySample) {
  EngineOptions options;
  options.max_num_batched_tokens = 16;  // a 300-token prompt takes many steps before the fork
  Harness h(options);
  RequestParams p = greedy(10);
  p.n = 3;
  std::vector<int32_t> prompt(300, 5);
  prompt[0] = 1;
  h.submit("n3", prompt, p);
  h.engine().abort("n3");
  h.wait();  // returns only when all three samples have finished
  for (int s = 0; s < 3; ++s) EXPECT_EQ(h.result("n3", s).finish, RequestFinishReason::kAbort) << s;
  h.expect_pool_empty();
}

// Speculative decoding with n-gram drafts verifies several tokens per step, and the output is
// plain decoding's, whatever the sampling: greedy, seeded sampling, penalties (which read the
// drafts as output), min_tokens (which suppresses EOS at the drafts' positions), logprobs.
TEST(EngineIntegration, SpeculativeDecodingGivesPlainDecodingsOutput) {
  std::mt19937 rng(7);
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < 10; ++i) prompts.push_back(random_prompt(rng, 1 + int(rng() % 60)));
  std::vector<int32_t> repeated = random_prompt(rng, 24);  // a span that recurs: lookups hit at once
  repeated.insert(repeated.end(), repeated.begin() + 1, repeated.end());
  prompts.push_back(repeated);
  std::vector<RequestParams> params;
  for (size_t i = 0; i < prompts.size(); ++i) {
    RequestParams p = greedy(48);
    switch (i % 4) {
      case 0: break;
      case 1:
        p.sampling.temperature = 0.8f;
        p.sampling.top_p = 0.9f;
        p.sampling.seed = 100 + i;
        break;
      case 2:
        p.sampling.temperature = 0.7f;
        p.sampling.seed = 200 + i;
        p.sampling.repetition_penalty = 1.3f;
        p.sampling.presence_penalty = 0.4f;
        p.sampling.frequency_penalty = 0.2f;
        break;
      case 3:
        p.ignore_eos = false;
        p.min_tokens = 12;
        break;
    }
    params.push_back(p);
  }
  auto run = [&](Harness& h) {
    for (size_t i = 0; i < prompts.size(); ++i) h.submit(std::to_string(i), prompts[i], params[i]);
    h.wait();
  };
  EngineOptions plain_options;
  plain_options.async_scheduling = EngineOptions::AsyncScheduling::kOff;
  plain_options.max_num_batched_tokens = 64;
  Harness plain(plain_options);
  run(plain);
  EngineOptions spec_options = plain_options;
  spec_options.speculative = {.method = SpeculativeConfig::Method::kNgram, .num_speculative_tokens = 4,
                              .prompt_lookup_min = 1, .prompt_lookup_max = 3};
  Harness spec(spec_options);
  run(spec);
  for (size_t i = 0; i < prompts.size(); ++i) {
    const std::string id = std::to_string(i);
    EXPECT_EQ(plain.result(id).finish, spec.result(id).finish) << id;
    expect_same_generation(plain.result(id), spec.result(id), "prompt " + id);
  }
  spec.expect_pool_empty();  // the engine thread has published its last step's stats too
  plain.expect_pool_empty();
  const EngineStats stats = spec.engine().stats();
  EXPECT_GT(stats.spec_accepted_tokens, 20u);  // drafts were verified and kept...
  EXPECT_GT(stats.spec_draft_tokens, stats.spec_accepted_tokens);  // ...and some rolled back
  EXPECT_EQ(stats.generation_tokens, plain.engine().stats().generation_tokens);
  EXPECT_EQ(plain.engine().stats().spec_draft_tokens, 0u);
}

TEST(EngineIntegration, SpeculativeDecodingRefusesAsyncSchedulingAndBadConfigs) {
  EngineOptions options;
  options.speculative = {.method = SpeculativeConfig::Method::kNgram, .num_speculative_tokens = 3};
  options.async_scheduling = EngineOptions::AsyncScheduling::kOn;
  EXPECT_THROW(Harness{options}, Error);
  options.async_scheduling = EngineOptions::AsyncScheduling::kOff;
  options.speculative.num_speculative_tokens = 0;
  EXPECT_THROW(Harness{options}, Error);
  options.speculative.num_speculative_tokens = 2;
  options.speculative.prompt_lookup_min = 3;
  options.speculative.prompt_lookup_max = 2;
  EXPECT_THROW(Harness{options}, Error);
}

bool contains(std::span<const int32_t> ids, std::span<const int32_t> word) {
  return !std::ranges::search(ids, word).empty();
}

// Bad words (RequestParams::bad_words_token_ids): words the free greedy output has never appear
// once banned, greedy or sampled, stepping ahead or verifying drafts; and only the output is
// matched, so a word that would start in the prompt changes nothing.
TEST(EngineIntegration, BadWordsNeverAppearWhileTheyDoWithoutTheBan) {
  const std::vector<int32_t> prompt = {1, 403, 407, 261, 378};
  Harness reference(EngineOptions{});
  reference.submit("free", prompt, greedy(40));
  reference.wait();
  const std::vector<int32_t> free = reference.ids("free");
  ASSERT_EQ(free.size(), 40u);
  const std::vector<int32_t> one_token = {free[6]};
  const std::vector<int32_t> two_tokens = {free[10], free[11]};
  ASSERT_TRUE(contains(free, one_token) && contains(free, two_tokens));
  const std::vector<int32_t> from_prompt = {prompt.back(), free[0]};
  ASSERT_FALSE(contains(free, from_prompt));  // so the ban could only bite across the prompt

  RequestParams banned = greedy(40);
  banned.bad_words_token_ids = {one_token, two_tokens};
  RequestParams sampled = banned;
  sampled.sampling.temperature = 1.0f;
  sampled.sampling.seed = 3;
  sampled.n = 3;
  RequestParams prompt_word = greedy(40);
  prompt_word.bad_words_token_ids = {from_prompt};

  EngineOptions drafting;
  drafting.async_scheduling = EngineOptions::AsyncScheduling::kOff;
  drafting.speculative = {.method = SpeculativeConfig::Method::kNgram, .num_speculative_tokens = 4,
                          .prompt_lookup_min = 1, .prompt_lookup_max = 3};
  for (const EngineOptions& options : {EngineOptions{}, drafting}) {
    const std::string mode = options.speculative.num_speculative_tokens > 0 ? "drafting" : "plain";
    Harness h(options);
    h.submit("banned", prompt, banned);
    h.submit("sampled", prompt, sampled);
    h.submit("prompt_word", prompt, prompt_word);
    h.wait();
    const std::vector<int32_t> out = h.ids("banned");
    EXPECT_EQ(out.size(), 40u) << mode;
    EXPECT_NE(out, free) << mode;
    EXPECT_FALSE(contains(out, one_token)) << mode;
    EXPECT_FALSE(contains(out, two_tokens)) << mode;
    for (int s = 0; s < 3; ++s) {
      EXPECT_FALSE(contains(h.ids("sampled", s), one_token)) << mode << " sample " << s;
      EXPECT_FALSE(contains(h.ids("sampled", s), two_tokens)) << mode << " sample " << s;
    }
    EXPECT_EQ(h.ids("prompt_word"), free) << mode;
    h.expect_pool_empty();
  }
}

// allowed_token_ids: every sampled token is an allowed one, greedy or sampled (n > 1, steps
// launched ahead, drafts verified). Allowing only EOS before min_tokens samples EOS (the
// suppression gives way: the sampler needs a token), which ends the output at min_tokens.
TEST(EngineIntegration, AllowedTokenIdsBoundEverySample) {
  const std::vector<int32_t> prompt = {1, 403, 407, 261, 378};
  Harness reference(EngineOptions{});
  reference.submit("free", prompt, greedy(24));
  reference.wait();
  const std::vector<int32_t> free = reference.ids("free");
  // The free output's later tokens, without its first: the first sample must change.
  std::vector<int32_t> allowed(free.begin() + 1, free.end());
  std::erase(allowed, free[0]);
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  ASSERT_GE(allowed.size(), 3u);

  RequestParams limited = greedy(24);
  limited.allowed_token_ids = allowed;
  RequestParams sampled = limited;
  sampled.sampling.temperature = 1.5f;
  sampled.sampling.seed = 11;
  sampled.n = 3;
  RequestParams only_eos = greedy(8);
  only_eos.ignore_eos = false;
  only_eos.min_tokens = 4;
  only_eos.allowed_token_ids = {2};  // stories260K's </s>

  EngineOptions ahead;
  ahead.async_scheduling = EngineOptions::AsyncScheduling::kOn;
  EngineOptions drafting;
  drafting.async_scheduling = EngineOptions::AsyncScheduling::kOff;
  drafting.speculative = {.method = SpeculativeConfig::Method::kNgram, .num_speculative_tokens = 3,
                          .prompt_lookup_min = 1, .prompt_lookup_max = 3};
  auto is_allowed = [&](int32_t id) { return std::binary_search(allowed.begin(), allowed.end(), id); };
  for (const EngineOptions& options : {EngineOptions{}, ahead, drafting}) {
    Harness h(options);
    h.submit("limited", prompt, limited);
    h.submit("sampled", prompt, sampled);
    h.submit("only_eos", prompt, only_eos);
    h.wait();
    const std::vector<int32_t> out = h.ids("limited");
    ASSERT_EQ(out.size(), 24u);
    EXPECT_NE(out[0], free[0]);
    for (const int32_t id : out) EXPECT_TRUE(is_allowed(id)) << id;
    for (int s = 0; s < 3; ++s)
      for (const int32_t id : h.ids("sampled", s)) EXPECT_TRUE(is_allowed(id)) << "sample " << s << ": " << id;
    EXPECT_EQ(h.ids("only_eos"), std::vector<int32_t>(4, 2));
    h.expect_pool_empty();
  }
}

}  // namespace
}  // namespace turbine
