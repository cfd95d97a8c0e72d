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
// Structured output (the TokenBitmask tests): rows with and without allowed-token masks in one
// batch, masked on the device by the token-bitmask kernel, both through the debug entry point
// (the checks above) and through SamplingStage (what Backend::sample runs: staging, range checks,
// mask kernel, sampler). The reference is the host path: apply_token_bitmask on the row, then the
// CPU sampler on the masked row, so the logprobs are those of the masked row.
//
// The same file also builds against the host emulation of the kernels
// (src/backend/cuda/sampling/emulation), where TS_TEST_SMALL=1 trims the larger vocabularies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "backend/cuda/sampling/gpu_sampler.h"
#include "backend/cuda/sampling/sampling_stage.h"
#include "backend/cuda/sampling/token_bitmask_kernel.h"
#include "backend/token_bitmask.h"
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
  std::vector<float> logits;  // what the CPU reference samples: the masked row when there is a mask
  SamplingParams params;
  std::vector<int32_t> prompt, output, suppressed;
  double u = 0.5;
  // Structured output: the GPU gets `raw` and the mask (row `mask_row` of the batch's masks);
  // `logits` is apply_token_bitmask(raw, mask). mask_row -1: no mask, the GPU gets `logits`.
  std::vector<float> raw;
  int32_t mask_row = -1;
  SamplingContext context() const { return {prompt, output, suppressed}; }
  const std::vector<float>& gpu_logits() const { return mask_row >= 0 ? raw : logits; }
};

// Allowed-token masks of a batch: `words` words per mask row.
struct Masks {
  std::vector<uint32_t> words_data;
  int32_t words = 0;
  bool empty() const { return words_data.empty(); }
  std::span<const uint32_t> row(int32_t r) const {
    return std::span<const uint32_t>(words_data).subspan(size_t(r) * size_t(words), size_t(words));
  }
};

struct GpuOut {
  std::vector<int32_t> tokens, top_ids;
  std::vector<float> logprobs, top_lps, weights;
  std::vector<double> totals;
  std::vector<GpuSamplingRowStats> stats;
};

DeviceSamplingInputs sampling_inputs(const std::vector<Case>& cases, std::vector<float>& logits) {
  DeviceSamplingInputs in;
  for (const Case& c : cases) {
    in.add_row(c.params, c.context(), c.u);
    in.rows.back().bitmask_row = c.mask_row;
    const std::vector<float>& l = c.gpu_logits();
    logits.insert(logits.end(), l.begin(), l.end());
  }
  return in;
}

