// The CUDA backend's GPT-NeoX / Falcon ops against the CPU reference: layer_norm (with and
// without bias, weights and bias in BF16, F16 or F32, warp-per-row and block-per-row shapes, the
// vector and element paths, in place, constant rows, rows far from zero), the exact gelu (the
// negative tail, pinned values), and partial rotary in rope and the fused qkv_rope_write_kv (the
// elements past the rotary width must come back bit for bit).
//
// As in cuda_conformance_test.cc: inputs are rounded to BF16 first and the reference gets those
// values, so the differences left are the GPU's F32 arithmetic and the BF16 rounding of the output
// (one BF16 ulp, 2^-7 relative, bounds that), plus a small absolute term.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/reference_ops.h"
#include "cuda_test_util.h"

namespace turbine::test {
namespace {

// ---- layer_norm --------------------------------------------------------------------------------

using CudaLayerNorm = CudaTest;

TEST_F(CudaLayerNorm, MatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(71);
  const float eps = 1e-5f;
  struct Dtypes {
    DType weight;
    int bias;  // 0: none, 1: the weight's dtype, 2: F32
  };
  for (const Dtypes d : {Dtypes{DType::kBF16, 0}, Dtypes{DType::kBF16, 1}, Dtypes{DType::kF32, 1},
                         Dtypes{DType::kF16, 1}, Dtypes{DType::kBF16, 2}, Dtypes{DType::kF32, 0}}) {
    const DType bias_dtype = d.bias == 2 ? DType::kF32 : d.weight;
    // Short rows (a warp per row, up to 2048 with 16-byte steps) and long ones (a block per row);
    // widths that are not multiples of 8 take the element path.
    for (int64_t cols : {1, 7, 33, 257, 896, 2560, 4096, 5120, 8200}) {
      const std::vector<float> w = random_bf16(rng, cols, 0.5f, 1.5f), bias = random_bf16(rng, cols, -1.0f, 1.0f);
      const HostTensor host_w(d.weight, 1, cols, w), host_b(bias_dtype, 1, cols, bias);
      // Weights and biases may sit at any offset that keeps their elements aligned.
      const DeviceTensor weight(b, d.weight, 1, cols, w, dtype_size(d.weight));
      const DeviceTensor dbias(b, bias_dtype, 1, cols, bias, dtype_size(bias_dtype));
      const Tensor host_bias = d.bias != 0 ? host_b.t : Tensor{}, device_bias = d.bias != 0 ? dbias.t : Tensor{};
      for (int64_t rows : {1, 3, 17, 255}) {
        std::vector<float> x = random_floats(rng, rows * cols, -2.0f, 2.0f);
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < cols; ++c) x[size_t(r * cols + c)] += float(r % 3) - 1.0f;
        x = round_bf16(x);
        std::vector<float> expected(x.size());
        Tensor ref_out = f32_view(expected, rows, cols);
        reference::layer_norm(f32_view(x, rows, cols), host_w.t, host_bias, eps, ref_out);
        const std::string what = shape_name("layer_norm", rows, cols) + " w " + std::string(dtype_name(d.weight)) +
                                 " bias " + (d.bias != 0 ? std::string(dtype_name(bias_dtype)) : std::string("none"));
        DeviceTensor dx(b, DType::kBF16, rows, cols, x);
        DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, rows, cols);
        b.layer_norm(dx.t, weight.t, device_bias, eps, out.t);
        expect_close(out.download(b), expected, kBf16Rel, 1e-5, what);
        // Pointers off 16-byte alignment take the element path.
        DeviceTensor mx(b, DType::kBF16, rows, cols, x, 2);
        DeviceTensor mout = DeviceTensor::poisoned(b, DType::kBF16, rows, cols, 6);
        b.layer_norm(mx.t, weight.t, device_bias, eps, mout.t);
        expect_close(mout.download(b), expected, kBf16Rel, 1e-5, what + " misaligned");
        b.layer_norm(dx.t, weight.t, device_bias, eps, dx.t);  // in place
        expect_close(dx.download(b), expected, kBf16Rel, 1e-5, what + " in place");
      }
    }
  }
}

