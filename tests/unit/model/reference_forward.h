// Test helper: the pieces of a naive double-precision transformer forward, written from the
// published model definitions, that the architecture tests (gemma_test, moe_test,
// layer_norm_families_test, phi3_test: the model_families_test binary) assemble into each
// family's reference; and the check that runs a checkpoint greedily through the engine against
// such a reference, on the test backend (support/test_backend.h: the CPU, or the GPU with
// TURBINE_TEST_DEVICE=cuda, where BF16 activations get a looser tolerance).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>

#include <functional>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "support/test_backend.h"
#include "common/dtype.h"
#include "engine/loop/llm_engine.h"
#include "engine/loop/offline_batch.h"
#include "model/model.h"

namespace turbine::testing {

using Vec = std::vector<double>;

// A weight as the test made it (values already rounded to BF16, so the checkpoint holds them exactly).
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> v;
  float at(int64_t r, int64_t c) const { return v[size_t(r * cols + c)]; }
};

inline Matrix random_matrix(std::mt19937& rng, int64_t rows, int64_t cols, float scale, float center = 0.0f) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Matrix m{rows, cols, std::vector<float>(size_t(rows * cols))};
  for (float& x : m.v) x = bf16_to_f32(f32_to_bf16(center + normal(rng) * scale));
  return m;
}

inline Vec matvec(const Matrix& w, const Vec& x, const Matrix* bias = nullptr) {
  Vec out(size_t(w.rows), 0.0);
  for (int64_t r = 0; r < w.rows; ++r) {
    for (int64_t c = 0; c < w.cols; ++c) out[size_t(r)] += double(w.at(r, c)) * x[size_t(c)];
    if (bias) out[size_t(r)] += bias->v[size_t(r)];
  }
  return out;
}

// RMSNorm; `plus_one`: Gemma's x * (1 + w).
inline Vec rms_norm(const Vec& x, const Matrix& w, double eps, bool plus_one = false) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double inv = 1.0 / std::sqrt(ss / double(x.size()) + eps);
  Vec out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] * inv * ((plus_one ? 1.0 : 0.0) + w.v[i]);
  return out;
}

inline Vec layer_norm(const Vec& x, const Matrix& w, const Matrix& b, double eps) {
  double mean = 0, var = 0;
  for (double v : x) mean += v;
  mean /= double(x.size());
  for (double v : x) var += (v - mean) * (v - mean);
  var /= double(x.size());
  Vec out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = (x[i] - mean) / std::sqrt(var + eps) * w.v[i] + b.v[i];
  return out;
}

