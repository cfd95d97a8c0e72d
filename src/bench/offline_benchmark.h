// `turbine bench throughput` and `turbine bench latency`: the engine in this process, as vLLM's
// benchmark_throughput (every request submitted at once, wall time to the last token) and
// benchmark_latency (one fixed batch, timed end to end, after warm-up iterations). Both sample
// as vLLM does there: temperature 1, top-p 1, EOS ignored, so every request makes exactly its
// output length (seeded, so runs repeat).
#pragma once

#include <cstdint>
#include <vector>

#include "bench/datasets/dataset.h"
#include "engine/loop/llm_engine.h"

namespace turbine::bench {

struct ThroughputResult {
  double elapsed = 0;  // seconds
  size_t num_requests = 0;
  long long prompt_tokens = 0;
  long long output_tokens = 0;  // generated, counted
  uint64_t prefix_cache_hit_tokens = 0;
  uint64_t num_preemptions = 0;
};

ThroughputResult run_throughput_benchmark(LlmEngine& engine, const std::vector<SampleRequest>& requests, uint64_t seed,
                                          bool progress);

struct LatencyOptions {
  int batch_size = 8;
  int input_len = 32;
  int output_len = 128;
  int num_iters_warmup = 10;
  int num_iters = 30;
  uint64_t seed = 0;
  bool progress = true;
};

// The seconds of each timed iteration. Every iteration draws fresh random prompt ids (vLLM
// reuses one batch, which the prefix cache would then serve from the second iteration on).
std::vector<double> run_latency_benchmark(LlmEngine& engine, const LatencyOptions& options, int vocab_size);

}  // namespace turbine::bench