// Variance 0: every deviation is exactly 0, so the output is exactly the bias (or 0).
TEST_F(CudaLayerNorm, ConstantRowsGiveTheBias) {
  Backend& b = cuda_backend();
  std::mt19937 rng(72);
  const std::vector<float> constants = {0.0f, 1.0f, -3.5f, 1e4f, round_bf16(-123456.0f), round_bf16(3e30f)};
  for (int64_t cols : {1, 7, 64, 896, 5120}) {
    const int64_t rows = int64_t(constants.size());
    std::vector<float> x(size_t(rows * cols));
    for (int64_t r = 0; r < rows; ++r) std::fill_n(x.begin() + r * cols, cols, constants[size_t(r)]);
    const std::vector<float> w = random_bf16(rng, cols, 0.5f, 1.5f), bias = random_bf16(rng, cols, -1.0f, 1.0f);
    const DeviceTensor weight(b, DType::kBF16, 1, cols, w), dbias(b, DType::kBF16, 1, cols, bias);
    const DeviceTensor dx(b, DType::kBF16, rows, cols, x);
    for (const bool with_bias : {false, true}) {
      DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, rows, cols);
      b.layer_norm(dx.t, weight.t, with_bias ? dbias.t : Tensor{}, 1e-5f, out.t);
      std::vector<float> expected(x.size(), 0.0f);
      if (with_bias)
        for (int64_t r = 0; r < rows; ++r) std::copy(bias.begin(), bias.end(), expected.begin() + r * cols);
      expect_close(out.download(b), expected, 0.0, 0.0,
                   shape_name("layer_norm constant rows", rows, cols) + (with_bias ? " with bias" : ""));
    }
  }
}

// Rows far from zero relative to their spread (as far as BF16 allows: its spacing at 1e4 is 64).
TEST_F(CudaLayerNorm, LargeOffsetsStayAccurate) {
  Backend& b = cuda_backend();
  std::mt19937 rng(73);
  struct Case {
    float mean, spread;
  };
  for (const Case k : {Case{1e4f, 300.0f}, Case{-3e5f, 5000.0f}, Case{1e4f, 1000.0f}}) {
    for (int64_t cols : {33, 896, 4096}) {
      const int64_t rows = 5;
      std::vector<float> x = random_floats(rng, rows * cols, -k.spread, k.spread);
      for (float& v : x) v += k.mean;
      x = round_bf16(x);
      const std::vector<float> w = random_bf16(rng, cols, 0.5f, 1.5f), bias = random_bf16(rng, cols, -1.0f, 1.0f);
      const HostTensor host_w(DType::kBF16, 1, cols, w), host_b(DType::kBF16, 1, cols, bias);
      const DeviceTensor weight(b, DType::kBF16, 1, cols, w), dbias(b, DType::kBF16, 1, cols, bias);
      std::vector<float> expected(x.size());
      Tensor ref_out = f32_view(expected, rows, cols);
      reference::layer_norm(f32_view(x, rows, cols), host_w.t, host_b.t, 1e-5f, ref_out);
      const DeviceTensor dx(b, DType::kBF16, rows, cols, x);
      DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, rows, cols);
      b.layer_norm(dx.t, weight.t, dbias.t, 1e-5f, out.t);
      expect_close(out.download(b), expected, kBf16Rel, 1e-5,
                   shape_name("layer_norm offset", rows, cols) + " mean " + std::to_string(k.mean));
    }
  }
}

// ---- gelu --------------------------------------------------------------------------------------

using CudaGelu = CudaTest;

TEST_F(CudaGelu, MatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(74);
  const float extremes[] = {-1e30f, -100.0f, -40.0f, -14.0f, -13.0f, -12.0f, -10.0f, -7.0f, -5.0f, -3.0f, -1.0f,
                            -0.0f,  0.0f,    1e-8f,  -1e-8f, 1e-30f, 0.5f,   3.0f,   5.0f,  10.0f, 100.0f, 1e30f};
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{1, 4864}, {3, 100}, {17, 4864}, {255, 896}, {5, 7}}) {
    std::vector<float> x = random_bf16(rng, rows * cols, -8.0f, 8.0f);
    for (size_t i = 0; i < x.size() && i < std::size(extremes); ++i) x[i * 7 % x.size()] = round_bf16(extremes[i]);
    std::vector<float> expected = x;
    Tensor rx = f32_view(expected, rows, cols);
    reference::gelu(rx);
    // erfcf (4 ulps) of a rounded argument: a few F32 ulps, then the BF16 rounding; results below
    // ~1e-37 (x under -13) may flush.
    DeviceTensor dx(b, DType::kBF16, rows, cols, x);
    b.gelu(dx.t);
    expect_close(dx.download(b), expected, kBf16Rel, 1e-37, shape_name("gelu", rows, cols));
    DeviceTensor mx(b, DType::kBF16, rows, cols, x, 2);  // the element path
    b.gelu(mx.t);
    expect_close(mx.download(b), expected, kBf16Rel, 1e-37, shape_name("gelu", rows, cols) + " misaligned");
  }
}

