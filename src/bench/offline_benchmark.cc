#include "bench/offline_benchmark.h"

#include <chrono>
#include <random>

#include "bench/progress_bar.h"
#include "common/error.h"
#include "engine/loop/offline_batch.h"

namespace turbine::bench {

namespace {

using Clock = std::chrono::steady_clock;

RequestParams bench_params(int max_tokens, uint64_t seed) {
  RequestParams p;
  p.max_tokens = max_tokens;
  p.ignore_eos = true;
  p.sampling.temperature = 1.0f;
  p.sampling.top_p = 1.0f;
  p.sampling.seed = seed;
  return p;
}

// Runs the prompts to completion; returns the seconds it took and checks every one succeeded.
double run_batch(LlmEngine& engine, const std::vector<OfflinePrompt>& prompts, long long* output_tokens,
                 ProgressBar* bar) {
  const auto start = Clock::now();
  const std::vector<OfflineResult> results =
      run_offline(engine, prompts, {}, [&](size_t done, size_t) { if (bar) bar->update(done); });
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i].error.empty()) fail("request {} failed in the engine: {}", i + 1, results[i].error);
    if (output_tokens) *output_tokens += (long long)results[i].tokens.size();
  }
  return seconds;
}

}  // namespace

ThroughputResult run_throughput_benchmark(LlmEngine& engine, const std::vector<SampleRequest>& requests, uint64_t seed,
                                          bool progress) {
  std::vector<OfflinePrompt> prompts;
  ThroughputResult r;
  for (size_t i = 0; i < requests.size(); ++i) {
    OfflinePrompt p;
    p.prompt_ids = requests[i].prompt_ids;
    p.params = bench_params(requests[i].expected_output_len, seed + i);
    r.prompt_tokens += (long long)p.prompt_ids.size();
    prompts.push_back(std::move(p));
  }
  const EngineStats before = engine.stats();
  ProgressBar bar(prompts.size(), "requests", progress);
  r.elapsed = run_batch(engine, prompts, &r.output_tokens, &bar);
  bar.finish();
  const EngineStats after = engine.stats();
  r.num_requests = prompts.size();
  r.prefix_cache_hit_tokens = after.prefix_cache_hit_tokens - before.prefix_cache_hit_tokens;
  r.num_preemptions = after.num_preemptions - before.num_preemptions;
  return r;
}

std::vector<double> run_latency_benchmark(LlmEngine& engine, const LatencyOptions& o, int vocab_size) {
  if (o.batch_size < 1) fail("--batch-size must be >= 1, got {}", o.batch_size);
  if (o.input_len < 1) fail("--input-len must be >= 1, got {}", o.input_len);
  if (o.output_len < 1) fail("--output-len must be >= 1, got {}", o.output_len);
  if (o.num_iters < 1) fail("--num-iters must be >= 1, got {}", o.num_iters);
  if (o.num_iters_warmup < 0) fail("--num-iters-warmup must be >= 0, got {}", o.num_iters_warmup);
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<int32_t> token(0, vocab_size - 1);
  uint64_t request_seed = o.seed;
  auto batch = [&] {
    std::vector<OfflinePrompt> prompts(size_t(o.batch_size));
    for (OfflinePrompt& p : prompts) {
      p.prompt_ids.resize(size_t(o.input_len));
      for (int32_t& id : p.prompt_ids) id = token(rng);
      p.params = bench_params(o.output_len, request_seed++);
    }
    return prompts;
  };
  ProgressBar warmup(size_t(o.num_iters_warmup), "warm-up iterations", o.progress);
  for (int i = 0; i < o.num_iters_warmup; ++i) {
    run_batch(engine, batch(), nullptr, nullptr);
    warmup.update(size_t(i + 1));
  }
  warmup.finish();
  std::vector<double> latencies;
  ProgressBar timed(size_t(o.num_iters), "iterations", o.progress);
  for (int i = 0; i < o.num_iters; ++i) {
    const std::vector<OfflinePrompt> prompts = batch();  // made before the clock starts
    latencies.push_back(run_batch(engine, prompts, nullptr, nullptr));
    timed.update(size_t(i + 1));
  }
  timed.finish();
  return latencies;
}

}  // namespace turbine::bench
