// turbine bench serve | throughput | latency (see bench_command.h and src/bench/README.md).
#include "cli/bench_command.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include "bench/arrival_process.h"
#include "bench/datasets/dataset.h"
#include "bench/metrics.h"
#include "bench/offline_benchmark.h"
#include "bench/report.h"
#include "bench/result_json.h"
#include "bench/serve_benchmark.h"
#include "bench/serve_client.h"
#include "cli/default_model.h"
#include "cli/engine_options.h"
#include "common/error.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace turbine::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The dataset flags `bench serve` and `bench throughput` share.
struct DatasetFlags {
  std::string dataset = "random";
  int num_prompts = 1000;
  std::optional<int> input_len, output_len, prefix_len;
  double range_ratio = 0.0;
  int num_prefixes = 10;
  std::optional<std::string> corpus;
  uint64_t seed = 0;

  bench::DatasetOptions to_options() const {
    bench::DatasetOptions o;
    o.kind = bench::parse_dataset_kind(dataset);
    o.num_prompts = num_prompts;
    o.input_len = input_len;
    o.output_len = output_len;
    o.range_ratio = range_ratio;
    o.prefix_len = prefix_len;
    o.num_prefixes = num_prefixes;
    o.corpus_file = corpus;
    o.seed = seed;
    return o.resolved();
  }
};

void add_dataset_flags(CLI::App& cmd, DatasetFlags& f) {
  cmd.add_option("--dataset", f.dataset, "random, sharegpt-like or prefix-repetition")->capture_default_str();
  cmd.add_option("--num-prompts", f.num_prompts, "Requests to make")->capture_default_str();
  cmd.add_option("--input-len", f.input_len,
                 "Prompt tokens (random: 1024, special tokens included; prefix-repetition: the suffix after "
                 "the prefix, 256)");
  cmd.add_option("--output-len", f.output_len, "Output tokens (max_tokens; default 128; sharegpt-like: drawn)");
  cmd.add_option("--range-ratio", f.range_ratio, "random: lengths uniform in [L(1-r), L(1+r)]")->capture_default_str();
  cmd.add_option("--prefix-len", f.prefix_len, "Shared prefix tokens (random: 0; prefix-repetition: 256)");
  cmd.add_option("--num-prefixes", f.num_prefixes, "prefix-repetition: distinct prefixes")->capture_default_str();
  cmd.add_option("--corpus", f.corpus, "sharegpt-like: a UTF-8 text file to cut prompts from (default: built in)");
  cmd.add_option("--seed", f.seed, "Seed of the dataset and the arrival times")->capture_default_str();
}

bool has_tokenizer(const std::string& dir) { return fs::exists(fs::path(dir) / "tokenizer.json"); }

Tokenizer load_tokenizer(const std::string& dir) {
  if (!has_tokenizer(dir)) fail("{}: no tokenizer.json there (give --tokenizer DIR)", dir);
  return Tokenizer::from_dir(dir);
}

json engine_config_json(const EngineFlags& e, const LlmEngine& engine) {
  json j;
  j["kv_cache_memory"] = e.kv_cache_memory;
  j["block_size"] = e.block_size;
  j["max_num_seqs"] = e.max_num_seqs;
  j["max_num_batched_tokens"] = e.max_num_batched_tokens;
  j["max_model_len"] = engine.max_model_len();
  j["prefix_caching"] = !e.no_prefix_caching;
  j["threads"] = e.threads;
  j["kv_cache_tokens"] = engine.capacity().tokens();
  j["device"] = e.resolved_device();
  j["gpu_memory_utilization"] = e.gpu_memory_utilization;
  j["enforce_eager"] = e.enforce_eager;
  return j;
}

// The engine the in-process benchmarks run: loaded as `turbine generate` loads it, on the
// backend of the engine flags' --device.
struct LoadedEngine {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Model> model;
  std::unique_ptr<LlmEngine> engine;
};

LoadedEngine load_engine(const std::string& model_dir, const EngineFlags& flags) {
  LoadedEngine e;
  spdlog::info("loading {} on the {}", model_dir, flags.resolved_device());
  e.backend = flags.make_backend();
  e.model = load_model(model_dir, *e.backend);
  e.engine = std::make_unique<LlmEngine>(*e.model, *e.backend, flags.to_options());
  return e;
}

// ---- bench serve

