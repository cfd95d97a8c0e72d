// The ops GPT-NeoX and Falcon add: layer_norm, the exact (erf) gelu, and partial rotary (rope and
// qkv_rope_write_kv with a cos_sin table narrower than head_dim), on every CPU kernel
// configuration against the reference ops, and the reference ops against the formulas.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/reference_ops.h"
#include "kernel_test_util.h"

namespace turbine::test {
namespace {

constexpr double kUlp = 1.1920929e-7;  // one f32 ulp, relative
constexpr double kUlps4 = 4.0 * kUlp;

std::string shape_name(const char* op, int64_t rows, int64_t cols) {
  return std::string(op) + " " + std::to_string(rows) + "x" + std::to_string(cols);
}

// ---- layer_norm --------------------------------------------------------------------------------

// The kernels round x - mean, 1/std, two products and the bias add in f32: each output is within
// a few ulps of the larger of its two terms, (x - mean) / std * w and b, so the bound is taken
// against |out| + 2 |b| (>= both). `abs` covers the mean's representation (a float pair) where a
// deviation is tiny next to the mean.
void expect_layer_norm_close(const float* out, const float* ref, const float* bias, int64_t rows, int64_t cols,
                             double abs, const std::string& what) {
  int reported = 0;
  int64_t failures = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t i = r * cols + c;
      const double b = bias != nullptr ? std::fabs(double(bias[c])) : 0.0;
      const double bound = kUlps4 * (std::fabs(double(ref[i])) + 2.0 * b) + abs;
      if (!(std::fabs(double(out[i]) - ref[i]) <= bound) && out[i] != ref[i]) {
        ++failures;
        if (reported++ < 5) ADD_FAILURE() << what << ": element " << i << " is " << out[i] << ", expected " << ref[i];
      }
    }
  }
  EXPECT_EQ(failures, 0) << what;
}

const std::vector<std::pair<int64_t, int64_t>> kNormShapes = {{1, 1},   {3, 7},    {2, 33},  {5, 257},
                                                              {1, 896}, {4, 2560}, {128, 1031}};

TEST(CpuLayerNorm, MatchesReference) {
  std::mt19937 rng(61);
  for (auto& [config_name, backend] : cpu_backends()) {
    for (auto [rows, cols] : kNormShapes) {
      for (DType wdtype : {DType::kF32, DType::kBF16, DType::kF16}) {
        for (int bias_kind = 0; bias_kind < 4; ++bias_kind) {  // none, F32, BF16, F16
          const DType bdtype = bias_kind == 1 ? DType::kF32 : bias_kind == 2 ? DType::kBF16 : DType::kF16;
          const std::string what = config_name + " " + shape_name("layer_norm", rows, cols) + " w " +
                                   std::string(dtype_name(wdtype)) + " bias " +
                                   (bias_kind == 0 ? std::string("none") : std::string(dtype_name(bdtype)));
          // Rows with a mean away from zero, as residual streams have.
          std::vector<float> values = random_floats(rng, rows * cols, -3.0f, 3.0f);
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c) values[size_t(r * cols + c)] += float(r % 3) - 1.0f;
          const std::vector<float> bias_values = random_weight_values(rng, cols);
          HostTensor x = make_f32(rows, cols, values);
          HostTensor w = make_weight(wdtype, 1, cols, random_weight_values(rng, cols), 2);
          HostTensor b = bias_kind == 0 ? HostTensor() : make_weight(bdtype, 1, cols, bias_values, 2);
          const Tensor bias = bias_kind == 0 ? Tensor{} : b.t();
          HostTensor out(DType::kF32, rows, cols), ref(DType::kF32, rows, cols);
          backend->layer_norm(x.t(), w.t(), bias, 1e-5f, out.t());
          reference::layer_norm(x.t(), w.t(), bias, 1e-5f, ref.t());
          const float* bias_f32 = bias_kind == 0 ? nullptr : bias_values.data();
          expect_layer_norm_close(out.f32(), ref.f32(), bias_f32, rows, cols, 1e-12, what);
          // In place (out aliases x).
          backend->layer_norm(x.t(), w.t(), bias, 1e-5f, x.t());
          expect_layer_norm_close(x.f32(), ref.f32(), bias_f32, rows, cols, 1e-12, what + " in place");
        }
      }
    }
  }
}

