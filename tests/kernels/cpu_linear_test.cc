// linear on every CPU kernel configuration against the double-precision reference, at awkward
// sizes, for F32, BF16 and F16 weights, with and without bias.
//
// Requirement: |out - ref| <= 1e-4 * sum_i |x_i w_i| + 1e-6 (golden tests against HF fp32 need
// it). The test holds the kernels to a 5x tighter bound, so that a dropped or doubled term of a
// long dot product cannot hide inside the tolerance.
#include <gtest/gtest.h>

#include <random>
#include <tuple>
#include <vector>

#include "backend/cpu/reference_ops.h"
#include "kernel_test_util.h"

namespace turbine::test {
namespace {

constexpr double kRelativeToAbsSum = 2e-5;
constexpr double kAbsolute = 1e-6;

struct LinearCase {
  int64_t m, k, n;
};

void check_linear_case(const LinearCase& c, uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<float> x_values = random_floats(rng, c.m * c.k);
  const std::vector<float> w_values = random_weight_values(rng, c.n * c.k);
  const std::vector<float> b_values = random_weight_values(rng, c.n);
  HostTensor x = make_f32(c.m, c.k, x_values);
  HostTensor w_f32 = make_weight(DType::kF32, c.n, c.k, w_values);

  // References with and without bias, and the error scale of every output.
  HostTensor ref(DType::kF32, c.m, c.n), ref_bias(DType::kF32, c.m, c.n);
  HostTensor bias_f32 = make_weight(DType::kF32, 1, c.n, b_values);
  reference::linear(x.t(), w_f32.t(), nullptr, ref.t());
  reference::linear(x.t(), w_f32.t(), &bias_f32.t(), ref_bias.t());
  std::vector<double> scale(size_t(c.m * c.n));
  for (int64_t r = 0; r < c.m; ++r) {
    for (int64_t j = 0; j < c.n; ++j) {
      double sum = 0.0;
      for (int64_t i = 0; i < c.k; ++i) sum += std::fabs(double(x_values[size_t(r * c.k + i)]) * w_values[size_t(j * c.k + i)]);
      scale[size_t(r * c.n + j)] = sum;
    }
  }

  for (auto& [config_name, backend] : cpu_backends()) {
    for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
      // Offset the weights by one element: kernels must not assume aligned rows.
      HostTensor w = make_weight(dtype, c.n, c.k, w_values, dtype_size(dtype));
      HostTensor bias = make_weight(dtype, 1, c.n, b_values);
      for (bool with_bias : {false, true}) {
        HostTensor out(DType::kF32, c.m, c.n);
        for (int64_t i = 0; i < c.m * c.n; ++i) out.f32()[i] = 12345.0f;  // must be overwritten
        backend->linear(x.t(), w.t(), with_bias ? &bias.t() : nullptr, out.t());
        const float* expected = with_bias ? ref_bias.f32() : ref.f32();
        int failures = 0;
        for (int64_t i = 0; i < c.m * c.n && failures < 5; ++i) {
          const double tol = kRelativeToAbsSum * scale[size_t(i)] + kAbsolute;
          if (std::fabs(double(out.f32()[i]) - expected[i]) > tol) {
            ++failures;
            ADD_FAILURE() << config_name << " " << dtype_name(dtype) << (with_bias ? " bias" : "") << " m=" << c.m
                          << " k=" << c.k << " n=" << c.n << ": out[" << i / c.n << ", " << i % c.n
                          << "] = " << out.f32()[i] << ", expected " << expected[i] << " (tolerance " << tol << ")";
          }
        }
      }
    }
  }
}

TEST(CpuLinear, SmallShapesAllCombinations) {
  uint32_t seed = 1;
  for (int64_t m : {1, 2, 3, 4, 5, 7, 17, 64})  // 1-4: streamed kernels; 5+: tiles
    for (int64_t k : {1, 3, 17, 31, 64, 127})
      for (int64_t n : {1, 3, 17, 31, 64, 127}) check_linear_case({m, k, n}, seed++);
}

TEST(CpuLinear, ModelSizedShapes) {
  // Qwen2.5-0.5B-like widths plus odd ones; covers the column split, the row split (many rows,
  // few columns), L2 blocking of long rows and the k tails of every chunk size.
  const LinearCase cases[] = {
      {1, 896, 896},  {1, 4869, 127}, {1, 896, 4869}, {2, 896, 1031}, {3, 4869, 64}, {7, 127, 4869},
      {4, 2100, 333}, {2, 2048, 200},
      {17, 896, 300}, {64, 896, 131}, {64, 4869, 19}, {64, 127, 300}, {64, 896, 64}, {33, 1000, 97},
  };
  uint32_t seed = 1000;
  for (const LinearCase& c : cases) check_linear_case(c, seed++);
}

TEST(CpuLinear, EmptyAndZeroWidth) {
  for (auto& [config_name, backend] : cpu_backends()) {
    // k == 0: the output is the bias.
    HostTensor x(DType::kF32, 2, 0), w(DType::kBF16, 3, 0), bias = make_weight(DType::kBF16, 1, 3, {1.0f, -2.0f, 0.5f});
    HostTensor out(DType::kF32, 2, 3);
    backend->linear(x.t(), w.t(), &bias.t(), out.t());
    for (int r = 0; r < 2; ++r) {
      EXPECT_EQ(out.f32()[r * 3 + 0], 1.0f);
      EXPECT_EQ(out.f32()[r * 3 + 1], -2.0f);
      EXPECT_EQ(out.f32()[r * 3 + 2], 0.5f);
    }
    // m == 0: nothing to do.
    HostTensor x0(DType::kF32, 0, 5), w0(DType::kF32, 4, 5), out0(DType::kF32, 0, 4);
    backend->linear(x0.t(), w0.t(), nullptr, out0.t());
  }
}

TEST(CpuLinearDeathTest, MismatchedShapesAbort) {
  auto backend = make_cpu_backend(1);
  HostTensor x(DType::kF32, 2, 8), w(DType::kBF16, 4, 7), out(DType::kF32, 2, 4);
  EXPECT_DEATH(backend->linear(x.t(), w.t(), nullptr, out.t()), "linear");
  HostTensor w2(DType::kBF16, 4, 8), out_bad(DType::kF32, 2, 5);
  EXPECT_DEATH(backend->linear(x.t(), w2.t(), nullptr, out_bad.t()), "linear");
}

}  // namespace
}  // namespace turbine::test
