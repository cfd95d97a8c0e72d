// `turbine bench serve`: vLLM's benchmark_serving against any OpenAI-compatible server. A first
// single request checks the setup (as vLLM's "initial test run"); then every prompt is sent at
// its pre-drawn arrival time, streamed, timed, and the metrics computed from what came back.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/datasets/dataset.h"
#include "bench/metrics.h"
#include "bench/openai_stream.h"
#include "bench/request_result.h"

namespace turbine::bench {

struct ServeBenchmarkConfig {
  std::string base_url;
  Endpoint endpoint = Endpoint::kCompletions;
  std::string model;          // the name the server serves
  std::string tokenizer_dir;  // where the prompts' tokenizer came from (reported)
  DatasetOptions dataset;     // resolved
  double request_rate = 0;    // requests per second; infinity: all at once
  double burstiness = 1.0;
  int max_concurrency = 0;    // 0: no limit
  bool ignore_eos = false;
  nlohmann::json extra_body;  // an object merged into every request body (--extra-body), or null
  std::vector<double> percentiles{50, 90, 99};
  std::vector<std::string> goodput_items;  // as given: "ttft:100"
  GoodputSlo goodput;
  double request_timeout_s = 600;
  std::optional<std::string> api_key;
  bool progress = true;
};

struct ServeBenchmarkResult {
  std::string date;  // when the run started, vLLM's "%Y%m%d-%H%M%S"
  std::vector<RequestResult> results;  // in dataset order
  BenchmarkMetrics metrics;
  int outputs_counted_with_tokenizer = 0;  // successes whose stream carried no usage
};

// Throws turbine::Error when the setup is wrong (bad URL, unreachable server, the first request
// failing); failures during the run are counted, never thrown.
ServeBenchmarkResult run_serve_benchmark(const ServeBenchmarkConfig& config, const Tokenizer& tokenizer,
                                         const std::vector<SampleRequest>& requests);

}  // namespace turbine::bench
