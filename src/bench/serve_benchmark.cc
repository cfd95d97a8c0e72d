#include "bench/serve_benchmark.h"

#include <spdlog/spdlog.h>

#include <cmath>
#include <memory>

#include "bench/arrival_process.h"
#include "bench/progress_bar.h"
#include "bench/result_json.h"
#include "bench/serve_client.h"
#include "common/error.h"

namespace turbine::bench {

ServeBenchmarkResult run_serve_benchmark(const ServeBenchmarkConfig& config, const Tokenizer& tokenizer,
                                         const std::vector<SampleRequest>& requests) {
  if (requests.empty()) fail("no requests to send");
  ClientOptions client;
  client.endpoint = parse_base_url(config.base_url);
  client.path = std::string(endpoint_path(config.endpoint));
  client.api_key = config.api_key;
  client.max_concurrency = config.max_concurrency;
  client.request_timeout_s = config.request_timeout_s;

  std::vector<std::string> bodies;
  for (const SampleRequest& r : requests)
    bodies.push_back(request_body(config.endpoint, config.model, r.prompt, r.expected_output_len, config.ignore_eos,
                                  config.extra_body));

  // The initial test run: one request, so that a wrong URL, model name or endpoint is one clear
  // error instead of N failed requests.
  spdlog::info("initial test run: one request to {}{}", client.endpoint.url(), client.path);
  {
    StreamRecorder probe(config.endpoint, requests[0].prompt_len);
    ResponseObserver* observer = &probe;
    const double at = 0;
    run_streaming_requests(client, std::span(&bodies[0], 1), std::span(&at, 1), std::span(&observer, 1));
    if (!probe.result().success)
      fail("the initial test request to {}{} failed: {} (check --base-url, --model and --endpoint)",
           client.endpoint.url(), client.path, probe.result().error);
  }

  ServeBenchmarkResult out;
  out.date = benchmark_date();
  const std::vector<double> send_times =
      arrival_times(requests.size(), config.request_rate, config.burstiness, config.dataset.seed);
  std::vector<std::unique_ptr<StreamRecorder>> recorders;
  std::vector<ResponseObserver*> observers;
  for (const SampleRequest& r : requests) {
    recorders.push_back(std::make_unique<StreamRecorder>(config.endpoint, r.prompt_len));
    observers.push_back(recorders.back().get());
  }
  spdlog::info("sending {} requests at {} requests/s (burstiness {}){}", requests.size(),
               std::isinf(config.request_rate) ? std::string("inf") : fmt::format("{}", config.request_rate),
               config.burstiness,
               config.max_concurrency > 0 ? fmt::format(", at most {} at once", config.max_concurrency) : "");
  ProgressBar bar(requests.size(), "requests", config.progress);
  size_t done = 0;
  const double duration =
      run_streaming_requests(client, bodies, send_times, observers, [&](size_t) { bar.update(++done); });
  bar.finish();

  for (auto& recorder : recorders) {
    RequestResult r = std::move(recorder->result());
    if (r.success && !r.output_tokens_from_usage) {
      // vLLM's fallback for servers that ignore stream_options.include_usage.
      r.output_tokens = int(tokenizer.encode(r.generated_text, false).size());
      ++out.outputs_counted_with_tokenizer;
    }
    out.results.push_back(std::move(r));
  }
  if (out.outputs_counted_with_tokenizer > 0)
    spdlog::warn("{} responses carried no usage: their output tokens were counted by re-tokenizing the text",
                 out.outputs_counted_with_tokenizer);
  out.metrics = compute_metrics(out.results, duration, config.percentiles, config.goodput);
  return out;
}

}  // namespace turbine::bench