struct ServeFlags {
  std::string base_url = "http://127.0.0.1:8000";
  std::string endpoint = "completions";
  std::string model;
  std::optional<std::string> served_model_name;
  std::optional<std::string> tokenizer;
  DatasetFlags data;
  std::string request_rate = "inf";
  double burstiness = 1.0;
  int max_concurrency = 0;
  bool ignore_eos = false;
  std::optional<std::string> extra_body;
  std::string percentiles = "50,90,99";
  std::vector<std::string> goodput;
  std::optional<std::string> result_file;
  double request_timeout = 600;
  std::optional<std::string> api_key;
  bool no_progress = false;
};

// The prompts are made of tokens, so the client needs the model's tokenizer: --tokenizer, else
// --model when it is a folder (as vLLM, whose --model is a Hugging Face id or path), else the
// bundled demo model when that is the name served.
std::string serve_tokenizer_dir(const ServeFlags& f) {
  if (f.tokenizer) return *f.tokenizer;
  if (has_tokenizer(f.model)) return f.model;
  if (f.model == kDefaultModelName) return default_model_dir();
  fail("--model {} is not a folder with tokenizer.json: give --tokenizer DIR (the model's tokenizer folder; the "
       "benchmark makes its prompts from tokens)",
       f.model);
}

void run_bench_serve(const ServeFlags& f) {
  bench::ServeBenchmarkConfig c;
  c.base_url = f.base_url;
  bench::parse_base_url(f.base_url);  // bad URLs fail before the dataset is made
  c.endpoint = bench::parse_endpoint(f.endpoint);
  c.model = f.served_model_name.value_or(f.model);
  c.request_rate = bench::parse_request_rate(f.request_rate);
  if (!(f.burstiness > 0) || !std::isfinite(f.burstiness)) fail("--burstiness must be > 0, got {}", f.burstiness);
  c.burstiness = f.burstiness;
  if (f.max_concurrency < 0) fail("--max-concurrency must be >= 0 (0: no limit), got {}", f.max_concurrency);
  c.max_concurrency = f.max_concurrency;
  c.ignore_eos = f.ignore_eos;
  if (f.extra_body) {
    try {
      c.extra_body = nlohmann::json::parse(*f.extra_body);
    } catch (const nlohmann::json::parse_error& e) {
      fail("--extra-body must be a JSON object: {}", e.what());
    }
    if (!c.extra_body.is_object()) fail("--extra-body must be a JSON object, got {}", *f.extra_body);
  }
  c.percentiles = bench::parse_percentiles(f.percentiles);
  c.goodput_items = f.goodput;
  c.goodput = bench::parse_goodput(f.goodput);
  if (!(f.request_timeout > 0)) fail("--request-timeout must be > 0 seconds, got {}", f.request_timeout);
  c.request_timeout_s = f.request_timeout;
  c.api_key = f.api_key;
  if (!c.api_key)
    if (const char* env = std::getenv("OPENAI_API_KEY"); env && *env) c.api_key = env;
  c.progress = !f.no_progress;
  c.dataset = f.data.to_options();
  c.tokenizer_dir = serve_tokenizer_dir(f);

  const Tokenizer tokenizer = load_tokenizer(c.tokenizer_dir);
  spdlog::info("making {} {} prompts with the tokenizer of {}", c.dataset.num_prompts,
               bench::dataset_kind_name(c.dataset.kind), c.tokenizer_dir);
  const std::vector<bench::SampleRequest> requests = bench::make_dataset(tokenizer, c.dataset);
  const bench::ServeBenchmarkResult result = bench::run_serve_benchmark(c, tokenizer, requests);
  std::fputs(bench::serve_report(result, c.goodput.any()).c_str(), stdout);
  std::fflush(stdout);
  if (f.result_file) {
    bench::write_json_file(*f.result_file, bench::serve_result_json(c, result));
    spdlog::info("result written to {}", *f.result_file);
  }
}

