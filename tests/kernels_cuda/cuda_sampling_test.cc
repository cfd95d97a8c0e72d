// The GPU sampler (backend/cuda/sampling/gpu_sampler.h) against the CPU sampler (runner/sampler.h).
//
// Every row of many random batches is sampled on the GPU through the debug entry point, which
// also returns the row's survivor set (the weight of every token it could have returned) and the
// total the inverse CDF used. Per row:
//  - raw logprobs: the top-N ids equal top_logprobs()'s, values within 1e-5 relative, -1 past
//    the end; the chosen token's logprob equals log_softmax_stats() of the raw row;
//  - greedy rows: the token equals Sampler::sample()'s (transforms on);
//  - sampling rows: the survivor set equals Sampler::candidate_distribution()'s as a set, each
//    probability (weight / total) within 1e-5 relative; and the token equals the id-order
//    inverse CDF over the CPU's distribution at the row's uniform (reference_pick below), unless
//    the uniform lies within 1e-9 of a cumulative boundary (then either side is right).
// Vocabularies 1, 2, 7, 1000, 32000 and 128256 (and 32001 for the unaligned load path); logits
// normal, peaked, all equal, coarsely quantised (ties everywhere), with -inf entries, and huge;
// parameter sets that reach every kernel path (the test checks that each path bit was seen).
//
// The same file also builds against the host emulation of the kernel
// (src/backend/cuda/sampling/emulation), where TS_TEST_SMALL=1 trims the larger vocabularies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "backend/cuda/sampling/gpu_sampler.h"
#include "runner/device_sampling_inputs.h"
#include "runner/random_generator.h"
#include "runner/sampler.h"

namespace turbine::cuda {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

bool have_gpu() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}

class CudaSampling : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!have_gpu()) GTEST_SKIP() << "no CUDA device: the GPU sampler tests need a GPU";
  }
};

#define CUDA_OK(call) ASSERT_EQ((call), cudaSuccess) << #call