// A constant row has variance 0: every deviation must come out exactly 0, so the output is exactly
// the bias (or 0), whatever the value and however large.
TEST(CpuLayerNorm, ConstantRowsGiveTheBias) {
  std::mt19937 rng(62);
  const std::vector<float> constants = {0.0f, 1.0f, -3.5f, 1e4f, -123456.789f, 1e-20f, 3e30f};
  for (auto& [config_name, backend] : cpu_backends()) {
    for (int64_t cols : {1, 7, 33, 257, 1031}) {
      const int64_t rows = int64_t(constants.size());
      std::vector<float> values(size_t(rows * cols));
      for (int64_t r = 0; r < rows; ++r) std::fill_n(values.begin() + r * cols, cols, constants[size_t(r)]);
      const std::vector<float> bias_values = random_weight_values(rng, cols);
      HostTensor x = make_f32(rows, cols, values);
      HostTensor w = make_weight(DType::kF32, 1, cols, random_weight_values(rng, cols));
      HostTensor b = make_f32(1, cols, bias_values);
      for (const bool with_bias : {false, true}) {
        const Tensor bias = with_bias ? b.t() : Tensor{};
        HostTensor out(DType::kF32, rows, cols), ref(DType::kF32, rows, cols);
        backend->layer_norm(x.t(), w.t(), bias, 1e-5f, out.t());
        reference::layer_norm(x.t(), w.t(), bias, 1e-5f, ref.t());
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t c = 0; c < cols; ++c) {
            const float expected = with_bias ? bias_values[size_t(c)] : 0.0f;
            ASSERT_EQ(out.f32()[r * cols + c], expected) << config_name << " constant " << constants[size_t(r)]
                                                         << " cols " << cols << " element " << c;
            ASSERT_EQ(ref.f32()[r * cols + c], expected) << "reference, constant " << constants[size_t(r)];
          }
        }
      }
    }
  }
}

// Rows far from zero with a small spread (mean 1e4, spread 1e-2; mean -3e5, spread 1): the naive
// E[x^2] - E[x]^2 in f32 would return noise or a negative variance. The reference is checked
// against the definition (the normalised row has mean 0 and variance var / (var + eps)), the
// kernels against the reference.
TEST(CpuLayerNorm, LargeOffsetsStayAccurate) {
  std::mt19937 rng(63);
  struct Case {
    float mean, spread;
  };
  for (const Case k : {Case{1e4f, 1e-2f}, Case{-3e5f, 1.0f}, Case{1e4f, 1.0f}, Case{-50.0f, 1e-4f}}) {
    for (int64_t cols : {7, 33, 257, 2560}) {
      const int64_t rows = 3;
      std::vector<float> values = random_floats(rng, rows * cols, -k.spread, k.spread);
      for (float& v : values) v += k.mean;
      const std::vector<float> ones(size_t(cols), 1.0f), bias_values = random_weight_values(rng, cols);
      HostTensor x = make_f32(rows, cols, values), w = make_f32(1, cols, ones), b = make_f32(1, cols, bias_values);
      const float eps = 1e-12f;
      HostTensor ref(DType::kF32, rows, cols);
      reference::layer_norm(x.t(), w.t(), Tensor{}, eps, ref.t());
      auto mean_var = [cols](const float* row) {
        double mean = 0.0, sq = 0.0;
        for (int64_t c = 0; c < cols; ++c) mean += row[c];
        mean /= double(cols);
        for (int64_t c = 0; c < cols; ++c) sq += (row[c] - mean) * (row[c] - mean);
        return std::pair<double, double>(mean, sq / double(cols));
      };
      for (int64_t r = 0; r < rows; ++r) {
        const double var_in = mean_var(x.f32() + r * cols).second;
        const auto [mean, var] = mean_var(ref.f32() + r * cols);
        EXPECT_NEAR(mean, 0.0, 1e-6) << "reference mean, offset " << k.mean << " cols " << cols;
        EXPECT_NEAR(var, var_in / (var_in + eps), 1e-5) << "reference variance, offset " << k.mean << " cols " << cols;
      }
      for (auto& [config_name, backend] : cpu_backends()) {
        const std::string what = config_name + " layer_norm offset " + std::to_string(k.mean) + " spread " +
                                 std::to_string(k.spread) + " cols " + std::to_string(cols);
        HostTensor out(DType::kF32, rows, cols);
        backend->layer_norm(x.t(), w.t(), Tensor{}, eps, out.t());
        // The mean as a float pair is off by up to half an ulp of its low part (2^-48 of the
        // mean), which is 2^-48 * mean / spread of an output of size ~1: under 1e-8 here.
        expect_layer_norm_close(out.f32(), ref.f32(), nullptr, rows, cols, 1e-8, what);
        HostTensor ref_b(DType::kF32, rows, cols);
        reference::layer_norm(x.t(), w.t(), b.t(), eps, ref_b.t());
        backend->layer_norm(x.t(), w.t(), b.t(), eps, out.t());
        expect_layer_norm_close(out.f32(), ref_b.f32(), bias_values.data(), rows, cols, 1e-8, what + " with bias");
      }
    }
  }
}