// The engine's host time per step (EngineStats): printed and kept in the result file, so that
// the host's share of a step can be read next to the throughput it allowed.
json report_step_timing(const LlmEngine& engine) {
  const EngineStats s = engine.stats();
  const double steps = double(std::max<uint64_t>(s.num_steps, 1));
  const double decode_steps = double(std::max<uint64_t>(s.decode_steps, 1));
  const std::vector<double> wanted{50, 90, 99};
  const bench::Summary recent = bench::summarize(engine.recent_decode_host_seconds(), wanted, 1e3);  // in ms
  const double p[] = {recent.percentiles[0].second, recent.percentiles[1].second, recent.percentiles[2].second};
  auto ms = [&](double seconds) { return 1e3 * seconds / decode_steps; };
  std::printf("Host time per step: %.3f ms over %llu steps; decode-only steps: %.3f ms at %.1f rows on average "
              "(%llu steps; p50 %.3f, p90 %.3f, p99 %.3f ms; schedule %.3f, runner %.3f [rows %.3f, upload %.3f, "
              "forward %.3f, sampling %.3f, collect %.3f], update %.3f, emit %.3f ms); blocked on the device: %.3f s\n",
              1e3 * s.host_seconds / steps, static_cast<unsigned long long>(s.num_steps), ms(s.decode_host_seconds),
              double(s.decode_rows) / decode_steps, static_cast<unsigned long long>(s.decode_steps), p[0], p[1], p[2],
              ms(s.decode_schedule_seconds), ms(s.decode_runner_host_seconds), ms(s.decode_runner_rows_seconds),
              ms(s.decode_runner_upload_seconds), ms(s.decode_runner_forward_seconds),
              ms(s.decode_runner_sampling_seconds), ms(s.decode_runner_collect_seconds), ms(s.decode_update_seconds),
              ms(s.decode_emit_seconds), s.device_wait_seconds);
  std::printf("Decode steps launched ahead of the step in flight: %llu of %llu, host work hidden behind the device "
              "in %llu; exposed host time %.3f ms per decode step\n",
              static_cast<unsigned long long>(s.decode_steps_ahead), static_cast<unsigned long long>(s.decode_steps),
              static_cast<unsigned long long>(s.decode_steps_hidden), ms(s.decode_exposed_host_seconds));
  return {{"num_steps", s.num_steps},
          {"host_ms_per_step", 1e3 * s.host_seconds / steps},
          {"decode_steps", s.decode_steps},
          {"decode_host_ms_per_step", ms(s.decode_host_seconds)},
          {"decode_host_ms_p50", p[0]},
          {"decode_host_ms_p90", p[1]},
          {"decode_host_ms_p99", p[2]},
          {"decode_schedule_ms_per_step", ms(s.decode_schedule_seconds)},
          {"decode_runner_host_ms_per_step", ms(s.decode_runner_host_seconds)},
          {"decode_runner_rows_ms_per_step", ms(s.decode_runner_rows_seconds)},
          {"decode_runner_upload_ms_per_step", ms(s.decode_runner_upload_seconds)},
          {"decode_runner_forward_ms_per_step", ms(s.decode_runner_forward_seconds)},
          {"decode_runner_sampling_ms_per_step", ms(s.decode_runner_sampling_seconds)},
          {"decode_runner_collect_ms_per_step", ms(s.decode_runner_collect_seconds)},
          {"decode_update_ms_per_step", ms(s.decode_update_seconds)},
          {"decode_emit_ms_per_step", ms(s.decode_emit_seconds)},
          {"decode_mean_rows", double(s.decode_rows) / decode_steps},
          {"decode_steps_ahead", s.decode_steps_ahead},
          {"decode_steps_hidden", s.decode_steps_hidden},
          {"decode_exposed_host_ms_per_step", ms(s.decode_exposed_host_seconds)},
          {"device_wait_seconds", s.device_wait_seconds}};
}

// ---- bench throughput

struct ThroughputFlags {
  std::string model_dir;
  std::optional<std::string> tokenizer;
  DatasetFlags data;
  std::optional<std::string> result_file;
  bool no_progress = false;
  EngineFlags engine;
};

