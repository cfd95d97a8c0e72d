// Times the CUDA backend's ops at Llama-3-8B shapes (hidden 4096, 32 query / 8 KV heads of 128,
// MLP 14336, KV blocks of 16) and prints achieved bandwidth or FLOP rate next to each, so the
// distance to the roofline is visible. Timing is host wall clock around `iters` back-to-back ops
// on the backend's stream, after a warm-up, with a synchronize at each end: launch overhead is
// included (these are the numbers a non-graph forward pass sees). Attention also times its
// kernels alone through CUDA graphs (bench_attention below says how), comparable with
// bench/cuda/sdpa_baseline.py (PyTorch's scaled_dot_product_attention at the same shapes).
//
//   bench_cuda_ops [iters] [attention]     (the second argument: the attention section alone)
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "backend/cuda/attention/paged_attention.h"
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

void bench_linear_and_elementwise(Backend& b, int iters) {
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
    us = time_us(b, iters, [&] { b.gelu_tanh_mul(g.t, u.t, g.t); });
    std::printf("%-44s %10.1f %8.0f GB/s\n", "gelu_tanh_mul 2048x14336", us, 3.0 * m * ffn * 2 / us * 1e-3);
    // Gemma's final-logit soft-cap over F32 logits: 32 rows of a 256000-token vocabulary.
    const int64_t rows = 32, vocab = 256000;
    Buffer logits = make(b, DType::kF32, rows, vocab);
    us = time_us(b, iters, [&] { b.softcap(logits.t, 30.0f); });
    std::printf("%-44s %10.1f %8.0f GB/s\n", "softcap f32 32x256000", us, 2.0 * rows * vocab * 4 / us * 1e-3);
  }
}

// Paged attention at Llama-3-8B shapes (32 query / 8 KV heads of 128, KV blocks of 16). Two
// timings per case:
//  - "kernel us": the launcher's kernels alone (attention + split merge, planned as the backend
//    plans), 20+ launches captured in a CUDA graph and replayed, timed with events, the K/V cache
//    rotated over enough disjoint copies (>= 512 MB in all) that it is not L2-resident. The same
//    method as sdpa_baseline.py, so the two tables compare.
//  - "op us": the backend op's host wall clock per call (launch overhead included: what a forward
//    pass without graphs sees), one cache copy.
// TFLOP/s counts the useful work, 4 * heads * head_dim per (query, key) pair it attends (causal
// pairs only); GB/s counts K and V read once plus q and out.
void cuda_ok(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    std::fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(status));
    std::exit(1);
  }
}

// Non-zero BF16 values in every element: a random 16 MB pattern, replicated on the device.
void fill(Backend& b, DeviceBuffer& buf) {
  const size_t elems = buf.bytes() / 2, chunk = std::min<size_t>(elems, size_t(8) << 20);
  std::vector<uint16_t> host(chunk);
  uint32_t s = 777;
  for (auto& h : host) {
    s = s * 1664525u + 1013904223u;
    h = f32_to_bf16(float(int(s >> 9) % 2001 - 1000) / 1000.0f);
  }
  b.copy_to_device(buf.data(), host.data(), chunk * 2);
  for (size_t done = chunk; done < elems;) {
    const size_t n = std::min(done, elems - done);
    cuda_ok(cudaMemcpy(static_cast<uint16_t*>(buf.data()) + done, buf.data(), n * 2, cudaMemcpyDeviceToDevice), "fill");
    done += n;
  }
}