// ---- gelu --------------------------------------------------------------------------------------

// The reference GELU against values of x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) written out (50
// digits with mpmath, rounded to 22), and against the formula as PyTorch writes it, in double,
// where 1 + erf keeps its digits.
TEST(CpuGelu, ReferenceIsTheFormula) {
  const std::pair<double, double> pinned[] = {{-5.0, -1.433257859395969558369e-6},
                                              {-1.0, -0.1586552539314570514148},
                                              {0.0, 0.0},
                                              {0.5, 0.3457312306370065518189},
                                              {3.0, 2.99595030590510971642},
                                              {-10.0, -7.619853024160526065973e-23}};
  // The argument x / sqrt 2 is rounded (half an ulp of double); erfc's slope turns that into
  // 2 y^2 = x^2 times as much relative error in the tail: 1e-14 at x = -10, far below f32's 6e-8.
  for (auto [x, value] : pinned) {
    EXPECT_NEAR(reference::gelu(x), value, (4.0 + 2.0 * x * x) * 1.2e-16 * std::fabs(value)) << "x = " << x;
  }
  const auto formula = [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2)); };
  for (double x = -3.0; x <= 12.0; x += 1.0 / 64) {
    EXPECT_NEAR(reference::gelu(x), formula(x), 1e-15 * (std::fabs(x) + std::fabs(formula(x)))) << "x = " << x;
  }
  // Where 1 + erf cancels to nothing in double (x = -20: erf is -1 to double precision), the
  // reference still has the tiny negative value (about -3e-88), until double underflows.
  EXPECT_LT(reference::gelu(-20.0), 0.0);
  EXPECT_EQ(formula(-20.0), 0.0);
  EXPECT_EQ(reference::gelu(1e30), 1e30);
  EXPECT_EQ(reference::gelu(-1e30), 0.0);

  // The tensor op rounds the double result once.
  std::vector<float> x = {-5.0f, -1.0f, 0.0f, 0.5f, 3.0f, -10.0f};
  Tensor xt{x.data(), DType::kF32, 2, 3};
  reference::gelu(xt);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(x[i], float(pinned[i].second)) << "x = " << pinned[i].first;
}

// Inputs that stress the kernel: the negative tail (down to f32 denormals and underflow), zeros
// of both signs, tiny magnitudes, huge ones.
const float kGeluExtremes[] = {-1e30f, -100.0f, -40.0f, -14.0f, -13.0f, -12.0f, -10.0f, -7.0f, -5.0f, -3.0f,
                               -1.0f,  -0.0f,   0.0f,   1e-8f,  -1e-8f, 1e-30f, 1e-40f, 0.5f,  3.0f,  5.0f,
                               10.0f,  100.0f,  1e30f,  -2.5f,  -0.75f};

