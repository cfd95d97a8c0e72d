// The result files of `turbine bench`. The serving result uses the keys of vLLM's
// benchmark_serving result JSON, so scripts that read vLLM's files read these: the
// configuration (date, backend, model_id, tokenizer_id, num_prompts, request_rate, burstiness,
// max_concurrency), the totals and throughputs, mean_/median_/std_/pNN_ of ttft_ms, tpot_ms,
// itl_ms and e2el_ms, and the per-request arrays input_lens, output_lens, ttfts, itls,
// generated_texts, errors. Ours on top: failed, peak_concurrent_requests, e2els (per-request
// E2E latency, seconds, as ttfts), and "config" with every setting of the run.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "bench/serve_benchmark.h"

namespace turbine::bench {

nlohmann::json serve_result_json(const ServeBenchmarkConfig& config, const ServeBenchmarkResult& result);

// Adds mean_/median_/std_/pNN_ + `name` (e.g. "ttft_ms") of `summary` to `out`.
void add_summary(nlohmann::json& out, const std::string& name, const Summary& summary);

// The local date and time, as vLLM stamps its results: "%Y%m%d-%H%M%S".
std::string benchmark_date();

// The dataset settings of a run, for a result file's "config".
nlohmann::json dataset_config_json(const DatasetOptions& options);

// Writes `j` (indented) to `path`; throws turbine::Error when the file cannot be written.
void write_json_file(const std::string& path, const nlohmann::json& j);

}  // namespace turbine::bench
