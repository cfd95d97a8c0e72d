// The GEMV kernel (backend/cuda/linear/gemv.h) against cuBLASLt at decode sizes, m = 1..16 rows
// of x, on Llama-3.1-8B's projection shapes, as a fraction of the device-to-device copy bandwidth
// measured in the same run (cudaMemcpy of a 1 GiB buffer, bytes read + bytes written).
//
// Realistic numbers: a decode step reads each weight once and the next layer's weight is a
// different one, so every timed sequence cycles through distinct weight buffers totalling at least
// 4x the L2 (a 1.2 GB pool cut into weight-sized slices) and no weight is in L2 when it is read.
// Each sequence of calls is captured into a CUDA graph and replayed, timed with CUDA events
// (median of several replays): that is device time per call with the launch gaps of a graph,
// which is how a decode step will run. The same calls launched one by one on the stream (no
// graph) are shown too. Bytes counted: weight + x + out, each once.
//
// Every configuration compiled into gemv.cu is timed (the sweep table, for choosing the launcher's
// heuristic), and checked against cuBLASLt's output on the same inputs. "+bias_add" alternates
// each linear with a small elementwise kernel (the backend's bias_add over out), as a decode step
// alternates GEMMs with norms and activations: us per (linear, bias_add) pair.
//
//   bench_gemv [reps]
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "backend/cuda/linear/bias_add.h"
#include "backend/cuda/linear/cublaslt_linear.h"
#include "backend/cuda/linear/gemv.h"
#include "common/dtype.h"
#include "common/tensor.h"

using namespace turbine;

namespace {

#define CHECK(call)                                                                                  \
  do {                                                                                               \
    const cudaError_t status_ = (call);                                                              \
    if (status_ != cudaSuccess) {                                                                    \
      std::fprintf(stderr, "%s failed: %s (%s:%d)\n", #call, cudaGetErrorString(status_), __FILE__, __LINE__); \
      std::exit(1);                                                                                  \
    }                                                                                                \
  } while (0)

int g_reps = 7;

struct Shape {
  const char* name;
  int64_t k, n;
  DType out;
};

// Small random-ish BF16 values, never zeros (zeros can run faster than real data).
std::vector<uint16_t> pattern(size_t count, uint32_t seed) {
  std::vector<uint16_t> host(count);
  uint32_t s = seed;
  for (auto& h : host) {
    s = s * 1664525u + 1013904223u;
    h = f32_to_bf16(float(int(s >> 9) % 2001 - 1000) / 4000.0f);
  }
  return host;
}

void* device_random(size_t bytes, uint32_t seed) {
  void* p = nullptr;
  CHECK(cudaMalloc(&p, bytes));
  const auto host = pattern(bytes / 2, seed);
  CHECK(cudaMemcpy(p, host.data(), bytes, cudaMemcpyHostToDevice));
  return p;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Microseconds per call: `calls` calls (call(i) for i in [0, calls)) captured into a graph and
// replayed g_reps times, or launched directly when graph is false.
double time_calls(cudaStream_t stream, int calls, const std::function<void(int)>& call, bool graph) {
  for (int i = 0; i < calls; ++i) call(i);  // warm-up: plans, module load, first touch
  CHECK(cudaStreamSynchronize(stream));
  cudaGraphExec_t exec = nullptr;
  if (graph) {
    cudaGraph_t g = nullptr;
    CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
    for (int i = 0; i < calls; ++i) call(i);
    CHECK(cudaStreamEndCapture(stream, &g));
    CHECK(cudaGraphInstantiate(&exec, g, 0));
    CHECK(cudaGraphDestroy(g));
    CHECK(cudaGraphLaunch(exec, stream));
    CHECK(cudaStreamSynchronize(stream));
  }
  cudaEvent_t start, stop;
  CHECK(cudaEventCreate(&start));
  CHECK(cudaEventCreate(&stop));
  std::vector<double> us;
  for (int r = 0; r < g_reps; ++r) {
    CHECK(cudaEventRecord(start, stream));
    if (graph) {
      CHECK(cudaGraphLaunch(exec, stream));
    } else {
      for (int i = 0; i < calls; ++i) call(i);
    }
    CHECK(cudaEventRecord(stop, stream));
    CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    CHECK(cudaEventElapsedTime(&ms, start, stop));
    us.push_back(1e3 * ms / calls);
  }
  CHECK(cudaEventDestroy(start));
  CHECK(cudaEventDestroy(stop));
  if (exec) CHECK(cudaGraphExecDestroy(exec));
  return median(us);
}

std::vector<float> download(const Tensor& t) {
  std::vector<float> v(size_t(t.numel()));
  if (t.dtype == DType::kF32) {
    CHECK(cudaMemcpy(v.data(), t.data, t.nbytes(), cudaMemcpyDeviceToHost));
  } else {
    std::vector<uint16_t> h(v.size());
    CHECK(cudaMemcpy(h.data(), t.data, t.nbytes(), cudaMemcpyDeviceToHost));
    for (size_t i = 0; i < v.size(); ++i) v[i] = bf16_to_f32(h[i]);
  }
  return v;
}

// max |a - b| over max |b|: ~2^-8 for two correct BF16 results, 1 or NaN for a broken one.
double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(double(a[i]) - b[i]);
    diff = std::isnan(d) ? INFINITY : std::max(diff, d);
    scale = std::max(scale, std::fabs(double(b[i])));
  }
  return diff / std::max(scale, 1e-30);
}

std::string config_name(const cuda::GemvConfig& c) {
  char name[32];
  std::snprintf(name, sizeof name, "u%dw%d%s", c.unroll, c.warps, c.l2_prefetch ? "p" : "");
  return name;
}

}  // namespace