TEST(CpuGelu, MatchesReference) {
  std::mt19937 rng(64);
  const std::vector<std::pair<int64_t, int64_t>> shapes = {{1, 1}, {1, 7}, {3, 33}, {5, 257}, {4, 10240}, {20, 4097}};
  for (auto& [config_name, backend] : cpu_backends()) {
    for (auto [rows, cols] : shapes) {
      std::vector<float> v = random_floats(rng, rows * cols, -8.0f, 8.0f);
      for (size_t i = 0; i < v.size() && i < std::size(kGeluExtremes); ++i) v[i * 7 % v.size()] = kGeluExtremes[i];
      HostTensor x = make_f32(rows, cols, v), ref = make_f32(rows, cols, v);
      backend->gelu(x.t());
      reference::gelu(ref.t());
      // The double erfc rounded once on every level: the reference's own result (results under
      // ~1e-44 are denormals, hence the absolute term).
      expect_close(x.f32(), ref.f32(), rows * cols, kUlps4, 1e-44, config_name + " " + shape_name("gelu", rows, cols));
    }
  }
}

// ---- partial rotary ----------------------------------------------------------------------------

// cos and sin of real rotary angles (position * theta^(-2i / rotary_dim)) for each token:
// [tokens, rotary_dim], cos in the first half, sin in the second.
std::vector<float> rotary_table(std::mt19937& rng, int64_t tokens, int rotary_dim) {
  std::vector<float> cs(size_t(tokens * rotary_dim));
  const int half = rotary_dim / 2;
  for (int64_t t = 0; t < tokens; ++t) {
    const double pos = double(rng() % 5000);
    for (int i = 0; i < half; ++i) {
      const double angle = pos * std::pow(10000.0, -2.0 * i / rotary_dim);
      cs[size_t(t * rotary_dim + i)] = float(std::cos(angle));
      cs[size_t(t * rotary_dim + half + i)] = float(std::sin(angle));
    }
  }
  return cs;
}

struct Rotary {
  int head_dim, rotary_dim;
};
const Rotary kRotaries[] = {{16, 4}, {16, 8}, {24, 6}, {80, 20}, {128, 32}, {34, 2}, {256, 64}, {64, 64}, {96, 48}};

// The reference's partial rotary is its full rotary over the first rotary_dim elements of each
// head (cos_sin's layout scaled to the rotary width), and leaves the rest alone.
TEST(CpuRope, ReferencePartialIsFullRotaryOfTheHeadPrefix) {
  std::mt19937 rng(65);
  for (const Rotary k : kRotaries) {
    const int heads = 3;
    const int64_t tokens = 5, cols = int64_t(heads) * k.head_dim;
    const std::vector<float> values = random_floats(rng, tokens * cols, -4.0f, 4.0f);
    const std::vector<float> cs_values = rotary_table(rng, tokens, k.rotary_dim);
    HostTensor x = make_f32(tokens, cols, values), cs = make_f32(tokens, k.rotary_dim, cs_values);
    reference::rope(x.t(), k.head_dim, cs.t());
    std::vector<float> prefix(size_t(tokens * heads * k.rotary_dim));
    for (int64_t t = 0; t < tokens; ++t)
      for (int h = 0; h < heads; ++h)
        std::copy_n(values.begin() + t * cols + h * k.head_dim, k.rotary_dim,
                    prefix.begin() + (t * heads + h) * k.rotary_dim);
    HostTensor p = make_f32(tokens, int64_t(heads) * k.rotary_dim, prefix);
    reference::rope(p.t(), k.rotary_dim, cs.t());
    for (int64_t t = 0; t < tokens; ++t) {
      for (int h = 0; h < heads; ++h) {
        const float* got = x.f32() + t * cols + h * k.head_dim;
        ASSERT_EQ(std::memcmp(got, p.f32() + (t * heads + h) * k.rotary_dim, size_t(k.rotary_dim) * 4), 0)
            << "d=" << k.head_dim << " r=" << k.rotary_dim << " token " << t << " head " << h;
        ASSERT_EQ(std::memcmp(got + k.rotary_dim, values.data() + t * cols + h * k.head_dim + k.rotary_dim,
                              size_t(k.head_dim - k.rotary_dim) * 4),
                  0)
            << "tail moved: d=" << k.head_dim << " r=" << k.rotary_dim;
      }
    }
  }
}

