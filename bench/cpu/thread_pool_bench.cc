// Dispatch latency of ThreadPool::parallel_for: a decode step makes a few hundred dispatches per
// token, so a round trip (wake the workers, run trivial parts, wait for all) must cost about a
// microsecond. "_best" is the fastest single dispatch.
#include <benchmark/benchmark.h>

#include <atomic>

#include "best_iteration.h"
#include "common/thread_pool.h"

namespace turbine {
namespace {

void BM_ParallelForRoundTrip(benchmark::State& state) {
  ThreadPool pool(int(state.range(0)));
  std::atomic<int64_t> sink{0};
  bench::BestIteration best;
  constexpr int kBatch = 1;
  for (auto _ : state) {
    best.start();
    for (int i = 0; i < kBatch; ++i) {
      pool.parallel_for(pool.num_threads(), [&](int64_t b, int64_t e) { sink.fetch_add(e - b, std::memory_order_relaxed); });
    }
    best.stop();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["us_per_dispatch_best"] = best.seconds() / kBatch * 1e6;
}

BENCHMARK(BM_ParallelForRoundTrip)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace turbine

BENCHMARK_MAIN();
