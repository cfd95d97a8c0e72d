// linear() on the CUDA backend (cuBLASLt, BF16 x BF16 -> F32 accumulate -> BF16 or F32) against
// the reference's double-precision dot products.
//
// Tolerance per output element: one BF16 ulp of the result (2^-7 relative; the rounding itself
// costs up to 2^-8; 1e-6 for F32 output), plus 1e-4 of sum_i |x_i w_i| for F32 accumulation in whatever order the GEMM
// picks (the worst case is k * 2^-24 of it, the typical case ~sqrt(k) * 2^-24), plus one more BF16
// rounding of the bias when it is added after the GEMM rather than in its epilogue.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/reference_ops.h"
#include "common/error.h"
#include "cuda_test_util.h"

namespace turbine::test {
namespace {

struct LinearCase {
  int64_t m, k, n;
  bool bias = false;
  DType bias_dtype = DType::kBF16;
  DType out_dtype = DType::kBF16;
  size_t x_offset = 0, weight_offset = 0, bias_offset = 0, out_offset = 0;
};

std::string case_name(const LinearCase& c) {
  return "linear m=" + std::to_string(c.m) + " k=" + std::to_string(c.k) + " n=" + std::to_string(c.n) +
         (c.bias ? " bias " + std::string(dtype_name(c.bias_dtype)) + "@" + std::to_string(c.bias_offset) : "") +
         " out " + std::string(dtype_name(c.out_dtype)) +
         (c.x_offset || c.weight_offset || c.out_offset
              ? " offsets x@" + std::to_string(c.x_offset) + " w@" + std::to_string(c.weight_offset) + " out@" +
                    std::to_string(c.out_offset)
              : "");
}

void run_linear(const LinearCase& c, uint32_t seed) {
  Backend& b = cuda_backend();
  std::mt19937 rng(seed);
  std::vector<float> x = random_bf16(rng, c.m * c.k);
  const std::vector<float> w = random_bf16(rng, c.n * c.k), bias = random_bf16(rng, c.n);
  const HostTensor host_w(DType::kBF16, c.n, c.k, w), host_bias(c.bias_dtype, 1, c.n, bias);
  const Tensor x_view = f32_view(x, c.m, c.k);
  std::vector<float> expected(size_t(c.m * c.n));
  Tensor ref_out = f32_view(expected, c.m, c.n);
  reference::linear(x_view, host_w.t, c.bias ? &host_bias.t : nullptr, ref_out);
  std::vector<double> extra(expected.size());
  for (int64_t r = 0; r < c.m; ++r) {
    for (int64_t col = 0; col < c.n; ++col) {
      double e = 1e-4 * reference::linear_abs_sum(x_view, host_w.t, r, col);
      if (c.bias && c.out_dtype == DType::kBF16) e += std::fabs(bias[size_t(col)]) / 128;
      extra[size_t(r * c.n + col)] = e;
    }
  }

  const DeviceTensor dx(b, DType::kBF16, c.m, c.k, x, c.x_offset);
  const DeviceTensor dw(b, DType::kBF16, c.n, c.k, w, c.weight_offset);
  const DeviceTensor dbias(b, c.bias_dtype, 1, c.n, bias, c.bias_offset);
  DeviceTensor out = DeviceTensor::poisoned(b, c.out_dtype, c.m, c.n, c.out_offset);
  b.linear(dx.t, dw.t, c.bias ? &dbias.t : nullptr, out.t);
  const std::vector<float> first = out.download(b);
  const double rel = c.out_dtype == DType::kBF16 ? 1.0 / 128 : 1e-6;
  expect_close(first, expected, rel, 0.0, case_name(c), &extra);
  // The second call takes the cached plan: same algorithm, same bits.
  b.linear(dx.t, dw.t, c.bias ? &dbias.t : nullptr, out.t);
  EXPECT_EQ(out.download(b), first) << case_name(c) << ": a cached plan gave different results";
}

using CudaLinear = CudaTest;

TEST_F(CudaLinear, AwkwardShapesMatchReference) {
  uint32_t seed = 1;
  const std::vector<std::pair<int64_t, int64_t>> kn = {{896, 4872}, {4864, 896}, {64, 8}, {128, 24}};
  const int64_t ms[] = {1, 3, 17, 255};
  for (size_t s = 0; s < kn.size(); ++s) {
    for (size_t i = 0; i < 4; ++i) {
      LinearCase c{ms[i], kn[s].first, kn[s].second};
      c.bias = (i + s) % 2 == 1;
      c.out_dtype = i == 2 ? DType::kF32 : DType::kBF16;
      run_linear(c, seed++);
    }
  }
}

TEST_F(CudaLinear, BiasOfEveryDtypeAndAlignment) {
  uint32_t seed = 100;
  for (DType bias_dtype : {DType::kBF16, DType::kF32, DType::kF16}) {
    for (size_t offset : {size_t(0), size_t(2)}) {
      for (DType out : {DType::kBF16, DType::kF32}) {
        LinearCase c{17, 896, 1000, true, bias_dtype, out};
        c.bias_offset = offset * dtype_size(bias_dtype) / 2;
        run_linear(c, seed++);
      }
    }
  }
}

// Logits: F32 output straight from the GEMM, with a vocabulary size that is not a multiple of 8.
TEST_F(CudaLinear, OddOutputWidthToF32) {
  run_linear({3, 896, 1001, false, DType::kBF16, DType::kF32}, 200);
  run_linear({1, 64, 33, true, DType::kBF16, DType::kF32}, 201);
}

TEST_F(CudaLinear, OddOutputWidthToBf16) { run_linear({3, 896, 1001, true, DType::kBF16, DType::kBF16}, 202); }

// Operands 16 bytes past cudaMalloc's 256-byte alignment (row-offset views, weights packed in one
// buffer): the heuristic is told the real alignment.
TEST_F(CudaLinear, OperandsAtSixteenByteOffsets) {
  uint32_t seed = 300;
  for (int mask = 1; mask < 8; ++mask) {
    LinearCase c{5, 896, 1000, mask == 7, DType::kBF16, DType::kBF16};
    c.x_offset = mask & 1 ? 16 : 0;
    c.weight_offset = mask & 2 ? 16 : 0;
    c.out_offset = mask & 4 ? 16 : 0;
    run_linear(c, seed++);
  }
}

// Less than 16-byte alignment is rejected: cuBLASLt gave wrong results for a weight at 8 bytes past
// a 16-byte boundary on an H200 (CUDA 13.0), although the heuristic was told the alignment.
using CudaLinearDeathTest = CudaTest;

TEST_F(CudaLinearDeathTest, OperandsBelowSixteenByteAlignmentAbort) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto misaligned_weight = [] {
    Backend& b = cuda_backend();
    const DeviceTensor x(b, DType::kBF16, 2, 64, std::vector<float>(128, 1.0f));
    const DeviceTensor w(b, DType::kBF16, 8, 64, std::vector<float>(512, 1.0f), 8);
    DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, 2, 8);
    b.linear(x.t, w.t, nullptr, out.t);
  };
  EXPECT_DEATH(misaligned_weight(), "linear: weight is at 8 bytes past a 16-byte boundary");
}

TEST_F(CudaLinear, UnsupportedWeightsAreRejectedWithAnError) {
  Backend& b = cuda_backend();
  const DeviceTensor x(b, DType::kBF16, 2, 100, std::vector<float>(200, 1.0f));
  const DeviceTensor w(b, DType::kBF16, 8, 100, std::vector<float>(800, 1.0f));
  DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, 2, 8);
  try {
    b.linear(x.t, w.t, nullptr, out.t);
    ADD_FAILURE() << "k = 100 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of 8"), std::string::npos) << e.what();
  }
  for (DType dtype : {DType::kF16, DType::kF32}) {
    const DeviceTensor x8(b, DType::kBF16, 2, 64, std::vector<float>(128, 1.0f));
    const DeviceTensor w8(b, dtype, 8, 64, std::vector<float>(512, 1.0f));
    try {
      b.linear(x8.t, w8.t, nullptr, out.t);
      ADD_FAILURE() << dtype_name(dtype) << " weight was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("BF16 weights only"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace turbine::test