TEST(CpuRope, PartialRotaryMatchesReference) {
  std::mt19937 rng(66);
  for (auto& [config_name, backend] : cpu_backends()) {
    for (const Rotary k : kRotaries) {
      for (int heads : {1, 3, 14}) {
        for (int64_t tokens : {1, 5, 130}) {
          const int64_t cols = int64_t(heads) * k.head_dim;
          const std::vector<float> values = random_floats(rng, tokens * cols, -4.0f, 4.0f);
          HostTensor x = make_f32(tokens, cols, values), ref = make_f32(tokens, cols, values);
          HostTensor cs = make_f32(tokens, k.rotary_dim, rotary_table(rng, tokens, k.rotary_dim));
          backend->rope(x.t(), k.head_dim, cs.t());
          reference::rope(ref.t(), k.head_dim, cs.t());
          const std::string what =
              config_name + " rope d=" + std::to_string(k.head_dim) + " r=" + std::to_string(k.rotary_dim);
          expect_close(x.f32(), ref.f32(), tokens * cols, kUlps4, 4 * 4.0 * 1.2e-7, what);
          // The tail of every head is the input, bit for bit.
          for (int64_t t = 0; t < tokens; ++t)
            for (int h = 0; h < heads; ++h) {
              const int64_t at = t * cols + int64_t(h) * k.head_dim + k.rotary_dim;
              ASSERT_EQ(std::memcmp(x.f32() + at, values.data() + at, size_t(k.head_dim - k.rotary_dim) * 4), 0)
                  << what << ": tail changed at token " << t << " head " << h;
            }
        }
      }
    }
  }
}

// The fused prologue with partial rotary against the unfused ops of the same backend: the split,
// the per-head norms (rms_norm on [tokens * heads, head_dim] views), two ropes and write_kv.
TEST(CpuRope, QkvRopeWriteKvPartialMatchesUnfused) {
  std::mt19937 rng(67);
  struct Shape {
    int heads, kv_heads, head_dim, rotary_dim;
  };
  for (auto& [config_name, backend] : cpu_backends()) {
    for (const bool with_norm : {false, true}) {
      for (const Shape s : {Shape{4, 2, 16, 4}, Shape{8, 8, 24, 6}, Shape{6, 1, 80, 20}, Shape{4, 2, 128, 32},
                            Shape{4, 2, 64, 64}}) {
        for (int64_t tokens : {1, 7}) {
          const int64_t q_cols = int64_t(s.heads) * s.head_dim, kv_cols = int64_t(s.kv_heads) * s.head_dim;
          const int64_t cols = q_cols + 2 * kv_cols, cache_rows = 2 * tokens + 3;
          const std::vector<float> qkv_values = random_floats(rng, tokens * cols, -2.0f, 2.0f);
          HostTensor qkv = make_f32(tokens, cols, qkv_values);
          HostTensor cs = make_f32(tokens, s.rotary_dim, rotary_table(rng, tokens, s.rotary_dim));
          HostTensor q_w = make_weight(DType::kBF16, 1, s.head_dim, random_weight_values(rng, s.head_dim));
          HostTensor k_w = make_weight(DType::kBF16, 1, s.head_dim, random_weight_values(rng, s.head_dim));
          QkHeadNorm norm;
          if (with_norm) norm = {&q_w.t(), &k_w.t(), 1e-6f};
          std::vector<int32_t> slots(static_cast<size_t>(tokens));
          for (int64_t t = 0; t < tokens; ++t) slots[size_t(t)] = int32_t((t * 7 + 1) % cache_rows);
          if (tokens > 1) slots[1] = -1;  // a padding token
          AttentionBatch batch;
          batch.num_tokens = int(tokens);
          batch.slot_mapping = slots.data();

          HostTensor q(DType::kF32, tokens, q_cols), kc(DType::kF32, cache_rows, kv_cols),
              vc(DType::kF32, cache_rows, kv_cols);
          KvCacheLayer cache{kc.t(), vc.t()};
          backend->qkv_rope_write_kv(qkv.t(), cs.t(), s.heads, s.kv_heads, s.head_dim, norm, batch, cache, q.t());

          std::vector<float> uq(size_t(tokens * q_cols)), uk(size_t(tokens * kv_cols)), uv(uk.size());
          for (int64_t t = 0; t < tokens; ++t) {
            std::copy_n(qkv_values.begin() + t * cols, q_cols, uq.begin() + t * q_cols);
            std::copy_n(qkv_values.begin() + t * cols + q_cols, kv_cols, uk.begin() + t * kv_cols);
            std::copy_n(qkv_values.begin() + t * cols + q_cols + kv_cols, kv_cols, uv.begin() + t * kv_cols);
          }
          HostTensor tq = make_f32(tokens, q_cols, uq), tk = make_f32(tokens, kv_cols, uk),
                     tv = make_f32(tokens, kv_cols, uv);
          if (with_norm) {
            Tensor qh = tq.t().reshaped(s.head_dim), kh = tk.t().reshaped(s.head_dim);
            backend->rms_norm(qh, q_w.t(), 1e-6f, qh);
            backend->rms_norm(kh, k_w.t(), 1e-6f, kh);
          }
          const std::vector<float> normed_q(tq.f32(), tq.f32() + tokens * q_cols);
          backend->rope(tq.t(), s.head_dim, cs.t());
          backend->rope(tk.t(), s.head_dim, cs.t());
          HostTensor ukc(DType::kF32, cache_rows, kv_cols), uvc(DType::kF32, cache_rows, kv_cols);
          KvCacheLayer ucache{ukc.t(), uvc.t()};
          backend->write_kv(tk.t(), tv.t(), batch, ucache);

          const std::string what = config_name + " qkv_rope_write_kv d=" + std::to_string(s.head_dim) + " r=" +
                                   std::to_string(s.rotary_dim) + " tokens " + std::to_string(tokens) +
                                   (with_norm ? " with q/k norm" : "");
          expect_close(q.f32(), tq.f32(), tokens * q_cols, kUlps4, 1e-5, what + " q");
          expect_close(kc.f32(), ukc.f32(), cache_rows * kv_cols, kUlps4, 1e-5, what + " k cache");
          expect_close(vc.f32(), uvc.f32(), cache_rows * kv_cols, 0.0, 0.0, what + " v cache");
          if (!with_norm) {  // the q tails are the input bit for bit (as rope leaves them)
            for (int64_t t = 0; t < tokens; ++t)
              for (int h = 0; h < s.heads; ++h) {
                const int64_t at = t * q_cols + int64_t(h) * s.head_dim + s.rotary_dim;
                ASSERT_EQ(std::memcmp(q.f32() + at, normed_q.data() + at, size_t(s.head_dim - s.rotary_dim) * 4), 0)
                    << what << ": q tail changed at token " << t << " head " << h;
              }
          }
        }
      }
    }
  }
}

