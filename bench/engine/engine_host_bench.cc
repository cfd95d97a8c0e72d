// The engine thread's host work per decode step, without a model: how much of the issue's
// 0.3 ms per step at 256 running requests the scheduler and the output hand-over take.
//
//   BM_DecodeStep/<rows>/<ahead>/<outputs>: one schedule() + update_from_output() with `rows`
//     requests decoding (ahead = 1: scheduled one step ahead, as the engine does on a GPU); each
//     request is replaced by a new one when it finishes, so every step has `rows` rows. outputs:
//     0 drops the deltas, 1 delivers them to (empty) sinks inline, 2 posts them to the
//     dispatcher's thread; the time is the calling thread's.
//   BM_DispatchStep/<rows>: handing one step's outputs to the OutputDispatcher and its thread
//     calling `rows` sinks (the engine thread's share is only post()).
//
// Ids look like the server's ("cmpl-" + 24 characters), as the dispatcher's sink table holds them.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <thread>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/loop/output_dispatcher.h"
#include "engine/scheduler/scheduler.h"

namespace turbine {
namespace {

constexpr int kPromptLen = 128;
constexpr int kMaxTokens = 1024;

std::unique_ptr<Request> make_request(int serial) {
  RequestParams params;
  params.max_tokens = kMaxTokens;
  params.ignore_eos = true;
  std::vector<int32_t> prompt(kPromptLen);
  for (int i = 0; i < kPromptLen; ++i) prompt[size_t(i)] = (serial * 131 + i * 7) % 30000 + 1;
  return std::make_unique<Request>(fmt::format("cmpl-{:024d}", serial), std::move(prompt), params);
}

void BM_DecodeStep(benchmark::State& state) {
  const int rows = int(state.range(0));
  const bool ahead = state.range(1) != 0;
  // Outputs: 0 dropped, 1 delivered to the sinks inline (the engine on the CPU), 2 handed to the
  // dispatcher's thread (the engine with async scheduling).
  const int outputs = int(state.range(2));
  const bool dispatch = outputs > 0;
  OutputDispatcher dispatcher(/*own_thread=*/outputs == 2);
  SchedulerConfig config;
  config.max_num_seqs = rows;
  config.max_num_batched_tokens = 8192;
  config.max_model_len = 4096;
  config.eos_token_ids = {2};
  KvCacheConfig kv;
  kv.block_size = 16;
  kv.num_blocks = std::max(rows * (kPromptLen + kMaxTokens), config.max_model_len) / kv.block_size + rows + 1;
  Scheduler scheduler(config, kv);
  int serial = 0;
  // As LlmEngine::submit does: the sink's key becomes the request's output key.
  auto submit = [&] {
    std::unique_ptr<Request> request = make_request(serial++);
    request->output_key = dispatcher.add_sink(request->id, [](const RequestOutput&) {}, 1);
    scheduler.add_request(std::move(request));
  };
  for (int i = 0; i < rows; ++i) submit();

  StepTokens tokens;
  std::optional<SchedulerOutput> in_flight;
  auto update = [&](const SchedulerOutput& out) {
    tokens.ids.assign(out.scheduled.size(), 5);  // one token each, as a runner's decode step returns
    tokens.offsets.resize(out.scheduled.size() + 1);
    for (size_t i = 0; i < tokens.offsets.size(); ++i) tokens.offsets[i] = int(i);
    std::vector<RequestDelta> deltas = scheduler.update_from_output(out, tokens);
    for (const RequestDelta& d : deltas)
      if (d.finish_reason) submit();
    benchmark::DoNotOptimize(deltas.data());
    if (dispatch) {
      StepOutputs step;
      step.deltas = std::move(deltas);
      step.samples.resize(out.scheduled.size());
      dispatcher.post(std::move(step));
    }
  };
  // Past the prefills: every later step is decode only.
  while (true) {
    SchedulerOutput out = scheduler.schedule();
    const bool decode = !out.scheduled.empty() && out.num_scheduled_tokens == int(out.scheduled.size());
    update(out);
    if (decode) break;
  }
  for (auto _ : state) {
    SchedulerOutput next = scheduler.schedule();
    if (in_flight) update(*in_flight);
    if (ahead) {
      in_flight = std::move(next);
    } else {
      update(next);
    }
  }
  if (in_flight) update(*in_flight);
  state.counters["rows"] = rows;
  state.counters["us_per_row"] = benchmark::Counter(double(rows) * double(state.iterations()),
                                                    benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_DecodeStep)->ArgsProduct({{1, 64, 256}, {0, 1}, {0, 1, 2}})->Unit(benchmark::kMicrosecond);

void BM_DispatchStep(benchmark::State& state) {
  const int rows = int(state.range(0));
  OutputDispatcher dispatcher;
  std::atomic<int64_t> delivered{0};
  std::vector<uint64_t> keys;
  for (int i = 0; i < rows; ++i)
    keys.push_back(dispatcher.add_sink(fmt::format("cmpl-{:024d}", i), [&](const RequestOutput& out) {
      delivered.fetch_add(int64_t(out.new_tokens.size()), std::memory_order_relaxed);
    }, 1));
  int64_t posted = 0;
  for (auto _ : state) {
    StepOutputs step;
    state.PauseTiming();  // the deltas come from update_from_output, measured above
    step.deltas.resize(size_t(rows));
    step.samples.resize(size_t(rows));
    for (int i = 0; i < rows; ++i) {
      step.deltas[size_t(i)].output_key = keys[size_t(i)];
      step.deltas[size_t(i)].token_begin = i;
      step.deltas[size_t(i)].num_new_tokens = 1;
      step.samples[size_t(i)].token = 7;
    }
    state.ResumeTiming();
    dispatcher.post(std::move(step));
    posted += rows;
  }
  while (delivered.load() < posted) std::this_thread::yield();  // let the sinks catch up
  state.counters["rows"] = rows;
}
BENCHMARK(BM_DispatchStep)->Arg(256)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace turbine

BENCHMARK_MAIN();
