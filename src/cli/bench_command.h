// `turbine bench`: the benchmark suite, measured as vLLM's benchmarks measure (src/bench).
//
//   turbine bench serve --base-url URL --model NAME ...   an OpenAI-compatible server, streamed
//   turbine bench throughput [--model DIR] ...            the engine in-process, all requests at once
//   turbine bench latency [--model DIR] ...               one batch, end to end, with percentiles
#pragma once

namespace CLI {
class App;
}

namespace turbine::cli {

void register_bench_command(CLI::App& app);

}  // namespace turbine::cli