void run_bench_throughput(ThroughputFlags f) {
  if (f.model_dir.empty()) f.model_dir = default_model_dir();
  const bench::DatasetOptions dataset = f.data.to_options();
  const std::string tokenizer_dir = f.tokenizer.value_or(f.model_dir);
  const Tokenizer tokenizer = load_tokenizer(tokenizer_dir);
  const std::vector<bench::SampleRequest> requests = bench::make_dataset(tokenizer, dataset);
  LoadedEngine e = load_engine(f.model_dir, f.engine);
  const std::string date = bench::benchmark_date();
  const bench::ThroughputResult r = bench::run_throughput_benchmark(*e.engine, requests, dataset.seed, !f.no_progress);

  const long long total_tokens = r.prompt_tokens + r.output_tokens;
  std::printf("Throughput: %.2f requests/s, %.2f total tokens/s, %.2f output tokens/s\n",
              double(r.num_requests) / r.elapsed, double(total_tokens) / r.elapsed, double(r.output_tokens) / r.elapsed);
  std::printf("Total num prompt tokens:  %lld\n", r.prompt_tokens);
  std::printf("Total num output tokens:  %lld\n", r.output_tokens);
  std::printf("Elapsed time:  %.3f s (prefix cache hits: %llu tokens; preemptions: %llu)\n", r.elapsed,
              static_cast<unsigned long long>(r.prefix_cache_hit_tokens),
              static_cast<unsigned long long>(r.num_preemptions));
  const json step_timing = report_step_timing(*e.engine);
  std::fflush(stdout);
  if (f.result_file) {
    json j;  // vLLM's benchmark_throughput keys first
    j["elapsed_time"] = r.elapsed;
    j["num_requests"] = r.num_requests;
    j["total_num_tokens"] = total_tokens;
    j["requests_per_second"] = double(r.num_requests) / r.elapsed;
    j["tokens_per_second"] = double(total_tokens) / r.elapsed;
    j["output_tokens_per_second"] = double(r.output_tokens) / r.elapsed;
    j["total_prompt_tokens"] = r.prompt_tokens;
    j["total_output_tokens"] = r.output_tokens;
    j["prefix_cache_hit_tokens"] = r.prefix_cache_hit_tokens;
    j["num_preemptions"] = r.num_preemptions;
    j["step_timing"] = step_timing;
    j["date"] = date;
    j["config"] = {{"model", f.model_dir}, {"tokenizer", tokenizer_dir}, {"dataset", bench::dataset_config_json(dataset)},
                   {"engine", engine_config_json(f.engine, *e.engine)}};
    bench::write_json_file(*f.result_file, j);
    spdlog::info("result written to {}", *f.result_file);
  }
}

// ---- bench latency

struct LatencyFlags {
  std::string model_dir;
  bench::LatencyOptions options;
  std::optional<std::string> result_file;
  bool no_progress = false;
  EngineFlags engine;
};

void run_bench_latency(LatencyFlags f) {
  if (f.model_dir.empty()) f.model_dir = default_model_dir();
  f.options.progress = !f.no_progress;
  LoadedEngine e = load_engine(f.model_dir, f.engine);
  if (f.options.batch_size > f.engine.max_num_seqs)
    spdlog::warn("--batch-size {} is above --max-num-seqs {}: the batch will not run all at once", f.options.batch_size,
                 f.engine.max_num_seqs);
  const std::string date = bench::benchmark_date();
  std::vector<double> latencies = bench::run_latency_benchmark(*e.engine, f.options, e.model->config().vocab_size);

  std::vector<double> sorted = latencies;
  std::sort(sorted.begin(), sorted.end());
  const double avg = std::accumulate(latencies.begin(), latencies.end(), 0.0) / double(latencies.size());
  std::printf("Avg latency: %.6f seconds\n", avg);
  json percentiles;
  for (int p : {10, 25, 50, 75, 90, 99}) {
    const double v = bench::percentile_of_sorted(sorted, p);
    std::printf("%d%% percentile latency: %.6f seconds\n", p, v);
    percentiles[std::to_string(p)] = v;
  }
  const json step_timing = report_step_timing(*e.engine);
  std::fflush(stdout);
  if (f.result_file) {
    const bench::LatencyOptions& o = f.options;
    json j;  // vLLM's benchmark_latency keys first
    j["avg_latency"] = avg;
    j["latencies"] = latencies;
    j["percentiles"] = percentiles;
    j["step_timing"] = step_timing;
    j["date"] = date;
    j["config"] = {{"model", f.model_dir},
                   {"batch_size", o.batch_size},
                   {"input_len", o.input_len},
                   {"output_len", o.output_len},
                   {"num_iters_warmup", o.num_iters_warmup},
                   {"num_iters", o.num_iters},
                   {"seed", o.seed},
                   {"engine", engine_config_json(f.engine, *e.engine)}};
    bench::write_json_file(*f.result_file, j);
    spdlog::info("result written to {}", *f.result_file);
  }
}

}  // namespace

