#include "bench/result_json.h"

#include <fmt/chrono.h>

#include <cmath>
#include <ctime>
#include <fstream>

#include "common/error.h"

namespace turbine::bench {

using nlohmann::json;

void add_summary(json& out, const std::string& name, const Summary& summary) {
  out["mean_" + name] = summary.mean;
  out["median_" + name] = summary.median;
  out["std_" + name] = summary.std;
  for (const auto& [p, value] : summary.percentiles) out[percentile_key(p) + "_" + name] = value;
}

json serve_result_json(const ServeBenchmarkConfig& c, const ServeBenchmarkResult& r) {
  const BenchmarkMetrics& m = r.metrics;
  const DatasetOptions& d = c.dataset;
  json j;
  j["date"] = r.date;
  j["backend"] = endpoint_backend(c.endpoint);
  j["endpoint_type"] = endpoint_backend(c.endpoint);
  j["model_id"] = c.model;
  j["tokenizer_id"] = c.tokenizer_dir;
  j["num_prompts"] = r.results.size();
  j["request_rate"] = std::isinf(c.request_rate) ? json("inf") : json(c.request_rate);
  j["burstiness"] = c.burstiness;
  j["max_concurrency"] = c.max_concurrency > 0 ? json(c.max_concurrency) : json(nullptr);

  j["duration"] = m.duration;
  j["completed"] = m.completed;
  j["failed"] = m.failed;
  j["total_input_tokens"] = m.total_input;
  j["total_output_tokens"] = m.total_output;
  j["request_throughput"] = m.request_throughput;
  j["request_goodput"] = m.request_goodput ? json(*m.request_goodput) : json(nullptr);
  j["output_throughput"] = m.output_throughput;
  j["total_token_throughput"] = m.total_token_throughput;
  j["max_output_tokens_per_s"] = m.max_output_tokens_per_s;
  j["max_concurrent_requests"] = m.max_concurrent_requests;
  j["peak_concurrent_requests"] = m.peak_concurrent_requests;
  add_summary(j, "ttft_ms", m.ttft_ms);
  add_summary(j, "tpot_ms", m.tpot_ms);
  add_summary(j, "itl_ms", m.itl_ms);
  add_summary(j, "e2el_ms", m.e2el_ms);

  json input_lens = json::array(), ttfts = json::array(), itls = json::array(), e2els = json::array(),
       texts = json::array(), errors = json::array();
  for (const RequestResult& q : r.results) {
    input_lens.push_back(q.prompt_len);
    ttfts.push_back(q.ttft);
    itls.push_back(q.itl);
    e2els.push_back(q.latency);
    texts.push_back(q.generated_text);
    errors.push_back(q.error);
  }
  j["input_lens"] = std::move(input_lens);
  j["output_lens"] = m.output_lens;
  j["ttfts"] = std::move(ttfts);
  j["itls"] = std::move(itls);
  j["e2els"] = std::move(e2els);
  j["generated_texts"] = std::move(texts);
  j["errors"] = std::move(errors);

  json config;
  config["base_url"] = c.base_url;
  config["endpoint"] = endpoint_path(c.endpoint);
  config["model"] = c.model;
  config["tokenizer"] = c.tokenizer_dir;
  config.update(dataset_config_json(d));  // flat, as vLLM's result files have them
  config["request_rate"] = j["request_rate"];
  config["burstiness"] = c.burstiness;
  config["max_concurrency"] = j["max_concurrency"];
  config["ignore_eos"] = c.ignore_eos;
  if (c.extra_body.is_object()) config["extra_body"] = c.extra_body;
  config["percentiles"] = c.percentiles;
  config["goodput"] = c.goodput_items;
  config["request_timeout_s"] = c.request_timeout_s;
  config["outputs_counted_with_tokenizer"] = r.outputs_counted_with_tokenizer;
  j["config"] = std::move(config);
  return j;
}

json dataset_config_json(const DatasetOptions& d) {
  json j;
  j["dataset"] = dataset_kind_name(d.kind);
  j["num_prompts"] = d.num_prompts;
  j["input_len"] = d.input_len ? json(*d.input_len) : json(nullptr);
  j["output_len"] = d.output_len ? json(*d.output_len) : json(nullptr);
  j["range_ratio"] = d.range_ratio;
  j["prefix_len"] = d.prefix_len ? json(*d.prefix_len) : json(nullptr);
  j["num_prefixes"] = d.num_prefixes;
  j["corpus"] = d.corpus_file ? json(*d.corpus_file) : json("built-in");
  j["seed"] = d.seed;
  return j;
}

std::string benchmark_date() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::localtime_r(&now, &tm);
  return fmt::format("{:%Y%m%d-%H%M%S}", tm);
}

void write_json_file(const std::string& path, const json& j) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail("--result-file {}: cannot open the file for writing", path);
  out << j.dump(2, ' ', false, json::error_handler_t::replace) << '\n';
  out.flush();
  if (!out) fail("--result-file {}: writing failed", path);
}

}  // namespace turbine::bench
