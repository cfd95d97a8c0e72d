// Times the GPU sampler (backend/cuda/sampling/gpu_sampler.h) at decode shapes: 256 rows x 128256
// (Llama 3's vocabulary) by default, for each sampling configuration the engine will see, on two
// logit distributions:
//   peaked  bulk N(0, 2) plus, per row, one token at 12..20 and ten at 10..16 (a language
//           model's usual shape: the nucleus is small, from 1 to a few hundred tokens);
//   flat    bulk N(0, 2) only (a very uncertain step: the top-p nucleus holds thousands of
//           tokens, which sends top-p through the refinement passes).
// Each launch is timed alone with CUDA events, after a device-to-device copy restores the
// pristine logits (the kernel applies penalties in place); the copy also leaves the L2 cache as
// the LM head's GEMM would, full of the freshly written logits. Prints the mean and best time,
// the effective read rate (rows * vocab * 4 bytes / time) and which kernel paths the rows took.
//
//   bench_sampling [rows] [vocab] [iters]
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "backend/cuda/sampling/gpu_sampler.h"

using namespace turbine;
using namespace turbine::cuda;

namespace {

#define CHECK(call)                                                                              \
  do {                                                                                           \
    const cudaError_t e_ = (call);                                                               \
    if (e_ != cudaSuccess) {                                                                     \
      std::fprintf(stderr, "%s failed: %s (%s:%d)\n", #call, cudaGetErrorString(e_), __FILE__, __LINE__); \
      std::exit(1);                                                                              \
    }                                                                                            \
  } while (0)

template <class T>
T* device_copy(const std::vector<T>& v) {
  T* p = nullptr;
  CHECK(cudaMalloc(&p, std::max<size_t>(v.size(), 1) * sizeof(T)));
  if (!v.empty()) CHECK(cudaMemcpy(p, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice));
  return p;
}

// A fast deterministic generator (xorshift) and an approximate normal (sum of 4 uniforms).
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  uint32_t next() {
    s ^= s << 13, s ^= s >> 7, s ^= s << 17;
    return uint32_t(s >> 32);
  }
  float uniform() { return float(next() >> 8) * (1.0f / 16777216.0f); }
  float normal() { return (uniform() + uniform() + uniform() + uniform() - 2.0f) * 1.7320508f; }
};

std::vector<float> make_logits(int rows, int vocab, bool peaked) {
  std::vector<float> l(size_t(rows) * size_t(vocab));
  for (int r = 0; r < rows; ++r) {
    Rng rng(uint64_t(r) + (peaked ? 1000 : 0));
    float* row = l.data() + size_t(r) * size_t(vocab);
    for (int i = 0; i < vocab; ++i) row[i] = 2.0f * rng.normal();
    if (peaked) {
      row[rng.next() % uint32_t(vocab)] = 12.0f + 8.0f * rng.uniform();
      for (int i = 0; i < 10; ++i) row[rng.next() % uint32_t(vocab)] = 10.0f + 6.0f * rng.uniform();
    }
  }
  return l;
}

struct Config {
  std::string name;
  GpuSamplingRow row;
  bool penalties = false;
};

}  // namespace