TEST(CpuNeoxOpsDeathTest, BadArgumentsAbort) {
  auto backend = make_cpu_backend(1);
  HostTensor x(DType::kF32, 2, 16), w(DType::kF32, 1, 16), b7(DType::kF32, 1, 7), out(DType::kF32, 2, 16);
  EXPECT_DEATH(backend->layer_norm(x.t(), w.t(), b7.t(), 1e-5f, out.t()), "layer_norm: bias is \\[1, 7\\]");
  HostTensor w7(DType::kF32, 1, 7);
  EXPECT_DEATH(backend->layer_norm(x.t(), w7.t(), Tensor{}, 1e-5f, out.t()), "layer_norm");
  HostTensor bf16(DType::kBF16, 2, 8);
  EXPECT_DEATH(backend->gelu(bf16.t()), "gelu");
  // cos_sin widths: odd, zero, wider than head_dim.
  HostTensor cs3(DType::kF32, 2, 3), cs0(DType::kF32, 2, 0), cs10(DType::kF32, 2, 10), cs4_rows(DType::kF32, 3, 4);
  EXPECT_DEATH(backend->rope(x.t(), 8, cs3.t()), "rope: cos_sin is \\[2, 3\\]");
  EXPECT_DEATH(backend->rope(x.t(), 8, cs0.t()), "rope: cos_sin");
  EXPECT_DEATH(backend->rope(x.t(), 8, cs10.t()), "rope: cos_sin");
  EXPECT_DEATH(backend->rope(x.t(), 8, cs4_rows.t()), "rope: cos_sin");
}

}  // namespace
}  // namespace turbine::test
