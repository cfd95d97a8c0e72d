// Read bandwidth of this machine: sums a 1 GiB buffer (far beyond any cache) with the widest
// loads the CPU has, on 1 and 2 threads of a ThreadPool, like the decode GEMV reads weights.
// This is the ceiling bench_cpu_linear's m = 1 numbers are compared with.
//
// Variants: "thp" asks for transparent huge pages (as CpuBackend::allocate does for big
// buffers); "4k" forbids them (like weights mmapped from a file in the page cache).
#include <benchmark/benchmark.h>
#include <immintrin.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/cpu_features.h"
#include "common/thread_pool.h"
#include "best_iteration.h"

namespace turbine {
namespace {

constexpr size_t kBufferBytes = size_t(1) << 30;

__attribute__((target("avx512f"))) float sum_avx512(const float* p, size_t n) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < n; i += 64) {
    a0 = _mm512_add_ps(a0, _mm512_load_ps(p + i));
    a1 = _mm512_add_ps(a1, _mm512_load_ps(p + i + 16));
    a2 = _mm512_add_ps(a2, _mm512_load_ps(p + i + 32));
    a3 = _mm512_add_ps(a3, _mm512_load_ps(p + i + 48));
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

__attribute__((target("avx2"))) float sum_avx2(const float* p, size_t n) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i < n; i += 32) {
    a0 = _mm256_add_ps(a0, _mm256_load_ps(p + i));
    a1 = _mm256_add_ps(a1, _mm256_load_ps(p + i + 8));
    a2 = _mm256_add_ps(a2, _mm256_load_ps(p + i + 16));
    a3 = _mm256_add_ps(a3, _mm256_load_ps(p + i + 24));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  float s = 0;
  for (float v : lanes) s += v;
  return s;
}

struct Buffer {
  float* data = nullptr;
  explicit Buffer(bool huge_pages) {
    data = static_cast<float*>(std::aligned_alloc(size_t(2) << 20, kBufferBytes));
    madvise(data, kBufferBytes, huge_pages ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
    std::memset(data, 1, kBufferBytes);  // fault every page in before timing
  }
  ~Buffer() { std::free(data); }
};

Buffer& buffer(bool huge_pages) {
  static Buffer thp(true);
  static Buffer small_pages(false);
  return huge_pages ? thp : small_pages;
}

// Each iteration reads the next 64 MiB slice of the buffer (2x the L3, and 15 slices since it
// was last read), so every byte comes
// from DRAM, and an iteration is short enough that best-of-N repetitions filter out the moments
// other processes held the cores.
void BM_ReadBandwidth(benchmark::State& state) {
  const int threads = int(state.range(0));
  const bool huge_pages = state.range(1) != 0;
  const float* data = buffer(huge_pages).data;
  const bool avx512 = detect_cpu_features().avx512f;
  ThreadPool pool(threads);
  constexpr size_t kSliceBytes = size_t(64) << 20;
  constexpr size_t kSlices = kBufferBytes / kSliceBytes;
  constexpr int64_t kChunks = int64_t(kSliceBytes >> 20);  // 1 MiB each, split contiguously
  constexpr size_t kChunkFloats = (size_t(1) << 20) / sizeof(float);
  std::vector<float> sinks(size_t(threads) * 16);
  size_t slice = 0;
  bench::BestIteration best;
  for (auto _ : state) {
    best.start();
    const float* base = data + slice * (kSliceBytes / sizeof(float));
    pool.parallel_for(kChunks, [&](int64_t begin, int64_t end) {
      const float* p = base + size_t(begin) * kChunkFloats;
      const size_t n = size_t(end - begin) * kChunkFloats;
      const float s = avx512 ? sum_avx512(p, n) : sum_avx2(p, n);
      sinks[size_t(begin * threads / kChunks) * 16] += s;
    });
    best.stop();
    benchmark::DoNotOptimize(sinks.data());
    slice = (slice + 1) % kSlices;
  }
  state.counters["GB/s"] = benchmark::Counter(double(kSliceBytes) * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["GB/s_best"] = best.rate(double(kSliceBytes) * 1e-9);
  state.SetLabel(avx512 ? "avx512 loads" : "avx2 loads");
}

// With --benchmark_repetitions=N, the "max" row holds the best GB/s of the N runs.
double max_of(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }

BENCHMARK(BM_ReadBandwidth)
    ->ArgNames({"threads", "thp"})
    ->Args({1, 0})
    ->Args({2, 0})
    ->Args({1, 1})
    ->Args({2, 1})
    ->UseRealTime()
    ->ComputeStatistics("max", max_of)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace turbine

BENCHMARK_MAIN();