int main(int argc, char** argv) {
  const int rows = argc > 1 ? std::atoi(argv[1]) : 256;
  const int vocab = argc > 2 ? std::atoi(argv[2]) : 128256;
  const int iters = argc > 3 ? std::atoi(argv[3]) : 20;
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("no CUDA device\n");
    return 0;
  }
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("%s, %d SMs; %d rows x %d vocab (%.1f MB of logits), %d timed launches each\n", prop.name,
              prop.multiProcessorCount, rows, vocab, double(rows) * vocab * 4 / 1e6, iters);

  std::vector<Config> configs;
  auto add = [&](const char* name, auto&& edit, bool penalties = false) {
    GpuSamplingRow r;
    edit(r);
    configs.push_back({name, r, penalties});
  };
  add("greedy", [](GpuSamplingRow& r) { r.temperature = 0.0f; });
  add("greedy + logprobs 20", [](GpuSamplingRow& r) { r.temperature = 0.0f, r.num_logprobs = 20; });
  add("temperature 1", [](GpuSamplingRow& r) { r.temperature = 1.0f; });
  add("top-k 50 (T 0.7)", [](GpuSamplingRow& r) { r.temperature = 0.7f, r.top_k = 50; });
  add("top-p 0.9", [](GpuSamplingRow& r) { r.top_p = 0.9f; });
  add("min-p 0.05", [](GpuSamplingRow& r) { r.min_p = 0.05f; });
  add("top-k 50 + top-p 0.9 + min-p 0.05", [](GpuSamplingRow& r) { r.top_k = 50, r.top_p = 0.9f, r.min_p = 0.05f; });
  add("top-p 0.9 + logprobs 20", [](GpuSamplingRow& r) { r.top_p = 0.9f, r.num_logprobs = 20; });
  add("top-p 0.9 + penalties", [](GpuSamplingRow& r) {
        r.top_p = 0.9f, r.repetition_penalty = 1.1f, r.frequency_penalty = 0.5f, r.presence_penalty = 0.5f;
      }, true);
  add("greedy + penalties", [](GpuSamplingRow& r) {
        r.temperature = 0.0f, r.repetition_penalty = 1.1f, r.frequency_penalty = 0.5f, r.presence_penalty = 0.5f;
      }, true);

  // Penalty inputs: per row 2000 distinct prompt tokens and 200 output tokens (50 of them also in
  // the prompt), 5 biased tokens, 2 suppressed ids.
  std::vector<GpuTokenAdjustment> adjustments;
  std::vector<int32_t> suppressed;
  std::vector<std::pair<int, int>> adj_range, sup_range;
  for (int r = 0; r < rows; ++r) {
    Rng rng(uint64_t(r) + 7);
    std::map<int32_t, GpuTokenAdjustment> m;
    for (int i = 0; i < 2000; ++i) m[int32_t(rng.next() % uint32_t(vocab))].in_prompt = 1;
    for (int i = 0; i < 200; ++i) {
      const int32_t t = i < 50 && !m.empty() ? m.begin()->first + i : int32_t(rng.next() % uint32_t(vocab));
      m[t % vocab].output_count += 1;
    }
    for (int i = 0; i < 5; ++i) m[int32_t(rng.next() % uint32_t(vocab))].bias = 2.0f;
    const int begin = int(adjustments.size());
    for (auto& [t, e] : m) e.token = t, adjustments.push_back(e);
    adj_range.push_back({begin, int(adjustments.size())});
    const int sb = int(suppressed.size());
    suppressed.push_back(int32_t(rng.next() % uint32_t(vocab)));
    suppressed.push_back(int32_t(rng.next() % uint32_t(vocab)));
    sup_range.push_back({sb, int(suppressed.size())});
  }
  GpuTokenAdjustment* d_adj = device_copy(adjustments);
  int32_t* d_sup = device_copy(suppressed);

  const size_t n = size_t(rows) * size_t(vocab);
  float *d_logits = nullptr, *d_lp = nullptr, *d_top_lp = nullptr;
  int32_t *d_tokens = nullptr, *d_top_ids = nullptr;
  GpuSamplingRow* d_rows = nullptr;
  void* d_ws = nullptr;
  CHECK(cudaMalloc(&d_logits, n * 4));
  CHECK(cudaMalloc(&d_lp, size_t(rows) * 4));
  CHECK(cudaMalloc(&d_tokens, size_t(rows) * 4));
  CHECK(cudaMalloc(&d_top_lp, size_t(rows) * kGpuMaxLogprobs * 4));
  CHECK(cudaMalloc(&d_top_ids, size_t(rows) * kGpuMaxLogprobs * 4));
  CHECK(cudaMalloc(&d_rows, size_t(rows) * sizeof(GpuSamplingRow)));
  const size_t ws_bytes = gpu_sampling_workspace_bytes(rows, vocab);
  CHECK(cudaMalloc(&d_ws, ws_bytes));
  cudaStream_t stream;
  CHECK(cudaStreamCreate(&stream));
  cudaEvent_t start, stop;
  CHECK(cudaEventCreate(&start));
  CHECK(cudaEventCreate(&stop));

  std::printf("\n%-36s %-7s %9s %9s %8s  %s\n", "configuration", "logits", "mean us", "best us", "GB/s",
              "paths (bits:rows) / mean passes");
  for (const bool peaked : {true, false}) {
    const std::vector<float> host = make_logits(rows, vocab, peaked);
    float* pristine = device_copy(host);
    for (const Config& c : configs) {
      std::vector<GpuSamplingRow> params(static_cast<size_t>(rows), c.row);
      Rng rng(42);
      for (int r = 0; r < rows; ++r) {
        params[size_t(r)].uniform = double(rng.next()) / 4294967296.0;
        if (c.penalties) {
          params[size_t(r)].adjust_begin = adj_range[size_t(r)].first, params[size_t(r)].adjust_end = adj_range[size_t(r)].second;
          params[size_t(r)].suppress_begin = sup_range[size_t(r)].first, params[size_t(r)].suppress_end = sup_range[size_t(r)].second;
        }
      }
      CHECK(cudaMemcpy(d_rows, params.data(), params.size() * sizeof(GpuSamplingRow), cudaMemcpyHostToDevice));
      GpuSamplingBatch b;
      b.logits = d_logits;
      b.rows = rows;
      b.vocab = vocab;
      b.params = d_rows;
      b.adjustments = d_adj;
      b.suppressed_tokens = d_sup;
      b.out_tokens = d_tokens;
      b.out_logprobs = d_lp;
      b.out_top_ids = d_top_ids;
      b.out_top_logprobs = d_top_lp;
      b.workspace = d_ws;
      double sum = 0.0, best = 1e30;
      for (int it = -3; it < iters; ++it) {
        CHECK(cudaMemcpyAsync(d_logits, pristine, n * 4, cudaMemcpyDeviceToDevice, stream));
        CHECK(cudaEventRecord(start, stream));
        launch_gpu_sampling(b, stream);
        CHECK(cudaEventRecord(stop, stream));
        CHECK(cudaEventSynchronize(stop));
        float ms = 0.0f;
        CHECK(cudaEventElapsedTime(&ms, start, stop));
        if (it >= 0) sum += ms * 1e3, best = std::min(best, double(ms) * 1e3);
      }
      std::vector<GpuSamplingRowStats> stats(static_cast<size_t>(rows));
      CHECK(cudaMemcpy(stats.data(), d_ws, ws_bytes, cudaMemcpyDeviceToHost));
      std::map<int, int> paths;
      double passes = 0.0;
      for (const auto& s : stats) ++paths[s.path], passes += s.passes;
      std::string p;
      for (const auto& [bits, count] : paths) {
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%s0x%x:%d", p.empty() ? "" : " ", bits, count);
        p += buf;
      }
      const double mean = sum / iters;
      std::printf("%-36s %-7s %9.1f %9.1f %8.0f  %s / %.2f\n", c.name.c_str(), peaked ? "peaked" : "flat", mean, best,
                  double(n) * 4 / (mean * 1e3), p.c_str(), passes / rows);
    }
    CHECK(cudaFree(pristine));
  }
  std::printf("\npath bits: 1 greedy, 2 transformed, 4 top-k list, 8 top-k refined, 16 top-p list, "
              "32 top-p refined, 64 tile walk\n");
  return 0;
}