void bench_attention(Backend& b, int iters) {
  using namespace turbine::cuda;
  const int heads = 32, kv_heads = 8, d = 128, bs = 16;
  int device = 0, num_sms = 0;
  cuda_ok(cudaGetDevice(&device), "cudaGetDevice");
  cuda_ok(cudaDeviceGetAttribute(&num_sms, cudaDevAttrMultiProcessorCount, device), "multiprocessors");
  cudaStream_t stream;
  cuda_ok(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "stream");
  cudaEvent_t start, stop;
  cuda_ok(cudaEventCreate(&start), "event");
  cuda_ok(cudaEventCreate(&stop), "event");
  DeviceBuffer error_mem = b.allocate(64);
  const DeviceErrorSink errors{static_cast<int32_t*>(error_mem.data()),
                               reinterpret_cast<DeviceErrorRecord*>(static_cast<char*>(error_mem.data()) + 16)};
  DeviceBuffer workspace = b.allocate(paged_attention_max_workspace_bytes(1 << 20, heads, d, num_sms));

  struct Case {
    int batch, ctx, q_len;
  };
  const Case cases[] = {{1, 1024, 1},    {1, 8192, 1},       {8, 4096, 1},       {64, 1024, 1}, {64, 4096, 1},
                        {256, 1024, 1},  {1, 2048, 2048},    {4, 1024, 1024},    {1, 4096, 512}};
  std::printf("\n%-38s %6s %6s %10s %9s %8s %9s\n", "attention 32/8 heads d=128 bs=16", "path", "splits",
              "kernel us", "TFLOP/s", "GB/s", "op us");
  for (const Case& c : cases) {
    const int bps = (c.ctx + bs - 1) / bs;
    const int tokens = c.batch * c.q_len;
    const double kv_bytes = 2.0 * c.batch * c.ctx * kv_heads * d * 2;
    const int copies = int(std::clamp(std::ceil(512e6 / kv_bytes), 1.0, 64.0));
    const int64_t cache_rows = int64_t(copies) * c.batch * bps * bs;
    DeviceBuffer kc = b.allocate(size_t(cache_rows) * kv_heads * d * 2), vc = b.allocate(kc.bytes());
    DeviceBuffer q = b.allocate(size_t(tokens) * heads * d * 2), out = b.allocate(q.bytes());
    fill(b, kc), fill(b, vc), fill(b, q);
    std::vector<int32_t> qs(1, 0), lens;
    for (int s = 0; s < c.batch; ++s) qs.push_back(qs.back() + c.q_len), lens.push_back(c.ctx);
    DeviceBuffer dqs = ints(b, qs), dlens = ints(b, lens);
    std::vector<DeviceBuffer> tables;
    std::vector<PagedAttentionParams> params;
    for (int copy = 0; copy < copies; ++copy) {
      std::vector<int32_t> table;
      for (int s = 0; s < c.batch; ++s)
        for (int i = 0; i < bps; ++i) table.push_back((copy * c.batch + s) * bps + i);
      tables.push_back(ints(b, table));
      PagedAttentionParams p;
      p.q = q.data(), p.out = out.data(), p.k_cache = kc.data(), p.v_cache = vc.data();
      p.query_start = static_cast<const int32_t*>(dqs.data());
      p.seq_lens = static_cast<const int32_t*>(dlens.data());
      p.block_tables = static_cast<const int32_t*>(tables.back().data());
      p.num_seqs = c.batch, p.num_tokens = tokens, p.max_blocks_per_seq = bps, p.block_size = bs;
      p.num_blocks = cache_rows / bs, p.num_heads = heads, p.num_kv_heads = kv_heads, p.head_dim = d;
      p.scale = 0.0883883f;
      plan_paged_attention(p, int64_t(bps) * bs, num_sms, 0);
      if (paged_attention_workspace_bytes(p) > workspace.bytes()) {
        std::fprintf(stderr, "workspace bound broken\n");
        std::exit(1);
      }
      p.workspace = static_cast<float*>(workspace.data());
      params.push_back(p);
    }
    const int n = std::max(20, copies);
    launch_paged_attention(params[0], errors, stream);  // first launch: kernel attributes
    cuda_ok(cudaStreamSynchronize(stream), "warm-up");
    cudaGraph_t graph;
    cudaGraphExec_t exec;
    cuda_ok(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal), "capture");
    for (int i = 0; i < n; ++i) launch_paged_attention(params[size_t(i % copies)], errors, stream);
    cuda_ok(cudaStreamEndCapture(stream, &graph), "end capture");
    cuda_ok(cudaGraphInstantiate(&exec, graph, 0), "instantiate");
    cuda_ok(cudaGraphLaunch(exec, stream), "replay");
    std::vector<float> per_launch;
    for (int r = 0; r < 5; ++r) {
      cuda_ok(cudaEventRecord(start, stream), "record");
      cuda_ok(cudaGraphLaunch(exec, stream), "replay");
      cuda_ok(cudaEventRecord(stop, stream), "record");
      cuda_ok(cudaEventSynchronize(stop), "sync");
      float ms = 0;
      cuda_ok(cudaEventElapsedTime(&ms, start, stop), "elapsed");
      per_launch.push_back(ms * 1000.0f / float(n));
    }
    std::sort(per_launch.begin(), per_launch.end());
    const double us = per_launch[per_launch.size() / 2];
    cuda_ok(cudaGraphExecDestroy(exec), "graph");
    cuda_ok(cudaGraphDestroy(graph), "graph");

    // The backend op, host wall clock.
    AttentionBatch ab;
    ab.num_seqs = c.batch;
    ab.num_tokens = tokens;
    ab.query_start = params[0].query_start;
    ab.seq_lens = params[0].seq_lens;
    ab.block_tables = params[0].block_tables;
    ab.max_blocks_per_seq = bps;
    const AttentionShape shape{heads, kv_heads, d, bs, 0.0883883f, 0};
    KvCacheLayer cache{kc.as_tensor(DType::kBF16, cache_rows, kv_heads * d), vc.as_tensor(DType::kBF16, cache_rows, kv_heads * d)};
    const Tensor qt = q.as_tensor(DType::kBF16, tokens, heads * d);
    Tensor ot = out.as_tensor(DType::kBF16, tokens, heads * d);
    const double op_us = time_us(b, c.q_len > 1 ? 5 : iters, [&] { b.attention(qt, cache, ab, shape, ot); });

    // Useful work: query j of a sequence attends ctx - q_len + j + 1 keys.
    const double pairs = double(c.batch) * (double(c.q_len) * (c.ctx - c.q_len) + 0.5 * c.q_len * (c.q_len + 1.0));
    const double flops = 4.0 * heads * d * pairs;
    const double bytes = kv_bytes + 2.0 * tokens * heads * d * 2;
    const char* path = params[0].path == PagedAttentionPath::kFlashDecode    ? "decode"
                       : params[0].path == PagedAttentionPath::kFlashPrefill ? "prefill"
                                                                              : "simt";
    char name[64];
    std::snprintf(name, sizeof name, "batch=%d ctx=%d q_len=%d", c.batch, c.ctx, c.q_len);
    std::printf("%-38s %6s %6d %10.1f %9.1f %8.0f %9.1f\n", name, path, params[0].num_splits, us, flops / us * 1e-6,
                bytes / us * 1e-3, op_us);
  }
  cuda_ok(cudaEventDestroy(start), "event");
  cuda_ok(cudaEventDestroy(stop), "event");
  cuda_ok(cudaStreamDestroy(stream), "stream");
}

}  // namespace

int main(int argc, char** argv) {
  if (!cuda_device_available()) {
    std::printf("no CUDA device\n");
    return 0;
  }
  const int iters = argc > 1 ? std::atoi(argv[1]) : 20;
  const std::string only = argc > 2 ? argv[2] : "";  // "attention": that section alone
  auto backend = make_cuda_backend();
  Backend& b = *backend;
  if (only.empty()) bench_linear_and_elementwise(b, iters);
  if (only.empty() || only == "attention") bench_attention(b, iters);
  return 0;
}
