// Paged attention on the CPU backend with Qwen2.5-0.5B heads (14 query heads, 2 KV heads of 64).
//
//  decode/<isa>/t<threads>/ctx<n>: one new token over n cached ones; GB/s counts the K and V
//    bytes read (decode attention streams the cache, like the GEMV streams weights).
//  prefill/<isa>/t<threads>/q<n>: n new tokens of one sequence, causal; GFLOP/s counts
//    2 * 2 * head_dim flops per (query head, visible key).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "best_iteration.h"

namespace turbine {
namespace {

constexpr int kHeads = 14, kKvHeads = 2, kHeadDim = 64, kBlockSize = 16;

struct Setup {
  std::unique_ptr<Backend> backend;
  std::vector<DeviceBuffer> buffers;
  Tensor q, out;
  KvCacheLayer cache;
  std::vector<int32_t> query_start, seq_lens, table, slots;
  AttentionBatch batch;
  AttentionShape shape;
};

Tensor random_tensor(Setup& s, int64_t rows, int64_t cols) {
  s.buffers.push_back(s.backend->allocate(size_t(rows * cols) * 4));
  Tensor t = s.buffers.back().as_tensor(DType::kF32, rows, cols);
  std::minstd_rand rng(uint32_t(rows * 31 + cols));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int64_t i = 0; i < rows * cols; ++i) t.as<float>()[i] = dist(rng);
  return t;
}

// One sequence of `seq_len` tokens whose last `q_len` are new; blocks shuffled.
void build(Setup& s, CpuIsa isa, int threads, int seq_len, int q_len) {
  CpuBackendOptions o;
  o.isa = isa;
  o.num_threads = threads;
  s.backend = make_cpu_backend(o);
  const int blocks = (seq_len + kBlockSize - 1) / kBlockSize;
  s.q = random_tensor(s, q_len, kHeads * kHeadDim);
  s.out = random_tensor(s, q_len, kHeads * kHeadDim);
  s.cache.k = random_tensor(s, int64_t(blocks) * kBlockSize, kKvHeads * kHeadDim);
  s.cache.v = random_tensor(s, int64_t(blocks) * kBlockSize, kKvHeads * kHeadDim);
  s.table.resize(size_t(blocks));
  for (int i = 0; i < blocks; ++i) s.table[size_t(i)] = (i * 7919) % blocks;  // a permutation when gcd = 1
  if (blocks % 7919 == 0) {
    for (int i = 0; i < blocks; ++i) s.table[size_t(i)] = i;
  }
  s.query_start = {0, q_len};
  s.seq_lens = {seq_len};
  s.batch.num_seqs = 1;
  s.batch.num_tokens = q_len;
  s.batch.query_start = s.query_start.data();
  s.batch.seq_lens = s.seq_lens.data();
  s.batch.block_tables = s.table.data();
  s.batch.max_blocks_per_seq = blocks;
  s.shape.num_heads = kHeads;
  s.shape.num_kv_heads = kKvHeads;
  s.shape.head_dim = kHeadDim;
  s.shape.block_size = kBlockSize;
  s.shape.scale = 1.0f / std::sqrt(float(kHeadDim));
}

void BM_AttentionDecode(benchmark::State& state, CpuIsa isa, int threads, int ctx) {
  Setup s;
  build(s, isa, threads, ctx + 1, 1);
  bench::BestIteration best;
  for (auto _ : state) {
    best.start();
    s.backend->attention(s.q, s.cache, s.batch, s.shape, s.out);
    best.stop();
  }
  const double bytes = double(ctx + 1) * kKvHeads * kHeadDim * 4 * 2;
  state.counters["GB/s_best"] = best.rate(bytes * 1e-9);
  state.counters["us_best"] = best.seconds() * 1e6;
}

void BM_AttentionPrefill(benchmark::State& state, CpuIsa isa, int threads, int q_len) {
  Setup s;
  build(s, isa, threads, q_len, q_len);
  bench::BestIteration best;
  for (auto _ : state) {
    best.start();
    s.backend->attention(s.q, s.cache, s.batch, s.shape, s.out);
    best.stop();
  }
  const double visible = double(q_len) * (q_len + 1) / 2;
  state.counters["GFLOP/s_best"] = best.rate(visible * kHeads * kHeadDim * 4 * 1e-9);
}

void register_all() {
  for (CpuIsa isa : {CpuIsa::kAvx512, CpuIsa::kAvx2, CpuIsa::kScalar}) {
    if (int(isa) > int(max_cpu_isa(detect_cpu_features()))) continue;
    const std::string isa_name(cpu_isa_name(isa));
    for (int threads : {1, 2}) {
      for (int ctx : {128, 1024, 4096}) {
        benchmark::RegisterBenchmark(
            ("decode/" + isa_name + "/t" + std::to_string(threads) + "/ctx" + std::to_string(ctx)).c_str(),
            BM_AttentionDecode, isa, threads, ctx)
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
      }
      benchmark::RegisterBenchmark(("prefill/" + isa_name + "/t" + std::to_string(threads) + "/q512").c_str(),
                                   BM_AttentionPrefill, isa, threads, 512)
          ->UseRealTime()
          ->Unit(benchmark::kMillisecond);
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