// x Phi(x) at a few points (mpmath, 50 digits), rounded to BF16: none is near a BF16 rounding
// boundary (all > 2e-4 relative away), so the GPU must give exactly these.
TEST_F(CudaGelu, PinnedValues) {
  Backend& b = cuda_backend();
  const std::vector<float> x = {-5.0f, -1.0f, 0.0f, 0.5f, 3.0f, -10.0f, -3.0f, 0.0f};
  const std::vector<double> value = {-1.433257859395969558369e-6, -0.1586552539314570514148, 0.0,
                                     0.3457312306370065518189,    2.99595030590510971642,     -7.619853024160526065973e-23,
                                     -4.049694094890283e-3,       0.0};
  std::vector<float> expected(value.size());
  for (size_t i = 0; i < value.size(); ++i) expected[i] = round_bf16(float(value[i]));
  DeviceTensor dx(b, DType::kBF16, 1, int64_t(x.size()), x);
  b.gelu(dx.t);
  expect_close(dx.download(b), expected, 0.0, 0.0, "gelu pinned values");
}

// ---- partial rotary ----------------------------------------------------------------------------

using CudaPartialRotary = CudaTest;

TEST_F(CudaPartialRotary, RopeMatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(75);
  struct Rotary {
    int head_dim, rotary_dim;
  };
  for (const Rotary k : {Rotary{16, 4}, Rotary{16, 8}, Rotary{24, 6}, Rotary{80, 20}, Rotary{128, 32},
                         Rotary{256, 64}, Rotary{34, 2}, Rotary{64, 64}}) {
    for (int heads : {1, 4, 14}) {
      for (int64_t tokens : {1, 17, 255}) check_rope(b, rng, k.head_dim, k.rotary_dim, heads, tokens);
    }
  }
}

TEST_F(CudaPartialRotary, QkvRopeWriteKvMatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(76);
  for (const bool with_norm : {false, true}) {
    for (const QkvRopeShape s : {QkvRopeShape{32, 8, 128, 32, 3}, QkvRopeShape{4, 4, 80, 20, 17},
                                 QkvRopeShape{14, 2, 64, 16, 255}, QkvRopeShape{8, 1, 16, 4, 5},
                                 QkvRopeShape{6, 2, 24, 6, 9}, QkvRopeShape{8, 2, 64, 64, 4}})
      check_qkv_rope_write_kv(b, rng, s, with_norm);
  }
}

// Host-side argument checks of these ops.
using CudaNeoxOpsDeathTest = CudaDeathTest;

TEST_F(CudaNeoxOpsDeathTest, BadArgumentsAbort) {
  const auto short_bias = [] {
    Backend& b = cuda_backend();
    DeviceTensor x(b, DType::kBF16, 2, 16, std::vector<float>(32, 1.0f));
    DeviceTensor w(b, DType::kBF16, 1, 16, std::vector<float>(16, 1.0f));
    DeviceTensor bias(b, DType::kBF16, 1, 8, std::vector<float>(8, 1.0f));
    b.layer_norm(x.t, w.t, bias.t, 1e-5f, x.t);
  };
  EXPECT_DEATH(short_bias(), "layer_norm: bias is \\[1, 8\\], expected \\[1, 16\\]");
  const auto f32_gelu = [] {
    Backend& b = cuda_backend();
    DeviceTensor x(b, DType::kF32, 1, 8, std::vector<float>(8, 1.0f));
    b.gelu(x.t);
  };
  EXPECT_DEATH(f32_gelu(), "gelu: x must be BF16");
  const auto odd_rotary = [] {
    Backend& b = cuda_backend();
    DeviceTensor x(b, DType::kBF16, 2, 16, std::vector<float>(32, 1.0f));
    DeviceTensor cs(b, DType::kF32, 2, 3, std::vector<float>(6, 1.0f));
    b.rope(x.t, 8, cs.t);
  };
  EXPECT_DEATH(odd_rotary(), "rope: cos_sin has 3 columns");
  const auto wide_rotary = [] {
    Backend& b = cuda_backend();
    DeviceTensor qkv(b, DType::kBF16, 1, 24, std::vector<float>(24, 1.0f));
    DeviceTensor q(b, DType::kBF16, 1, 8, std::vector<float>(8, 1.0f));
    DeviceTensor cs(b, DType::kF32, 1, 10, std::vector<float>(10, 1.0f));
    DeviceTensor kc(b, DType::kBF16, 4, 8, std::vector<float>(32, 0.0f)), vc(b, DType::kBF16, 4, 8, std::vector<float>(32, 0.0f));
    KvCacheLayer cache{kc.t, vc.t};
    DeviceBuffer slots = upload_ints(b, {0});
    AttentionBatch batch;
    batch.num_tokens = 1;
    batch.slot_mapping = static_cast<const int32_t*>(slots.data());
    b.qkv_rope_write_kv(qkv.t, cs.t, 1, 1, 8, QkHeadNorm{}, batch, cache, q.t);
  };
  EXPECT_DEATH(wide_rotary(), "qkv_rope_write_kv: cos_sin has 10 columns");
}

}  // namespace
}  // namespace turbine::test