// One launch for all cases (same vocabulary), through the debug entry point; the cases' masks
// are applied by the token-bitmask kernel first.
GpuOut run_gpu(const std::vector<Case>& cases, int vocab, const Masks& masks = {}) {
  const int rows = int(cases.size());
  std::vector<float> logits;
  logits.reserve(size_t(rows) * size_t(vocab));
  const DeviceSamplingInputs in = sampling_inputs(cases, logits);
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
  DeviceArray<uint32_t> d_masks(masks.words_data);
  if (!masks.empty()) {
    TokenBitmaskBatch m;
    m.logits = d_logits.ptr;
    m.rows = rows;
    m.vocab = vocab;
    m.params = d_rows.ptr;
    m.bitmask = d_masks.ptr;
    m.words = masks.words;
    launch_token_bitmask(m, nullptr);
  }
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

// The same cases through SamplingStage, what Backend::sample runs (no survivor weights, no stats).
GpuOut run_stage(const std::vector<Case>& cases, int vocab, const Masks& masks) {
  const int rows = int(cases.size());
  std::vector<float> logits;
  logits.reserve(size_t(rows) * size_t(vocab));
  const DeviceSamplingInputs in = sampling_inputs(cases, logits);
  DeviceArray<float> d_logits(logits);
  DeviceSamplingBatch batch;
  batch.logits = Tensor{d_logits.ptr, DType::kF32, rows, vocab};
  batch.rows = in.rows;
  batch.adjustments = in.adjustments;
  batch.suppressed = in.suppressed;
  batch.token_bitmask = masks.words_data;
  batch.bitmask_words = masks.words;
  SamplingStage stage;
  stage.launch(batch, nullptr);
  const DeviceSamplingResult r = stage.collect();
  GpuOut out;
  out.tokens.assign(r.tokens.begin(), r.tokens.end());
  out.logprobs.assign(r.logprobs.begin(), r.logprobs.end());
  out.top_ids.assign(r.top_ids.begin(), r.top_ids.end());
  out.top_lps.assign(r.top_logprobs.begin(), r.top_logprobs.end());
  if (out.top_ids.empty()) {  // no row asked for logprobs: nothing came back
    out.top_ids.assign(size_t(rows) * kGpuMaxLogprobs, -1);
    out.top_lps.assign(size_t(rows) * kGpuMaxLogprobs, kNegInf);
  }
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
  if (!g.weights.empty()) {  // the debug entry point's survivor set
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

// -- structured output: allowed-token masks -----------------------------------------------------

enum class MaskKind { kNone, kOne, kFew, kHalf, kAll };
const char* mask_name(MaskKind k) {
  switch (k) {
    case MaskKind::kNone: return "unmasked";
    case MaskKind::kOne: return "mask-one";
    case MaskKind::kFew: return "mask-few";
    case MaskKind::kHalf: return "mask-half";
    case MaskKind::kAll: return "mask-all";
  }
  return "?";
}

void allow(std::vector<uint32_t>& mask, int64_t id) { allow_token(mask, id); }

// A mask of `words` words for a row of raw logits (all finite). kOne allows the token with the
// lowest raw logit (the one an unmasked row is least likely to return); kFew 2 to 5 random tokens
// and kHalf a random half, both without the raw argmax (so the masked argmax moves); kAll every
// bit. Bits past the vocabulary are set at random: they name no token and must change nothing.
std::vector<uint32_t> make_mask(MaskKind kind, const std::vector<float>& raw, int32_t words, std::mt19937& rng) {
  const int vocab = int(raw.size());
  std::vector<uint32_t> mask(size_t(words), 0u);
  if (kind == MaskKind::kAll) return std::vector<uint32_t>(size_t(words), ~0u);
  const int32_t best = argmax(raw);
  std::uniform_int_distribution<int> pick(0, vocab - 1);
  switch (kind) {
    case MaskKind::kOne:
      allow(mask, std::min_element(raw.begin(), raw.end()) - raw.begin());
      break;
    case MaskKind::kFew: {
      const int want = std::min(vocab - 1, 2 + int(rng() % 4));
      for (int n = 0; n < want;) {
        const int id = pick(rng);
        if (id == best || token_allowed(mask, id)) continue;
        allow(mask, id), ++n;
      }
      break;
    }
    case MaskKind::kHalf:
      for (int id = 0; id < vocab; ++id)
        if (id != best && (rng() & 1)) allow(mask, id);
      break;
    default: break;
  }
  bool any = false;
  for (int id = 0; id < vocab && !any; ++id) any = token_allowed(mask, id);
  if (!any) allow(mask, vocab == 1 ? 0 : (best + 1) % vocab);  // vocab 1, or an unlucky half
  for (int64_t id = vocab; id < int64_t(words) * 32; ++id)
    if (rng() & 1) allow(mask, id);
  return mask;
}

struct MaskedBatch {
  std::vector<Case> cases;
  Masks masks;
};

// Every mask kind under a spread of parameter sets, for three logit shapes, in one batch: rows
// with and without masks interleaved, several rows reading each mask row. Mask row 0 bans every
// token and no row uses it (a row that read it by mistake would have no token at all).
MaskedBatch make_masked_cases(int vocab, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  MaskedBatch mb;
  mb.masks.words = token_bitmask_words(vocab);
  mb.masks.words_data.assign(size_t(mb.masks.words), 0u);
  const bool small = std::getenv("TS_TEST_SMALL") != nullptr && vocab > 2000;
  const std::vector<std::string> wanted = {"greedy", "temperature", "topk50", "topk1", "topp0.9", "minp0.05",
                                           "k40-p0.95-minp0.02", "cold", "penalties-greedy", "penalties-topp"};
  for (const Shape shape : {Shape::kNormal, Shape::kPeaked, Shape::kQuantised}) {
    const std::vector<float> raw = make_logits(shape, vocab, rng);
    for (const MaskKind kind : {MaskKind::kNone, MaskKind::kOne, MaskKind::kFew, MaskKind::kHalf, MaskKind::kAll}) {
      std::vector<float> masked = raw;
      int32_t mask_row = -1;
      if (kind != MaskKind::kNone) {
        const std::vector<uint32_t> mask = make_mask(kind, raw, mb.masks.words, rng);
        mask_row = int32_t(mb.masks.words_data.size() / size_t(mb.masks.words));
        mb.masks.words_data.insert(mb.masks.words_data.end(), mask.begin(), mask.end());
        apply_token_bitmask(masked, mask);
      }
      for (const ParamSet& ps : param_sets(vocab)) {
        if (std::find(wanted.begin(), wanted.end(), ps.name) == wanted.end()) continue;
        if (small && unit(rng) < 0.75) continue;
        // One-token rows also at the uniform's ends (the first and last survivor of the walk).
        const int draws = kind == MaskKind::kOne ? 3 : 1;
        for (int k = 0; k < draws; ++k) {
          Case c;
          c.name = std::string(shape_name(shape)) + "/" + mask_name(kind) + "/" + ps.name;
          c.logits = masked;
          if (mask_row >= 0) c.raw = raw;
          c.mask_row = mask_row;
          c.params = ps.p;
          c.u = k == 0 ? unit(rng) : (k == 1 ? 0.0 : 1.0 - 1e-12);
          if (ps.penalties) add_penalty_inputs(c, vocab, rng);  // keeps a finite masked logit unsuppressed
          c.params.validate(vocab);
          const bool greedy = c.params.is_greedy();
          mb.cases.push_back(std::move(c));
          if (greedy) break;
        }
      }
    }
  }
  return mb;
}

// check_row on the masked row, plus: the token is allowed, a one-token mask returns that token,
// and a greedy row with no transform returns the masked row's argmax.
bool check_masked_row(const Case& c, const Masks& masks, const GpuOut& g, int row, int vocab, const char* via) {
  const std::string what = c.name + " via " + via + " (vocab " + std::to_string(vocab) + ", row " + std::to_string(row) + ")";
  bool ok = check_row(c, g, row, vocab);
  const int32_t token = g.tokens[size_t(row)];
  if (c.mask_row >= 0) {
    const std::span<const uint32_t> mask = masks.row(c.mask_row);
    if (!token_allowed(mask, token)) {
      ADD_FAILURE() << what << ": token " << token << " is not allowed by the mask";
      ok = false;
    }
    std::vector<int32_t> allowed;
    for (int id = 0; id < vocab; ++id)
      if (token_allowed(mask, id)) allowed.push_back(id);
    if (allowed.size() == 1 && token != allowed[0]) {
      ADD_FAILURE() << what << ": the mask allows only " << allowed[0] << ", got " << token;
      ok = false;
    }
  }
  const bool transforms = !c.prompt.empty() || !c.output.empty() || !c.params.logit_bias.empty() || !c.suppressed.empty();
  if (c.params.is_greedy() && !transforms && token != argmax(c.logits)) {
    ADD_FAILURE() << what << ": greedy token " << token << ", argmax of the masked row " << argmax(c.logits);
    ok = false;
  }
  return ok;
}

void check_masked_vocab(int vocab, uint32_t seed) {
  const MaskedBatch mb = make_masked_cases(vocab, seed);
  const GpuOut debug = run_gpu(mb.cases, vocab, mb.masks);
  const GpuOut staged = run_stage(mb.cases, vocab, mb.masks);
  int bad = 0, masked = 0;
  for (size_t r = 0; r < mb.cases.size() && bad <= 20; ++r) {
    const Case& c = mb.cases[r];
    masked += c.mask_row >= 0;
    bool ok = check_masked_row(c, mb.masks, debug, int(r), vocab, "kernel");
    ok &= check_masked_row(c, mb.masks, staged, int(r), vocab, "SamplingStage");
    // The same kernels on the same input: the two paths agree bit for bit.
    if (staged.tokens[r] != debug.tokens[r] ||
        std::memcmp(&staged.logprobs[r], &debug.logprobs[r], sizeof(float)) != 0) {
      ADD_FAILURE() << c.name << " (vocab " << vocab << ", row " << r << "): SamplingStage gives (" << staged.tokens[r]
                    << ", " << staged.logprobs[r] << "), the kernels alone (" << debug.tokens[r] << ", "
                    << debug.logprobs[r] << ")";
      ok = false;
    }
    if (!ok && ++bad > 20) ADD_FAILURE() << "vocab " << vocab << ": stopping after 20 bad rows";
  }
  std::printf("[ stats    ] token bitmask: vocab %-7d rows %-4zu (%d masked) bad %d\n", vocab, mb.cases.size(), masked,
              bad);
}

TEST_F(CudaSampling, TokenBitmaskTinyVocabularies) {
  for (int vocab : {1, 31, 32, 33}) check_masked_vocab(vocab, 100u + uint32_t(vocab));
}
TEST_F(CudaSampling, TokenBitmaskVocab1000) { check_masked_vocab(1000, 101); }
TEST_F(CudaSampling, TokenBitmaskVocab128256) { check_masked_vocab(128256, 102); }
TEST_F(CudaSampling, TokenBitmaskVocab151936) { check_masked_vocab(151936, 103); }

// The mask kernel alone, bit for bit against apply_token_bitmask: masks narrower than the
// vocabulary needs (the ids past them banned), exact, and wider (junk words); rows sharing a mask
// row; rows without one (untouched); logits one float past an aligned address; -inf and
// equal logits left as they are where allowed.
TEST_F(CudaSampling, TokenBitmaskKernelMatchesHost) {
  std::mt19937 rng(77);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  for (int vocab : {1, 31, 32, 33, 1000, 4097, 128256, 151936}) {
    const int32_t exact = token_bitmask_words(vocab);
    for (const int32_t words : {std::max(1, exact - 1), exact, exact + 2}) {
      const int32_t mask_rows_of[] = {-1, 0, 1, 2, 0, -1, 2};
      const int rows = int(std::size(mask_rows_of));
      std::vector<float> logits(size_t(rows) * size_t(vocab));
      for (float& v : logits) v = rng() % 16 == 0 ? kNegInf : normal(rng);
      std::vector<uint32_t> masks(3 * size_t(words));
      for (int32_t w = 0; w < words; ++w) {
        masks[size_t(w)] = uint32_t(rng());                            // random bits
        masks[size_t(words + w)] = ~0u;                                // everything
        masks[size_t(2 * words + w)] = rng() % 8 == 0 ? 1u << (rng() % 32) : 0u;  // sparse
      }
      std::vector<SamplingRow> params(static_cast<size_t>(rows));
      for (int r = 0; r < rows; ++r) params[size_t(r)].bitmask_row = mask_rows_of[r];

      DeviceArray<float> d_logits(logits.size() + 1);
      CUDA_OK(cudaMemcpy(d_logits.ptr + 1, logits.data(), logits.size() * sizeof(float), cudaMemcpyHostToDevice));
      DeviceArray<SamplingRow> d_params(params);
      DeviceArray<uint32_t> d_masks(masks);
      TokenBitmaskBatch b;
      b.logits = d_logits.ptr + 1;
      b.rows = rows;
      b.vocab = vocab;
      b.params = d_params.ptr;
      b.bitmask = d_masks.ptr;
      b.words = words;
      launch_token_bitmask(b, nullptr);
      CUDA_OK(cudaDeviceSynchronize());
      std::vector<float> got(logits.size());
      CUDA_OK(cudaMemcpy(got.data(), d_logits.ptr + 1, got.size() * sizeof(float), cudaMemcpyDeviceToHost));

      for (int r = 0; r < rows; ++r) {
        std::span<float> expected(logits.data() + size_t(r) * size_t(vocab), size_t(vocab));
        if (mask_rows_of[r] >= 0) {
          apply_token_bitmask(expected, std::span<const uint32_t>(masks).subspan(size_t(mask_rows_of[r]) * size_t(words),
                                                                                  size_t(words)));
        }
        const float* row = got.data() + size_t(r) * size_t(vocab);
        for (int id = 0; id < vocab; ++id) {
          if (std::memcmp(&row[id], &expected[size_t(id)], sizeof(float)) != 0) {
            ADD_FAILURE() << "vocab " << vocab << ", " << words << " words, row " << r << " (mask row " << mask_rows_of[r]
                          << "): id " << id << " is " << row[id] << ", expected " << expected[size_t(id)];
            break;
          }
        }
      }
    }
  }
}

// SamplingStage checks the mask ranges on the host (a bad bitmask_row would read past the masks
// on the device). Death tests re-run the binary for the statement ("threadsafe"), so the child
// makes its own CUDA context.
using CudaSamplingDeathTest = CudaSampling;

void stage_with_mask(int32_t bitmask_row, int32_t words, size_t mask_words) {
  const int vocab = 40;
  DeviceArray<float> logits(std::vector<float>(2 * size_t(vocab), 0.0f));
  std::vector<SamplingRow> rows(2);
  rows[0].temperature = rows[1].temperature = 0.0f;
  rows[1].bitmask_row = bitmask_row;
  const std::vector<uint32_t> masks(mask_words, 0x10u);  // allows id 4 (and 36 in a second word)
  DeviceSamplingBatch batch;
  batch.logits = Tensor{logits.ptr, DType::kF32, 2, vocab};
  batch.rows = rows;
  batch.token_bitmask = masks;
  batch.bitmask_words = words;
  SamplingStage stage;
  stage.launch(batch, nullptr);
  const DeviceSamplingResult r = stage.collect();
  EXPECT_EQ(r.tokens[0], 0);  // all logits equal: the lowest id
  EXPECT_EQ(r.tokens[1], bitmask_row >= 0 ? 4 : 0);
}

TEST_F(CudaSamplingDeathTest, BitmaskRangesAreChecked) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  stage_with_mask(1, 2, 4);   // the last of two mask rows
  stage_with_mask(-1, 0, 0);  // no mask anywhere
  stage_with_mask(-1, 2, 4);  // masks that no row uses
  EXPECT_DEATH(stage_with_mask(2, 2, 4), "bitmask row 2 is outside the 2 mask rows");
  EXPECT_DEATH(stage_with_mask(1, 2, 3), "bitmask row 1 is outside the 1 mask rows");  // half a row is no row
  EXPECT_DEATH(stage_with_mask(0, 0, 4), "bitmask row 0 is outside the 0 mask rows");
  EXPECT_DEATH(stage_with_mask(-2, 2, 4), "bitmask row -2 is outside");
}

}  // namespace
}  // namespace turbine::cuda