inline double silu(double x) { return x / (1.0 + std::exp(-x)); }
inline double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }
inline double gelu_tanh(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

// transformers' rotate-half RoPE on the first `rotary_dim` elements of one head at `pos`
// (inverse frequencies theta^(-2i / rotary_dim) / linear_factor).
inline void rope(double* x, int64_t rotary_dim, int64_t pos, double theta, double linear_factor = 1.0) {
  const int64_t half = rotary_dim / 2;
  for (int64_t i = 0; i < half; ++i) {
    const double freq = std::pow(theta, -2.0 * double(i) / double(rotary_dim)) / linear_factor;
    const double c = std::cos(double(pos) * freq), s = std::sin(double(pos) * freq);
    const double a = x[i], b = x[i + half];
    x[i] = a * c - b * s;
    x[i + half] = b * c + a * s;
  }
}

struct AttentionSettings {
  int64_t heads = 0, kv_heads = 0, head_dim = 0;
  double scale = 0;
  int64_t window = 0;  // > 0: query t sees keys (t - window, t]
  double softcap = 0;  // > 0: scores become cap * tanh(score / cap)
};

// Causal grouped-query attention of query position t over positions [0, t] (q/k/v per position,
// all heads concatenated).
inline Vec attention(const std::vector<Vec>& q, const std::vector<Vec>& k, const std::vector<Vec>& v, size_t t,
                     const AttentionSettings& s) {
  const int64_t d = s.head_dim;
  Vec out(size_t(s.heads * d), 0.0);
  for (int64_t h = 0; h < s.heads; ++h) {
    const int64_t g = h / (s.heads / s.kv_heads);
    std::vector<double> scores;
    std::vector<size_t> keys;
    for (size_t j = 0; j <= t; ++j) {
      if (s.window > 0 && int64_t(j) <= int64_t(t) - s.window) continue;
      double score = 0;
      for (int64_t i = 0; i < d; ++i) score += q[t][size_t(h * d + i)] * k[j][size_t(g * d + i)];
      score *= s.scale;
      if (s.softcap > 0) score = s.softcap * std::tanh(score / s.softcap);
      scores.push_back(score);
      keys.push_back(j);
    }
    const double mx = *std::max_element(scores.begin(), scores.end());
    double sum = 0;
    for (double& x : scores) sum += (x = std::exp(x - mx));
    for (size_t a = 0; a < keys.size(); ++a)
      for (int64_t i = 0; i < d; ++i) out[size_t(h * d + i)] += scores[a] / sum * v[keys[a]][size_t(g * d + i)];
  }
  return out;
}

// Greedy decoding of `prompts` through the engine on the test backend (batched, with chunked
// prefill when `chunk` is small) against `reference` (the logits after a token sequence): at every
// step the token is the reference's argmax wherever that is clear, and its logprob matches (F32
// activations: within 2e-3; BF16 on the GPU: within 0.05, argmax where the margin exceeds 0.1).
// Each step continues from the engine's own token, so one near-tie cannot derail the rest.
inline void expect_greedy_matches(const std::filesystem::path& dir, const std::vector<std::vector<int32_t>>& prompts,
                                  int steps, int chunk, const std::function<Vec(const std::vector<int32_t>&)>& reference) {
  SCOPED_TRACE(fmt::format("max_num_batched_tokens {}", chunk));
  const std::unique_ptr<Backend> backend = test_support::make_test_backend();
  const bool bf16 = backend->activation_dtype() != DType::kF32;
  const double logprob_tolerance = bf16 ? 0.05 : 2e-3, clear_margin = bf16 ? 0.1 : 1e-3;
  const std::unique_ptr<Model> model = load_model(dir, *backend);
  EngineOptions options;
  options.max_num_batched_tokens = chunk;
  LlmEngine engine(*model, *backend, options);
  std::vector<OfflinePrompt> batch;
  for (const auto& prompt : prompts) {
    OfflinePrompt p;
    p.prompt_ids = prompt;
    p.params.max_tokens = steps;
    p.params.ignore_eos = true;
    p.params.sampling.temperature = 0.0f;
    p.params.sampling.logprobs = 1;
    batch.push_back(p);
  }
  const std::vector<OfflineResult> out = run_offline(engine, batch);
  ASSERT_EQ(out.size(), prompts.size());
  for (size_t r = 0; r < prompts.size(); ++r) {
    ASSERT_EQ(out[r].tokens.size(), size_t(steps)) << out[r].error;
    std::vector<int32_t> tokens = prompts[r];
    for (size_t step = 0; step < out[r].tokens.size(); ++step) {
      const Vec logits = reference(tokens);
      std::vector<double> sorted = logits;
      std::sort(sorted.rbegin(), sorted.rend());
      double sum = 0;
      for (double x : logits) sum += std::exp(x - sorted[0]);
      const SampledToken& got = out[r].tokens[step];
      if (sorted[0] - sorted[1] > clear_margin)
        EXPECT_EQ(got.token, int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin()))
            << "prompt " << r << " step " << step;
      EXPECT_NEAR(got.logprob, -std::log(sum), logprob_tolerance) << "prompt " << r << " step " << step;
      tokens.push_back(got.token);
    }
  }
}

// The same at each token budget of `chunks` (a large one, and one small enough to chunk prefills).
inline void expect_greedy_matches(const std::filesystem::path& dir, const std::vector<std::vector<int32_t>>& prompts,
                                  int steps, std::initializer_list<int> chunks,
                                  const std::function<Vec(const std::vector<int32_t>&)>& reference) {
  for (const int chunk : chunks) expect_greedy_matches(dir, prompts, steps, chunk, reference);
}

}  // namespace turbine::testing
