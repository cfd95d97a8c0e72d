// Times the CUDA backend's ops at Llama-3-8B shapes (hidden 4096, 32 query / 8 KV heads of 128,
// MLP 14336, KV blocks of 16) and prints achieved bandwidth or FLOP rate next to each, so the
// distance to the roofline is visible. Timing is host wall clock around `iters` back-to-back ops
// on the backend's stream, after a warm-up, with a synchronize at each end: launch overhead is
// included (these are the numbers a non-graph forward pass sees).
//
//   bench_cuda_ops [iters]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "backend/cuda/cuda_backend.h"

using namespace turbine;

namespace {

struct Buffer {
  DeviceBuffer mem;
  Tensor t;
};

Buffer make(Backend& b, DType dtype, int64_t rows, int64_t cols) {
  Buffer buf;
  buf.mem = b.allocate(size_t(rows * cols) * dtype_size(dtype));
  buf.t = buf.mem.as_tensor(dtype, rows, cols);
  // Small random-ish BF16 values (never zeros: they can run faster than real data).
  std::vector<uint16_t> host(size_t(rows * cols) * dtype_size(dtype) / 2);
  uint32_t s = 12345;
  for (auto& h : host) {
    s = s * 1664525u + 1013904223u;
    h = f32_to_bf16(float(int(s >> 9) % 2001 - 1000) / 4000.0f);
  }
  b.copy_to_device(buf.mem.data(), host.data(), host.size() * 2);
  return buf;
}

double time_us(Backend& b, int iters, const std::function<void()>& op) {
  op();
  b.synchronize();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) op();
  b.synchronize();
  const auto t1 = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / iters;
}

DeviceBuffer ints(Backend& b, const std::vector<int32_t>& v) {
  DeviceBuffer d = b.allocate(v.size() * 4);
  b.copy_to_device(d.data(), v.data(), v.size() * 4);
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  if (!cuda_device_available()) {
    std::printf("no CUDA device\n");
    return 0;
  }
  const int iters = argc > 1 ? std::atoi(argv[1]) : 20;
  auto backend = make_cuda_backend();
  Backend& b = *backend;
  const int heads = 32, kv_heads = 8, d = 128, bs = 16;
  const int64_t hidden = 4096, ffn = 14336;

  std::printf("%-44s %10s %12s\n", "op", "us", "rate");
  // Linear: M tokens x (K -> N).
  for (int64_t m : {1, 16, 256, 2048}) {
    for (auto [k, n] : std::vector<std::pair<int64_t, int64_t>>{{hidden, hidden}, {hidden, ffn}, {ffn, hidden}}) {
      Buffer x = make(b, DType::kBF16, m, k), w = make(b, DType::kBF16, n, k), out = make(b, DType::kBF16, m, n);
      const double us = time_us(b, iters, [&] { b.linear(x.t, w.t, nullptr, out.t); });
      const double bytes = double(n * k + m * k + m * n) * 2;
      std::printf("linear m=%-5lld k=%-5lld n=%-5lld %14.1f %7.0f TFLOP/s %6.0f GB/s\n", (long long)m, (long long)k,
                  (long long)n, us, 2.0 * m * n * k / us * 1e-6, bytes / us * 1e-3);
    }
  }
  // Memory-bound elementwise ops at 2048 tokens.
  {
    const int64_t m = 2048;
    Buffer x = make(b, DType::kBF16, m, hidden), r = make(b, DType::kBF16, m, hidden), o = make(b, DType::kBF16, m, hidden);
    Buffer w = make(b, DType::kBF16, 1, hidden);
    double us = time_us(b, iters, [&] { b.rms_norm(x.t, w.t, 1e-5f, o.t); });
    std::printf("%-44s %10.1f %8.0f GB/s\n", "rms_norm 2048x4096", us, 2.0 * m * hidden * 2 / us * 1e-3);
    us = time_us(b, iters, [&] { b.add_rms_norm(r.t, x.t, w.t, 1e-5f, o.t); });
    std::printf("%-44s %10.1f %8.0f GB/s\n", "add_rms_norm 2048x4096", us, 4.0 * m * hidden * 2 / us * 1e-3);
    Buffer g = make(b, DType::kBF16, m, ffn), u = make(b, DType::kBF16, m, ffn);
    us = time_us(b, iters, [&] { b.silu_mul(g.t, u.t, g.t); });
    std::printf("%-44s %10.1f %8.0f GB/s\n", "silu_mul 2048x14336", us, 3.0 * m * ffn * 2 / us * 1e-3);
  }
  // Attention: decode batches (one query per sequence) and one long prefill.
  for (auto [batch, ctx, q_len] : std::vector<std::tuple<int, int, int>>{
           {1, 1024, 1}, {1, 8192, 1}, {8, 4096, 1}, {64, 1024, 1}, {64, 4096, 1}, {256, 1024, 1}, {1, 2048, 2048}}) {
    const int blocks_per_seq = (ctx + bs - 1) / bs;
    const int64_t rows = int64_t(batch) * blocks_per_seq * bs;
    Buffer kc = make(b, DType::kBF16, rows, kv_heads * d), vc = make(b, DType::kBF16, rows, kv_heads * d);
    const int tokens = batch * q_len;
    Buffer q = make(b, DType::kBF16, tokens, heads * d), out = make(b, DType::kBF16, tokens, heads * d);
    std::vector<int32_t> qs(1, 0), lens, table;
    for (int s = 0; s < batch; ++s) {
      qs.push_back(qs.back() + q_len);
      lens.push_back(ctx);
      for (int i = 0; i < blocks_per_seq; ++i) table.push_back(s * blocks_per_seq + i);
    }
    DeviceBuffer dqs = ints(b, qs), dlens = ints(b, lens), dtable = ints(b, table);
    AttentionBatch ab;
    ab.num_seqs = batch;
    ab.num_tokens = tokens;
    ab.query_start = static_cast<const int32_t*>(dqs.data());
    ab.seq_lens = static_cast<const int32_t*>(dlens.data());
    ab.block_tables = static_cast<const int32_t*>(dtable.data());
    ab.max_blocks_per_seq = blocks_per_seq;
    AttentionShape shape{heads, kv_heads, d, bs, 0.0883883f, 0};
    KvCacheLayer cache{kc.t, vc.t};
    const double us = time_us(b, q_len > 1 ? 3 : iters, [&] { b.attention(q.t, cache, ab, shape, out.t); });
    char name[64];
    std::snprintf(name, sizeof name, "attention batch=%d ctx=%d q_len=%d", batch, ctx, q_len);
    if (q_len == 1) {
      std::printf("%-44s %10.1f %8.0f GB/s (K+V read once)\n", name, us, 2.0 * batch * ctx * kv_heads * d * 2 / us * 1e-3);
    } else {
      std::printf("%-44s %10.1f %8.1f TFLOP/s (causal)\n", name, us,
                  4.0 * heads * d * double(q_len) * q_len / 2 / us * 1e-6);
    }
  }
  return 0;
}
