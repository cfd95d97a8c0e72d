// Dispatch latency of ThreadPool::parallel_for: a decode step makes a few hundred dispatches per
// token, so a round trip (publish the job, run trivial parts, wait for all of them) must cost
// well under a microsecond. The Time column is the cost per dispatch.
#include <benchmark/benchmark.h>

#include <atomic>

#include "common/thread_pool.h"

namespace turbine {
namespace {

void BM_ParallelForRoundTrip(benchmark::State& state) {
  ThreadPool pool(int(state.range(0)));
  std::atomic<int64_t> sink{0};
  for (auto _ : state) {
    pool.parallel_for(pool.num_threads(), [&](int64_t b, int64_t e) { sink.fetch_add(e - b, std::memory_order_relaxed); });
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ParallelForRoundTrip)->ArgName("threads")->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace turbine

BENCHMARK_MAIN();