void register_bench_command(CLI::App& app) {
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks, measured as vLLM's benchmarks measure");
  bench->require_subcommand(1);

  {
    auto f = std::make_shared<ServeFlags>();
    CLI::App* cmd = bench->add_subcommand(
        "serve", "Benchmark an OpenAI-compatible server: streamed requests at a given rate; TTFT, TPOT, ITL, E2E");
    cmd->add_option("--base-url", f->base_url, "The server, http://HOST:PORT (without /v1)")->capture_default_str();
    cmd->add_option("--endpoint", f->endpoint, "completions or chat")->capture_default_str();
    cmd->add_option("--model", f->model, "The model name the server serves (a folder: also the tokenizer)")
        ->required();
    cmd->add_option("--served-model-name", f->served_model_name, "Name to send instead of --model");
    cmd->add_option("--tokenizer", f->tokenizer, "Tokenizer folder (default: --model when it is a folder)");
    add_dataset_flags(*cmd, f->data);
    cmd->add_option("--request-rate", f->request_rate, "Requests per second, or inf (all at once)")
        ->capture_default_str();
    cmd->add_option("--burstiness", f->burstiness, "Gamma shape of the arrival gaps (1: Poisson)")
        ->capture_default_str();
    cmd->add_option("--max-concurrency", f->max_concurrency, "Most requests in flight (0: no limit)")
        ->capture_default_str();
    cmd->add_flag("--ignore-eos", f->ignore_eos, "Ask the server to ignore EOS (every request makes its output length)");
    cmd->add_option("--extra-body", f->extra_body,
                    "A JSON object merged into every request body (e.g. a response_format or structured_outputs)");
    cmd->add_option("--percentiles,--metric-percentiles", f->percentiles, "Percentiles to report, comma-separated")
        ->capture_default_str();
    cmd->add_option("--goodput", f->goodput, "SLOs for goodput: ttft:MS tpot:MS e2el:MS");
    cmd->add_option("--result-file", f->result_file, "Write the result JSON (vLLM's keys) here");
    cmd->add_option("--request-timeout", f->request_timeout, "Seconds without data before a request fails")
        ->capture_default_str();
    cmd->add_option("--api-key", f->api_key, "Bearer token (default: $OPENAI_API_KEY)");
    cmd->add_flag("--no-progress,--disable-tqdm", f->no_progress, "No progress bar");
    cmd->callback([f] { run_bench_serve(*f); });
  }
  {
    auto f = std::make_shared<ThroughputFlags>();
    CLI::App* cmd = bench->add_subcommand(
        "throughput", "Offline throughput: every request submitted at once to the engine in this process");
    cmd->add_option("--model", f->model_dir, "Hugging Face model folder (default: the bundled demo model)");
    cmd->add_option("--tokenizer", f->tokenizer, "Tokenizer folder (default: --model)");
    add_dataset_flags(*cmd, f->data);
    cmd->add_option("--result-file,--output-json", f->result_file, "Write the result JSON here");
    cmd->add_flag("--no-progress,--disable-tqdm", f->no_progress, "No progress bar");
    add_engine_flags(*cmd, f->engine);
    cmd->callback([f] { run_bench_throughput(*f); });
  }
  {
    auto f = std::make_shared<LatencyFlags>();
    CLI::App* cmd = bench->add_subcommand(
        "latency", "Latency of one batch end to end (prefill + decode), over repeated iterations");
    cmd->add_option("--model", f->model_dir, "Hugging Face model folder (default: the bundled demo model)");
    cmd->add_option("--batch-size", f->options.batch_size, "Requests in the batch")->capture_default_str();
    cmd->add_option("--input-len", f->options.input_len, "Prompt tokens of each request")->capture_default_str();
    cmd->add_option("--output-len", f->options.output_len, "Output tokens of each request")->capture_default_str();
    cmd->add_option("--num-iters-warmup", f->options.num_iters_warmup, "Untimed iterations first")
        ->capture_default_str();
    cmd->add_option("--num-iters", f->options.num_iters, "Timed iterations")->capture_default_str();
    cmd->add_option("--seed", f->options.seed, "Seed of the prompts and the sampling")->capture_default_str();
    cmd->add_option("--result-file,--output-json", f->result_file, "Write the result JSON here");
    cmd->add_flag("--no-progress,--disable-tqdm", f->no_progress, "No progress bar");
    add_engine_flags(*cmd, f->engine);
    cmd->callback([f] { run_bench_latency(*f); });
  }
}

}  // namespace turbine::cli
