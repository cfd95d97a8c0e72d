// CPU linear benchmarks.
//
//  decode/<kernels>/t<threads>/<n>x<k>: m = 1 with BF16 weights on Qwen2.5-0.5B shapes. The
//    weights rotate through enough copies (>= 256 MB) that every call reads from DRAM, as in real
//    decoding; GB/s counts weight bytes, to compare with bench_memory_bandwidth.
//  decode_batch/<kernels>/t<threads>/m<m>/<n>x<k>: the same with m = 2..8 rows of x (several
//    sequences decoding together): where the weight stream stops being the bottleneck.
//  decode_step/<kernels>/t<threads>: every linear of one Qwen2.5-0.5B decode step (24 layers of
//    q, k, v, o, gate, up, down, then the 151936-row lm_head): ~0.99 GB of BF16 per token,
//    dispatch overhead included. The tokens/s at the end is the batch-1 ceiling of the linears.
//  prefill/<kernels>/<dtype>/m<m>/<n>x<k>: m = 64 and 512, GFLOP/s = 2 m n k / time.
//
// Kernel sets: avx512_bf16 (vdpbf16ps with hi/lo split activations), avx512 (f32 FMA), avx2.
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "best_iteration.h"
#include "common/cpu_features.h"

namespace turbine {
namespace {

struct Kernels {
  std::string name;
  CpuIsa isa;
  bool bf16_dot;
};

std::vector<Kernels> available_kernels() {
  const CpuFeatures f = detect_cpu_features();
  const CpuIsa best = max_cpu_isa(f);
  std::vector<Kernels> list;
  if (best >= CpuIsa::kAvx512 && f.avx512_bf16) list.push_back({"avx512_bf16", CpuIsa::kAvx512, true});
  if (best >= CpuIsa::kAvx512) list.push_back({"avx512", CpuIsa::kAvx512, false});
  if (best >= CpuIsa::kAvx2) list.push_back({"avx2", CpuIsa::kAvx2, false});
  list.push_back({"scalar", CpuIsa::kScalar, false});
  return list;
}

std::unique_ptr<Backend> make_backend(const Kernels& k, int threads) {
  CpuBackendOptions o;
  o.num_threads = threads;
  o.isa = k.isa;
  o.use_avx512_bf16 = k.bf16_dot;
  return make_cpu_backend(o);
}

// Normal numbers of modest size in any dtype (no denormals, which some units handle slowly).
void fill_weights(void* data, DType dtype, size_t count, uint32_t seed) {
  std::minstd_rand rng(seed);
  if (dtype == DType::kF32) {
    float* p = static_cast<float*>(data);
    for (size_t i = 0; i < count; ++i) p[i] = float(int(rng() % 2001) - 1000) / 1024.0f + 1.0f / 4096;
    return;
  }
  uint16_t* p = static_cast<uint16_t*>(data);
  for (size_t i = 0; i < count; ++i) {
    const uint32_t r = rng();
    p[i] = dtype == DType::kBF16 ? uint16_t((r & 0x8000) | ((118 + (r >> 16) % 10) << 7) | (r & 0x7f))
                                 : uint16_t((r & 0x8000) | ((10 + (r >> 16) % 8) << 10) | (r & 0x3ff));
  }
}

struct Weights {
  std::vector<DeviceBuffer> buffers;
  std::vector<Tensor> tensors;
};

Weights make_weight_copies(Backend& backend, DType dtype, int64_t n, int64_t k, size_t min_total_bytes, bool huge_pages) {
  Weights w;
  const size_t bytes = size_t(n * k) * dtype_size(dtype);
  const size_t copies = std::max<size_t>(1, (min_total_bytes + bytes - 1) / bytes);
  for (size_t c = 0; c < copies; ++c) {
    w.buffers.push_back(backend.allocate(bytes));
    if (!huge_pages) madvise(w.buffers.back().data(), bytes, MADV_NOHUGEPAGE);
    fill_weights(w.buffers.back().data(), dtype, size_t(n * k), uint32_t(c));
    w.tensors.push_back(w.buffers.back().as_tensor(dtype, n, k));
  }
  return w;
}

// m rows of x (m = 1 is batch-1 decode; m = 2..8 is a batch of decoding sequences).
void BM_Decode(benchmark::State& state, Kernels kernels, int threads, int64_t m, int64_t n, int64_t k) {
  auto backend = make_backend(kernels, threads);
  Weights w = make_weight_copies(*backend, DType::kBF16, n, k, size_t(256) << 20, true);
  DeviceBuffer xb = backend->allocate(size_t(m * k) * 4), ob = backend->allocate(size_t(m * n) * 4);
  Tensor x = xb.as_tensor(DType::kF32, m, k), out = ob.as_tensor(DType::kF32, m, n);
  fill_weights(x.data, DType::kF32, size_t(m * k), 7);
  size_t next = 0;
  bench::BestIteration best;
  for (auto _ : state) {
    best.start();
    backend->linear(x, w.tensors[next], nullptr, out);
    best.stop();
    next = next + 1 == w.tensors.size() ? 0 : next + 1;
  }
  state.counters["GB/s"] =
      benchmark::Counter(double(n * k * 2) * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["GB/s_best"] = best.rate(double(n * k * 2) * 1e-9);
  state.counters["GFLOP/s_best"] = best.rate(2.0 * double(m * n * k) * 1e-9);
}

// One decode step's linears of Qwen2.5-0.5B (hidden 896, 14 heads / 2 KV heads of 64,
// intermediate 4864, 24 layers, vocabulary 151936 with tied embeddings).
void BM_DecodeStep(benchmark::State& state, Kernels kernels, int threads, bool huge_pages) {
  constexpr int64_t kHidden = 896, kKv = 128, kInter = 4864, kLayers = 24, kVocab = 151936;
  auto backend = make_backend(kernels, threads);
  struct Layer {
    Weights q, k, v, o, gate, up, down;
  };
  std::vector<Layer> layers(kLayers);
  for (Layer& l : layers) {
    l.q = make_weight_copies(*backend, DType::kBF16, kHidden, kHidden, 0, huge_pages);
    l.k = make_weight_copies(*backend, DType::kBF16, kKv, kHidden, 0, huge_pages);
    l.v = make_weight_copies(*backend, DType::kBF16, kKv, kHidden, 0, huge_pages);
    l.o = make_weight_copies(*backend, DType::kBF16, kHidden, kHidden, 0, huge_pages);
    l.gate = make_weight_copies(*backend, DType::kBF16, kInter, kHidden, 0, huge_pages);
    l.up = make_weight_copies(*backend, DType::kBF16, kInter, kHidden, 0, huge_pages);
    l.down = make_weight_copies(*backend, DType::kBF16, kHidden, kInter, 0, huge_pages);
  }
  Weights lm_head = make_weight_copies(*backend, DType::kBF16, kVocab, kHidden, 0, huge_pages);
  DeviceBuffer xb = backend->allocate(kInter * 4), ob = backend->allocate(kVocab * 4), gb = backend->allocate(kInter * 4);
  Tensor x = xb.as_tensor(DType::kF32, 1, kHidden), big = ob.as_tensor(DType::kF32, 1, kVocab);
  Tensor h = gb.as_tensor(DType::kF32, 1, kInter);
  fill_weights(xb.data(), DType::kF32, kInter, 3);
  fill_weights(gb.data(), DType::kF32, kInter, 4);
  auto out_of = [&](int64_t n) { return Tensor{big.data, DType::kF32, 1, n}; };
  int64_t bytes = 0;
  bench::BestIteration best;
  for (auto _ : state) {
    best.start();
    for (Layer& l : layers) {
      for (Weights* w : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up}) {
        Tensor out = out_of(w->tensors[0].rows);
        backend->linear(x, w->tensors[0], nullptr, out);
      }
      Tensor out = out_of(kHidden);
      backend->linear(h, l.down.tensors[0], nullptr, out);
    }
    backend->linear(x, lm_head.tensors[0], nullptr, big);
    best.stop();
  }
  bytes = (kLayers * (2 * kHidden * kHidden + 2 * kKv * kHidden + 3 * kInter * kHidden) + kVocab * kHidden) * 2;
  state.counters["GB/s"] = benchmark::Counter(double(bytes) * double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["tok/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["GB/s_best"] = best.rate(double(bytes) * 1e-9);
  state.counters["tok/s_best"] = best.rate(1.0);
}

void BM_Prefill(benchmark::State& state, Kernels kernels, int threads, DType dtype, int64_t m, int64_t n, int64_t k) {
  auto backend = make_backend(kernels, threads);
  Weights w = make_weight_copies(*backend, dtype, n, k, 0, true);
  DeviceBuffer xb = backend->allocate(size_t(m * k) * 4), ob = backend->allocate(size_t(m * n) * 4);
  Tensor x = xb.as_tensor(DType::kF32, m, k), out = ob.as_tensor(DType::kF32, m, n);
  fill_weights(x.data, DType::kF32, size_t(m * k), 11);
  bench::BestIteration best;
  for (auto _ : state) {
    best.start();
    backend->linear(x, w.tensors[0], nullptr, out);
    best.stop();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * double(m * n * k) * double(state.iterations()) * 1e-9, benchmark::Counter::kIsRate);
  state.counters["GFLOP/s_best"] = best.rate(2.0 * double(m * n * k) * 1e-9);
}

struct Shape {
  int64_t n, k;
};

// Qwen2.5-0.5B: q (or o) 896x896, fused qkv 1152x896, k/v 128x896, gate or up 4864x896, fused
// gate+up 9728x896, down 896x4864, lm_head 151936x896.
const Shape kDecodeShapes[] = {{896, 896},  {1152, 896}, {128, 896},  {4864, 896},
                               {9728, 896}, {896, 4864}, {151936, 896}};
const Shape kPrefillShapes[] = {{896, 896}, {4864, 896}, {896, 4864}};

// With --benchmark_repetitions=N, the "max" row holds the best rate (GB/s, GFLOP/s) of the N
// runs (and the worst time): the machine is shared, and the best run is the one that had it.
double max_of(const std::vector<double>& v) { return *std::max_element(v.begin(), v.end()); }

void register_all() {
  const std::vector<Kernels> kernels = available_kernels();
  for (const Kernels& kn : kernels) {
    if (kn.isa == CpuIsa::kScalar) continue;
    for (int threads : {1, 2}) {
      for (const Shape& s : kDecodeShapes) {
        const std::string name =
            "decode/" + kn.name + "/t" + std::to_string(threads) + "/" + std::to_string(s.n) + "x" + std::to_string(s.k);
        benchmark::RegisterBenchmark(name.c_str(), BM_Decode, kn, threads, 1, s.n, s.k)
            ->UseRealTime()
            ->ComputeStatistics("max", max_of)
            ->Unit(benchmark::kMicrosecond);
      }
      for (int64_t m : {2, 3, 4, 8}) {
        for (const Shape& s : {Shape{4864, 896}, Shape{896, 4864}}) {
          const std::string name = "decode_batch/" + kn.name + "/t" + std::to_string(threads) + "/m" + std::to_string(m) +
                                   "/" + std::to_string(s.n) + "x" + std::to_string(s.k);
          benchmark::RegisterBenchmark(name.c_str(), BM_Decode, kn, threads, m, s.n, s.k)
              ->UseRealTime()
              ->ComputeStatistics("max", max_of)
              ->Unit(benchmark::kMicrosecond);
        }
      }
    }
  }
  for (const Kernels& kn : kernels) {
    if (kn.isa == CpuIsa::kScalar) continue;
    for (int threads : {1, 2}) {
      benchmark::RegisterBenchmark(("decode_step/" + kn.name + "/t" + std::to_string(threads)).c_str(), BM_DecodeStep,
                                   kn, threads, true)
          ->UseRealTime()
          ->ComputeStatistics("max", max_of)
          ->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark(("decode_step/" + kn.name + "/t2/4k_pages").c_str(), BM_DecodeStep, kn, 2, false)
        ->UseRealTime()
        ->ComputeStatistics("max", max_of)
        ->Unit(benchmark::kMillisecond);
  }
  for (const Kernels& kn : kernels) {
    for (DType dtype : {DType::kBF16, DType::kF32, DType::kF16}) {
      if (kn.bf16_dot && dtype != DType::kBF16) continue;  // same kernels as avx512 otherwise
      for (int64_t m : {64, 512}) {
        if (kn.isa == CpuIsa::kScalar && m > 64) continue;
        for (const Shape& s : kPrefillShapes) {
         for (int threads : {1, 2}) {
          const std::string name = "prefill/" + kn.name + "/" + std::string(dtype_name(dtype)) + "/t" +
                                   std::to_string(threads) + "/m" + std::to_string(m) + "/" + std::to_string(s.n) + "x" +
                                   std::to_string(s.k);
          benchmark::RegisterBenchmark(name.c_str(), BM_Prefill, kn, threads, dtype, m, s.n, s.k)
              ->UseRealTime()
              ->ComputeStatistics("max", max_of)
              ->Unit(benchmark::kMillisecond);
         }
        }
      }
    }
  }
}

}  // namespace
}  // namespace turbine

int main(int argc, char** argv) {
  turbine::register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