template <class T>
struct DeviceArray {
  T* ptr = nullptr;
  size_t n = 0;
  DeviceArray() = default;
  explicit DeviceArray(size_t count) : n(count) {
    EXPECT_EQ(cudaMalloc(reinterpret_cast<void**>(&ptr), std::max<size_t>(count, 1) * sizeof(T)), cudaSuccess);
  }
  explicit DeviceArray(const std::vector<T>& v) : DeviceArray(v.size()) {
    EXPECT_EQ(cudaMemcpy(ptr, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() {
    if (ptr) cudaFree(ptr);
  }
  std::vector<T> download() const {
    std::vector<T> v(n);
    EXPECT_EQ(cudaMemcpy(v.data(), ptr, n * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
    return v;
  }
};

struct Case {
  std::string name;
  std::vector<float> logits;
  SamplingParams params;
  std::vector<int32_t> prompt, output, suppressed;
  double u = 0.5;
  SamplingContext context() const { return {prompt, output, suppressed}; }
};

struct GpuOut {
  std::vector<int32_t> tokens, top_ids;
  std::vector<float> logprobs, top_lps, weights;
  std::vector<double> totals;
  std::vector<GpuSamplingRowStats> stats;
};

// One launch for all cases (same vocabulary).
GpuOut run_gpu(const std::vector<Case>& cases, int vocab) {
  const int rows = int(cases.size());
  DeviceSamplingInputs in;
  std::vector<float> logits;
  logits.reserve(size_t(rows) * size_t(vocab));
  for (const Case& c : cases) {
    in.add_row(c.params, c.context(), c.u);
    logits.insert(logits.end(), c.logits.begin(), c.logits.end());
  }
  DeviceArray<float> d_logits(logits);
  DeviceArray<GpuSamplingRow> d_rows(in.rows);
  DeviceArray<GpuTokenAdjustment> d_adj(in.adjustments);
  DeviceArray<int32_t> d_sup(in.suppressed);
  DeviceArray<int32_t> d_tokens{size_t(rows)}, d_top_ids{size_t(rows) * kGpuMaxLogprobs};
  DeviceArray<float> d_lp{size_t(rows)}, d_top_lp{size_t(rows) * kGpuMaxLogprobs};
  DeviceArray<float> d_w{size_t(rows) * size_t(vocab)};
  DeviceArray<double> d_total{size_t(rows)};
  const size_t ws_bytes = gpu_sampling_workspace_bytes(rows, vocab);
  DeviceArray<GpuSamplingRowStats> d_ws{ws_bytes / sizeof(GpuSamplingRowStats)};

  GpuSamplingBatch b;
  b.logits = d_logits.ptr;
  b.rows = rows;
  b.vocab = vocab;
  b.params = d_rows.ptr;
  b.adjustments = d_adj.ptr;
  b.suppressed_tokens = d_sup.ptr;
  b.out_tokens = d_tokens.ptr;
  b.out_logprobs = d_lp.ptr;
  b.out_top_ids = d_top_ids.ptr;
  b.out_top_logprobs = d_top_lp.ptr;
  b.workspace = d_ws.ptr;
  launch_gpu_sampling_debug(b, GpuSamplingDebug{d_w.ptr, d_total.ptr}, nullptr);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);

  GpuOut out;
  out.tokens = d_tokens.download();
  out.top_ids = d_top_ids.download();
  out.logprobs = d_lp.download();
  out.top_lps = d_top_lp.download();
  out.weights = d_w.download();
  out.totals = d_total.download();
  out.stats = d_ws.download();
  return out;
}

bool close_rel(double actual, double expected, double rel) {
  if (actual == expected) return true;  // also -inf == -inf
  return std::fabs(actual - expected) <= rel * std::fabs(expected);
}

// The id-order inverse CDF over the CPU's candidate distribution: the token whose cumulative
// probability first exceeds u (the last one if rounding leaves none). `ambiguous` is set when u
// lies within 1e-9 of a cumulative boundary.
int32_t reference_pick(std::vector<std::pair<int32_t, double>> dist, double u, bool& ambiguous) {
  std::sort(dist.begin(), dist.end());
  double cum = 0.0;
  ambiguous = false;
  int32_t pick = dist.back().first;
  bool picked = false;
  for (const auto& [id, p] : dist) {
    cum += p;
    if (std::fabs(cum - u) < 1e-9) ambiguous = true;
    if (!picked && cum > u) pick = id, picked = true;
  }
  return pick;
}

// Checks one row; returns false (with failures recorded) on a mismatch.
bool check_row(const Case& c, const GpuOut& g, int row, int vocab) {
  const std::string what = c.name + " (vocab " + std::to_string(vocab) + ", row " + std::to_string(row) + ")";
  const std::span<const float> logits(c.logits);
  bool ok = true;

  // Raw logprobs.
  const LogSoftmaxStats stats = log_softmax_stats(logits);
  const auto top = top_logprobs(logits, stats, c.params.logprobs);
  for (int i = 0; i < kGpuMaxLogprobs; ++i) {
    const int32_t id = g.top_ids[size_t(row) * kGpuMaxLogprobs + i];
    const float lp = g.top_lps[size_t(row) * kGpuMaxLogprobs + i];
    if (size_t(i) < top.size()) {
      if (id != top[i].first || !close_rel(lp, top[i].second, 1e-5)) {
        ADD_FAILURE() << what << ": top logprob " << i << " is (" << id << ", " << lp << "), CPU ("
                      << top[i].first << ", " << top[i].second << ")";
        ok = false;
      }
    } else if (id != -1) {
      ADD_FAILURE() << what << ": top logprob " << i << " should be empty, got id " << id;
      ok = false;
    }
  }
  const int32_t token = g.tokens[size_t(row)];
  if (token < 0 || token >= vocab) {
    ADD_FAILURE() << what << ": token " << token << " out of range";
    return false;
  }
  const float expected_lp = stats.logprob(logits[size_t(token)]);
  if (!close_rel(g.logprobs[size_t(row)], expected_lp, 1e-5)) {
    ADD_FAILURE() << what << ": logprob of token " << token << " is " << g.logprobs[size_t(row)] << ", CPU "
                  << expected_lp;
    ok = false;
  }

  // The distribution: survivors as a set, probabilities.
  Sampler sampler;
  const SamplingContext ctx = c.context();
  const auto dist = sampler.candidate_distribution(logits, c.params, ctx);
  const float* w = g.weights.data() + size_t(row) * size_t(vocab);
  const double total = g.totals[size_t(row)];
  size_t gpu_count = 0;
  for (int i = 0; i < vocab; ++i) gpu_count += w[i] > 0.0f;
  int reported = 0;
  if (gpu_count != dist.size()) {
    ADD_FAILURE() << what << ": GPU keeps " << gpu_count << " tokens, CPU " << dist.size();
    ok = false;
  }
  for (const auto& [id, p] : dist) {
    const double gp = double(w[id]) / total;
    if (!(w[id] > 0.0f) || !close_rel(gp, p, 1e-5)) {
      if (reported++ < 5) ADD_FAILURE() << what << ": token " << id << " has GPU probability " << gp << ", CPU " << p;
      ok = false;
    }
  }

  // The token.
  if (c.params.is_greedy()) {
    RandomGenerator rng(1);
    const SampleResult r = sampler.sample(logits, c.params, ctx, rng);
    if (token != r.token) {
      ADD_FAILURE() << what << ": greedy token " << token << ", CPU " << r.token;
      ok = false;
    }
  } else {
    bool ambiguous = false;
    const int32_t expected = reference_pick(dist, c.u, ambiguous);
    if (token != expected && !ambiguous) {
      ADD_FAILURE() << what << ": picked " << token << " at u = " << c.u << ", id-order inverse CDF gives " << expected;
      ok = false;
    }
  }
  return ok;
}

// -- case generation ----------------------------------------------------------------------------

enum class Shape { kNormal, kPeaked, kFlat, kQuantised, kBanned, kHuge, kWideLm };
const char* shape_name(Shape s) {
  switch (s) {
    case Shape::kNormal: return "normal";
    case Shape::kPeaked: return "peaked";
    case Shape::kFlat: return "flat";
    case Shape::kQuantised: return "quantised";
    case Shape::kBanned: return "banned";
    case Shape::kHuge: return "huge";
    case Shape::kWideLm: return "wide";
  }
  return "?";
}

std::vector<float> make_logits(Shape shape, int vocab, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> pick(0, vocab - 1);
  std::vector<float> l(static_cast<size_t>(vocab));
  switch (shape) {
    case Shape::kNormal:
      for (float& v : l) v = 2.0f * normal(rng);
      break;
    case Shape::kPeaked:
      for (float& v : l) v = 1.5f * normal(rng);
      for (int i = 0; i < 8; ++i) l[size_t(pick(rng))] = 12.0f + float(i);
      break;
    case Shape::kFlat:
      for (float& v : l) v = 0.0f;
      break;
    case Shape::kQuantised:
      for (float& v : l) v = std::round(3.0f * normal(rng)) * 0.5f;
      break;
    case Shape::kBanned: {
      std::uniform_real_distribution<float> unit(0.0f, 1.0f);
      for (float& v : l) v = unit(rng) < 0.3f ? kNegInf : 2.0f * normal(rng);
      l[size_t(pick(rng))] = 1.0f;  // at least one finite
      break;
    }
    case Shape::kHuge: {
      std::uniform_real_distribution<float> unit(0.0f, 1.0f);
      for (float& v : l) {
        const float r = unit(rng);
        v = r < 0.05f ? -3e38f : (r < 0.1f ? -1e30f : 30.0f * normal(rng));
      }
      break;
    }
    case Shape::kWideLm:
      for (float& v : l) v = 3.0f * normal(rng) - 5.0f;
      for (int i = 0; i < 3; ++i) l[size_t(pick(rng))] = 9.0f + float(i);
      break;
  }
  return l;
}

struct ParamSet {
  const char* name;
  SamplingParams p;
  bool penalties = false;
};

std::vector<ParamSet> param_sets(int vocab) {
  std::vector<ParamSet> sets;
  auto add = [&](const char* name, auto&& edit, bool penalties = false) {
    SamplingParams p;
    edit(p);
    sets.push_back({name, p, penalties});
  };
  add("greedy", [](SamplingParams& p) { p.temperature = 0.0f, p.logprobs = 20; });
  add("greedy-lp3", [](SamplingParams& p) { p.temperature = 0.0f, p.logprobs = 3; });
  add("temperature", [](SamplingParams& p) { p.temperature = 1.0f, p.logprobs = 5; });
  add("topk50", [](SamplingParams& p) { p.temperature = 0.7f, p.top_k = 50; });
  add("topk1", [](SamplingParams& p) { p.top_k = 1; });
  add("topk-half", [vocab](SamplingParams& p) { p.top_k = std::max(1, vocab / 2); });
  add("topk1500", [](SamplingParams& p) { p.top_k = 1500, p.temperature = 1.3f; });
  add("topp0.9", [](SamplingParams& p) { p.top_p = 0.9f, p.logprobs = 20; });
  add("topp0.5-T2", [](SamplingParams& p) { p.top_p = 0.5f, p.temperature = 2.0f; });
  add("topp0.999", [](SamplingParams& p) { p.top_p = 0.999f; });
  add("minp0.05", [](SamplingParams& p) { p.min_p = 0.05f; });
  add("k40-p0.95-minp0.02", [](SamplingParams& p) { p.temperature = 0.8f, p.top_k = 40, p.top_p = 0.95f, p.min_p = 0.02f; });
  add("khalf-p0.8", [vocab](SamplingParams& p) { p.top_k = std::max(1, vocab / 2), p.top_p = 0.8f; });
  add("p0.7-minp0.3", [](SamplingParams& p) { p.top_p = 0.7f, p.min_p = 0.3f; });
  add("cold", [](SamplingParams& p) { p.temperature = 2e-5f; });
  add("penalties-greedy", [](SamplingParams& p) {
        p.temperature = 0.0f, p.logprobs = 7, p.repetition_penalty = 1.3f, p.frequency_penalty = 0.5f,
        p.presence_penalty = 0.3f;
      }, true);
  add("penalties-topp", [](SamplingParams& p) {
        p.top_p = 0.9f, p.repetition_penalty = 0.7f, p.frequency_penalty = -0.4f, p.presence_penalty = 1.5f,
        p.logprobs = 2;
      }, true);
  add("penalties-topk", [](SamplingParams& p) {
        p.top_k = 20, p.repetition_penalty = 1.8f, p.frequency_penalty = 2.0f;
      }, true);
  return sets;
}

void add_penalty_inputs(Case& c, int vocab, std::mt19937& rng) {
  std::uniform_int_distribution<int> pick(0, vocab - 1);
  const int prompt = std::min(vocab * 2, 300), output = std::min(vocab, 60);
  for (int i = 0; i < prompt; ++i) c.prompt.push_back(pick(rng));
  for (int i = 0; i < output; ++i) c.output.push_back(i % 3 == 0 && !c.output.empty() ? c.output[0] : pick(rng));
  // Put the row's best tokens into the output so the penalties change the argmax.
  std::vector<int32_t> order(static_cast<size_t>(vocab));
  for (int i = 0; i < vocab; ++i) order[size_t(i)] = i;
  std::partial_sort(order.begin(), order.begin() + std::min(vocab, 3), order.end(),
                    [&](int32_t a, int32_t b) { return c.logits[size_t(a)] > c.logits[size_t(b)]; });
  for (int i = 0; i < std::min(vocab, 3); ++i) c.output.push_back(order[size_t(i)]);
  std::uniform_real_distribution<float> bias(-100.0f, 100.0f);
  for (int i = 0; i < std::min(vocab, 6); ++i) c.params.logit_bias[pick(rng)] = bias(rng);
  if (vocab > 2) c.params.logit_bias[pick(rng)] = 100.0f;   // likely the new argmax (and its raw logprob)
  c.suppressed = {pick(rng), pick(rng), vocab + 5, -1};
  c.suppressed.push_back(c.suppressed[0]);  // duplicate
  // The contract: some finite logit must survive suppression.
  auto survives = [&](int32_t id) {
    return std::isfinite(c.logits[size_t(id)]) &&
           std::find(c.suppressed.begin(), c.suppressed.end(), id) == c.suppressed.end();
  };
  bool any = false;
  for (int i = 0; i < vocab && !any; ++i) any = survives(i);
  if (!any) c.suppressed = {vocab + 5, -1};
}

std::vector<Case> make_cases(int vocab, uint32_t seed, int u_per_case) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<Case> cases;
  const Shape shapes[] = {Shape::kNormal, Shape::kPeaked,  Shape::kFlat,  Shape::kQuantised,
                          Shape::kBanned, Shape::kHuge,    Shape::kWideLm};
  const bool small = std::getenv("TS_TEST_SMALL") != nullptr && vocab > 2000;
  for (const Shape shape : shapes) {
    const std::vector<float> logits = make_logits(shape, vocab, rng);
    for (const ParamSet& ps : param_sets(vocab)) {
      if (small && (unit(rng) < 0.75)) continue;
      for (int k = 0; k < u_per_case; ++k) {
        Case c;
        c.name = std::string(shape_name(shape)) + "/" + ps.name;
        c.logits = logits;
        c.params = ps.p;
        c.u = k == 0 ? unit(rng) : (k == 1 ? 0.0 : 1.0 - 1e-12);
        if (ps.penalties) add_penalty_inputs(c, vocab, rng);
        c.params.validate(vocab);
        const bool greedy = c.params.is_greedy();
        cases.push_back(std::move(c));
        if (greedy) break;  // draws nothing: one row is enough
      }
    }
  }
  return cases;
}

int g_paths_seen = 0;

void check_vocab(int vocab, uint32_t seed, int u_per_case) {
  const std::vector<Case> cases = make_cases(vocab, seed, u_per_case);
  const GpuOut g = run_gpu(cases, vocab);
  int bad = 0;
  std::map<int, int> paths;
  for (size_t r = 0; r < cases.size(); ++r) {
    if (!check_row(cases[r], g, int(r), vocab) && ++bad > 20) {
      ADD_FAILURE() << "vocab " << vocab << ": stopping after 20 bad rows";
      break;
    }
    ++paths[g.stats[r].path];
    g_paths_seen |= g.stats[r].path;
  }
  std::printf("[ stats    ] vocab %-7d rows %-4zu bad %d; path bits:", vocab, cases.size(), bad);
  for (const auto& [path, n] : paths) std::printf(" 0x%x:%d", path, n);
  std::printf("\n");
}

TEST_F(CudaSampling, TinyVocabularies) {
  for (int vocab : {1, 2, 7}) check_vocab(vocab, 11u + uint32_t(vocab), 3);
}
TEST_F(CudaSampling, Vocab1000) { check_vocab(1000, 5, 3); }
TEST_F(CudaSampling, Vocab32000) { check_vocab(32000, 6, 2); }
TEST_F(CudaSampling, Vocab32001Unaligned) { check_vocab(32001, 7, 1); }
TEST_F(CudaSampling, Vocab128256) { check_vocab(128256, 8, 2); }

// After the cases above: every path of the kernel was taken at least once.
TEST_F(CudaSampling, EveryPathWasExercised) {
  if (g_paths_seen == 0) GTEST_SKIP() << "run with the other CudaSampling tests";
  for (const int32_t bit : {kGpuPathGreedy, kGpuPathTransformed, kGpuPathTopKList, kGpuPathTopKRefined,
                            kGpuPathTopPList, kGpuPathTopPRefined, kGpuPathTileWalk}) {
    EXPECT_NE(g_paths_seen & bit, 0) << "no row took path bit 0x" << std::hex << bit;
  }
}

// A row whose every finite logit is suppressed breaks the contract: token -1, NaN logprob.
TEST_F(CudaSampling, AllSuppressedRowIsFlagged) {
  Case c;
  c.name = "all-suppressed";
  c.logits = {kNegInf, 2.0f, kNegInf, 1.0f};
  c.suppressed = {1, 3};
  c.params.temperature = 0.0f;
  const GpuOut g = run_gpu({c}, 4);
  EXPECT_EQ(g.tokens[0], -1);
  EXPECT_TRUE(std::isnan(g.logprobs[0]));
  EXPECT_NE(g.stats[0].path & kGpuPathInvalidRow, 0);
}

// Fixed rows whose answer is known without the CPU: ties go to the lowest id, and the
// boundary uniforms pick the first and last survivor in id order.
TEST_F(CudaSampling, KnownAnswers) {
  std::vector<Case> cases;
  auto add = [&](std::vector<float> logits, float temperature, int top_k, float top_p, double u) {
    Case c;
    c.logits = std::move(logits);
    c.params.temperature = temperature;
    c.params.top_k = top_k;
    c.params.top_p = top_p;
    c.params.logprobs = 3;
    c.u = u;
    cases.push_back(c);
  };
  add({1, 3, 3, 2, 3, 0, 0, 0}, 0.0f, 0, 1.0f, 0.0);       // greedy tie -> 1
  add({1, 3, 3, 2, 3, 0, 0, 0}, 1.0f, 2, 1.0f, 0.0);       // top-2 keeps the three 3s -> first is 1
  add({1, 3, 3, 2, 3, 0, 0, 0}, 1.0f, 2, 1.0f, 0.999999);  // -> last is 4
  add({0, 0, 0, 0, 0, 0, 0, 0}, 1.0f, 0, 0.3f, 0.999999);  // nucleus = 3 lowest ids (0.3 * 8 = 2.4) -> 2
  add({5, 0, 0, 0, 0, 0, 0, 0}, 1.0f, 0, 0.5f, 0.999999);  // one token holds > 0.5 -> 0
  const GpuOut g = run_gpu(cases, 8);
  const int32_t expected[] = {1, 1, 4, 2, 0};
  for (size_t i = 0; i < cases.size(); ++i) EXPECT_EQ(g.tokens[i], expected[i]) << "row " << i;
  // top logprobs of row 0: ids 1, 2, 4 (ties to the lower id), all log(e^3 / sum)
  EXPECT_EQ(g.top_ids[0], 1);
  EXPECT_EQ(g.top_ids[1], 2);
  EXPECT_EQ(g.top_ids[2], 4);
  EXPECT_EQ(g.top_ids[3], -1);
}

}  // namespace
}  // namespace turbine::cuda
