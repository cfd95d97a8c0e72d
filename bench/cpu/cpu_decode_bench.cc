// One batch-1 decode token of a Qwen2.5-0.5B-shaped model on the CPU backend, every op the
// model issues (embedding, norms, q/k/v/o with bias, RoPE, write_kv, paged attention over
// `ctx` cached tokens, gate/up/down, SiLU-mul, residual adds, final norm, lm_head), with random
// BF16 weights. It bounds what the backend can do per token before the runner and sampler, and
// its GB/s (weight bytes per token / time) compares directly with bench_memory_bandwidth.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "best_iteration.h"

namespace turbine {
namespace {

constexpr int64_t kHidden = 896, kHeads = 14, kKvHeads = 2, kHeadDim = 64, kInter = 4864, kLayers = 24;
constexpr int64_t kVocab = 151936;
constexpr int kBlockSize = 16;

struct Model {
  std::vector<DeviceBuffer> buffers;
  Tensor embed;
  struct Layer {
    Tensor in_norm, post_norm, q, k, v, o, q_bias, k_bias, v_bias, gate, up, down;
    KvCacheLayer cache;
  };
  std::vector<Layer> layers;
  Tensor final_norm;
};

Tensor make(Backend& b, std::vector<DeviceBuffer>& owner, DType dtype, int64_t rows, int64_t cols, uint32_t seed) {
  owner.push_back(b.allocate(size_t(rows * cols) * dtype_size(dtype)));
  Tensor t = owner.back().as_tensor(dtype, rows, cols);
  std::minstd_rand rng(seed);
  std::uniform_real_distribution<float> dist(-0.05f, 0.05f);
  for (int64_t i = 0; i < rows * cols; ++i) {
    const float v = dist(rng) + (cols == kHidden && rows == 1 ? 1.0f : 0.0f);  // norms near 1
    if (dtype == DType::kF32) {
      t.as<float>()[i] = v;
    } else {
      t.as<uint16_t>()[i] = f32_to_bf16(v);
    }
  }
  return t;
}

void BM_DecodeToken(benchmark::State& state, CpuIsa isa, int threads, int ctx) {
  CpuBackendOptions options;
  options.isa = isa;
  options.num_threads = threads;
  auto backend = make_cpu_backend(options);
  Backend& b = *backend;
  Model m;
  uint32_t seed = 1;
  const int64_t q_dim = kHeads * kHeadDim, kv_dim = kKvHeads * kHeadDim;
  const int blocks = (ctx + 1 + kBlockSize - 1) / kBlockSize;
  m.embed = make(b, m.buffers, DType::kBF16, kVocab, kHidden, seed++);
  for (int l = 0; l < kLayers; ++l) {
    Model::Layer L;
    L.in_norm = make(b, m.buffers, DType::kBF16, 1, kHidden, seed++);
    L.post_norm = make(b, m.buffers, DType::kBF16, 1, kHidden, seed++);
    L.q = make(b, m.buffers, DType::kBF16, q_dim, kHidden, seed++);
    L.k = make(b, m.buffers, DType::kBF16, kv_dim, kHidden, seed++);
    L.v = make(b, m.buffers, DType::kBF16, kv_dim, kHidden, seed++);
    L.q_bias = make(b, m.buffers, DType::kBF16, 1, q_dim, seed++);
    L.k_bias = make(b, m.buffers, DType::kBF16, 1, kv_dim, seed++);
    L.v_bias = make(b, m.buffers, DType::kBF16, 1, kv_dim, seed++);
    L.o = make(b, m.buffers, DType::kBF16, kHidden, q_dim, seed++);
    L.gate = make(b, m.buffers, DType::kBF16, kInter, kHidden, seed++);
    L.up = make(b, m.buffers, DType::kBF16, kInter, kHidden, seed++);
    L.down = make(b, m.buffers, DType::kBF16, kHidden, kInter, seed++);
    L.cache.k = make(b, m.buffers, DType::kF32, int64_t(blocks) * kBlockSize, kv_dim, seed++);
    L.cache.v = make(b, m.buffers, DType::kF32, int64_t(blocks) * kBlockSize, kv_dim, seed++);
    m.layers.push_back(L);
  }
  m.final_norm = make(b, m.buffers, DType::kBF16, 1, kHidden, seed++);

  std::vector<DeviceBuffer> acts;
  Tensor residual = make(b, acts, DType::kF32, 1, kHidden, 90), normed = make(b, acts, DType::kF32, 1, kHidden, 91);
  Tensor block_out = make(b, acts, DType::kF32, 1, kHidden, 92), q = make(b, acts, DType::kF32, 1, q_dim, 93);
  Tensor k = make(b, acts, DType::kF32, 1, kv_dim, 94), v = make(b, acts, DType::kF32, 1, kv_dim, 95);
  Tensor attn = make(b, acts, DType::kF32, 1, q_dim, 96), gate = make(b, acts, DType::kF32, 1, kInter, 97);
  Tensor up = make(b, acts, DType::kF32, 1, kInter, 98), logits = make(b, acts, DType::kF32, 1, kVocab, 99);
  Tensor cos_sin = make(b, acts, DType::kF32, 1, kHeadDim, 100);

  // One sequence of ctx cached tokens plus the new one, blocks in order.
  std::vector<int32_t> query_start = {0, 1}, seq_lens = {ctx + 1}, slot = {ctx};
  std::vector<int32_t> table(static_cast<size_t>(blocks));
  for (int i = 0; i < blocks; ++i) table[size_t(i)] = i;
  AttentionBatch batch;
  batch.num_seqs = 1;
  batch.num_tokens = 1;
  batch.query_start = query_start.data();
  batch.seq_lens = seq_lens.data();
  batch.block_tables = table.data();
  batch.max_blocks_per_seq = blocks;
  batch.slot_mapping = slot.data();
  AttentionShape shape;
  shape.num_heads = kHeads;
  shape.num_kv_heads = kKvHeads;
  shape.head_dim = kHeadDim;
  shape.block_size = kBlockSize;
  shape.scale = 1.0f / std::sqrt(float(kHeadDim));
  const int32_t token = 1234;

  bench::BestIteration best;
  for (auto _ : state) {
    best.start();
    b.embedding(m.embed, &token, residual);
    for (size_t l = 0; l < m.layers.size(); ++l) {
      Model::Layer& L = m.layers[l];
      if (l == 0) {
        b.rms_norm(residual, L.in_norm, 1e-6f, normed);
      } else {
        b.add_rms_norm(residual, block_out, L.in_norm, 1e-6f, normed);
      }
      b.linear(normed, L.q, &L.q_bias, q);
      b.linear(normed, L.k, &L.k_bias, k);
      b.linear(normed, L.v, &L.v_bias, v);
      b.rope(q, kHeadDim, cos_sin);
      b.rope(k, kHeadDim, cos_sin);
      b.write_kv(k, v, batch, L.cache);
      b.attention(q, L.cache, batch, shape, attn);
      b.linear(attn, L.o, nullptr, block_out);
      b.add_rms_norm(residual, block_out, L.post_norm, 1e-6f, normed);
      b.linear(normed, L.gate, nullptr, gate);
      b.linear(normed, L.up, nullptr, up);
      b.silu_mul(gate, up, gate);
      b.linear(gate, L.down, nullptr, block_out);
    }
    b.add(residual, block_out);
    b.rms_norm(residual, m.final_norm, 1e-6f, normed);
    b.linear(normed, m.embed, nullptr, logits);  // tied lm_head
    best.stop();
  }
  const double weight_bytes =
      double(kLayers * (2 * q_dim * kHidden + 2 * kv_dim * kHidden + 3 * kInter * kHidden) + kVocab * kHidden) * 2;
  state.counters["tok/s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["tok/s_best"] = best.rate(1.0);
  state.counters["GB/s_best"] = best.rate(weight_bytes * 1e-9);
}

void register_all() {
  for (CpuIsa isa : {CpuIsa::kAvx512, CpuIsa::kAvx2}) {
    if (int(isa) > int(max_cpu_isa(detect_cpu_features()))) continue;
    for (int threads : {1, 2}) {
      for (int ctx : {128, 1024}) {
        const std::string name = "decode_token/" + std::string(cpu_isa_name(isa)) + "/t" + std::to_string(threads) +
                                 "/ctx" + std::to_string(ctx);
        benchmark::RegisterBenchmark(name.c_str(), BM_DecodeToken, isa, threads, ctx)
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
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