int main(int argc, char** argv) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    std::printf("no CUDA device\n");
    return 0;
  }
  if (argc > 1) g_reps = std::max(1, std::atoi(argv[1]));
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, 0));
  cudaStream_t stream;
  CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));

  // The ceiling: a 1 GiB device-to-device copy, bytes read + written.
  double copy_gbs = 0;
  {
    const size_t bytes = size_t(1) << 30;
    void *a = nullptr, *b = nullptr;
    CHECK(cudaMalloc(&a, bytes));
    CHECK(cudaMalloc(&b, bytes));
    CHECK(cudaMemset(a, 1, bytes));
    const double us = time_calls(stream, 4, [&](int) { CHECK(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice, stream)); }, false);
    copy_gbs = 2.0 * bytes / us * 1e-3;
    CHECK(cudaFree(a));
    CHECK(cudaFree(b));
  }
  std::printf("device: %s, %d SMs, L2 %d MB; D2D copy (1 GiB, read+write): %.0f GB/s\n", prop.name,
              prop.multiProcessorCount, prop.l2CacheSize >> 20, copy_gbs);

  const std::vector<Shape> shapes = {
      {"o_proj 4096->4096", 4096, 4096, DType::kBF16},    {"kv 4096->1024", 4096, 1024, DType::kBF16},
      {"qkv 4096->6144", 4096, 6144, DType::kBF16},       {"up 4096->14336", 4096, 14336, DType::kBF16},
      {"gate_up 4096->28672", 4096, 28672, DType::kBF16}, {"down 14336->4096", 14336, 4096, DType::kBF16},
      {"lm_head 4096->128256 F32", 4096, 128256, DType::kF32},
  };
  const int64_t ms[] = {1, 2, 4, 8, 16};
  size_t max_weight = 0;
  for (const Shape& s : shapes) max_weight = std::max(max_weight, size_t(s.n * s.k * 2));
  const size_t pool_bytes = std::max(max_weight, size_t(4) * size_t(prop.l2CacheSize));
  char* pool = static_cast<char*>(device_random(pool_bytes, 7));
  void* xbuf = device_random(size_t(16) * 14336 * 2, 11);
  void* obuf = nullptr;
  CHECK(cudaMalloc(&obuf, size_t(16) * 128256 * 4));
  void* bias = device_random(size_t(128256) * 2, 13);
  cuda::CublasLtLinear lt;
  const auto configs = cuda::gemv_configs();

  struct Row {
    std::string shape;
    int64_t m;
    double gemv_us, lt_us, gemv_stream_us, lt_stream_us, best_us, bytes, diff, pair_gemv_us, pair_lt_us;
    std::string best;
  };
  std::vector<Row> rows;
  std::printf("\nsweep: us per call (graph replay, weights cycled) for each gemv config; diff = worst max|gemv - "
              "cuBLASLt| / max|cuBLASLt| over configs\n%-26s %3s", "shape", "m");
  for (const auto& c : configs) std::printf(" %7s", config_name(c).c_str());
  std::printf(" %8s %8s\n", "cublasLt", "diff");
  for (const Shape& s : shapes) {
    const size_t wbytes = size_t(s.n * s.k * 2);
    const int nbuf = int(pool_bytes / wbytes);
    const int calls = int(std::clamp<int64_t>(int64_t(4e9 / double(wbytes)), 4, 512));
    std::vector<Tensor> weights;
    for (int i = 0; i < nbuf; ++i) weights.push_back({pool + size_t(i) * wbytes, DType::kBF16, s.n, s.k});
    for (int64_t m : ms) {
      const Tensor x{xbuf, DType::kBF16, m, s.k};
      Tensor out{obuf, s.out, m, s.n};
      const double bytes = double(wbytes) + double(m * s.k * 2) + double(out.nbytes());
      Row row{s.name, m};
      row.bytes = bytes;
      // Reference output (cuBLASLt) on weight 0.
      lt.run_cublaslt(x, weights[0], nullptr, out, stream);
      CHECK(cudaStreamSynchronize(stream));
      const std::vector<float> ref = download(out);
      row.diff = 0;
      std::printf("%-26s %3lld", s.name, (long long)m);
      row.best_us = 1e30;
      for (const auto& c : configs) {
        CHECK(cudaMemsetAsync(out.data, 0xff, out.nbytes(), stream));
        cuda::launch_gemv(x, weights[0], nullptr, out, stream, &c);
        CHECK(cudaStreamSynchronize(stream));
        row.diff = std::max(row.diff, relative_difference(download(out), ref));
        const double us = time_calls(
            stream, calls,
            [&](int i) { cuda::launch_gemv(x, weights[size_t(i % nbuf)], nullptr, out, stream, &c); }, true);
        std::printf(" %7.2f", us);
        if (us < row.best_us) row.best_us = us, row.best = config_name(c);
      }
      const auto gemv = [&](int i) { cuda::launch_gemv(x, weights[size_t(i % nbuf)], nullptr, out, stream); };
      const auto cublas = [&](int i) { lt.run_cublaslt(x, weights[size_t(i % nbuf)], nullptr, out, stream); };
      const auto with_bias_add = [&](const std::function<void(int)>& op) {
        return [&, op](int i) {
          op(i);
          cuda::launch_bias_add(out.data, out.dtype, bias, DType::kBF16, m, s.n, stream);
        };
      };
      row.gemv_us = time_calls(stream, calls, gemv, true);
      row.lt_us = time_calls(stream, calls, cublas, true);
      row.gemv_stream_us = time_calls(stream, calls, gemv, false);
      row.lt_stream_us = time_calls(stream, calls, cublas, false);
      row.pair_gemv_us = time_calls(stream, calls, with_bias_add(gemv), true);
      row.pair_lt_us = time_calls(stream, calls, with_bias_add(cublas), true);
      std::printf(" %8.2f %8.4f%s\n", row.lt_us, row.diff, row.diff > 0.02 ? "  MISMATCH" : "");
      rows.push_back(row);
    }
  }

  std::printf("\n%s, D2D copy %.0f GB/s. us per call, graph replay over distinct weights (> 4x L2); GB/s and "
              "%%copy (of the copy's GB/s) count weight + x + out once.\nGEMV = launch_gemv's default config; best = "
              "fastest config of the sweep; +bias_add: us per (linear, bias_add) pair; strm = no graph\n",
              prop.name, copy_gbs);
  std::printf("%-24s %2s | %7s %5s %5s | %8s %5s %5s | %5s | %-7s %5s | %-13s | %-11s\n", "shape", "m", "GEMV", "GB/s",
              "%copy", "cuBLASLt", "GB/s", "%copy", "xLt", "best", "%copy", "+bias_add G/Lt", "strm G/Lt");
  for (const Row& r : rows) {
    const auto gbs = [&](double us) { return r.bytes / us * 1e-3; };
    const auto pct = [&](double us) { return 100 * gbs(us) / copy_gbs; };
    std::printf("%-24s %2lld | %7.2f %5.0f %4.1f%% | %8.2f %5.0f %4.1f%% | %4.2fx | %-7s %4.1f%% | %6.2f %6.2f | "
                "%5.1f %5.1f%s\n",
                r.shape.c_str(), (long long)r.m, r.gemv_us, gbs(r.gemv_us), pct(r.gemv_us), r.lt_us, gbs(r.lt_us),
                pct(r.lt_us), r.lt_us / r.gemv_us, r.best.c_str(), pct(r.best_us), r.pair_gemv_us, r.pair_lt_us,
                r.gemv_stream_us, r.lt_stream_us, r.diff > 0.02 ? " MISMATCH" : "");
  }
  CHECK(cudaFree(pool));
  CHECK(cudaFree(xbuf));
  CHECK(cudaFree(obuf));
  CHECK(cudaFree(bias));
  CHECK(cudaStreamDestroy(stream));
  return 0;
}
