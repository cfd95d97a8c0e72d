// embedding, rms_norm, add_rms_norm, rope, silu_mul, gelu_tanh_mul (plain and fused), add, scale,
// softcap and gather_rows on every CPU kernel configuration against the reference ops. These ops
// round once or twice per element, so the tolerances are a few ulps.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <numbers>
#include <random>
#include <vector>

#include "backend/cpu/reference_ops.h"
#include "kernel_test_util.h"

namespace turbine::test {
namespace {

constexpr double kUlps4 = 4.0 * 1.1920929e-7;  // four f32 ulps, relative

// Rows x cols pairs: single rows, small odd widths, SIMD-width edges, model widths.
const std::vector<std::pair<int64_t, int64_t>> kShapes = {{1, 1},  {1, 7},   {3, 15},  {2, 16},  {5, 17},
                                                          {4, 33}, {1, 896}, {7, 127}, {64, 896}, {128, 1031}};

TEST(CpuOps, Embedding) {
  std::mt19937 rng(1);
  for (auto& [config_name, backend] : cpu_backends()) {
    for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
      for (int64_t cols : {1, 7, 16, 17, 896, 1031}) {
        const int64_t vocab = 50, n = 9;
        HostTensor table = make_weight(dtype, vocab, cols, random_weight_values(rng, vocab * cols), 2);
        std::vector<int32_t> ids = {0, 49, 3, 3, 17, 1, 48, 25, 0};
        HostTensor out(DType::kF32, n, cols), ref(DType::kF32, n, cols);
        backend->embedding(table.t(), ids.data(), out.t());
        reference::embedding(table.t(), ids.data(), ref.t());
        expect_close(out.f32(), ref.f32(), n * cols, 0.0, 0.0, config_name + " embedding " + std::string(dtype_name(dtype)));
      }
    }
  }
}

TEST(CpuOps, RmsNormAndAddRmsNorm) {
  std::mt19937 rng(2);
  for (auto& [config_name, backend] : cpu_backends()) {
    for (auto [rows, cols] : kShapes) {
      for (DType wdtype : {DType::kF32, DType::kBF16}) {
        const std::string what = config_name + " rms_norm " + std::to_string(rows) + "x" + std::to_string(cols);
        HostTensor x = make_f32(rows, cols, random_floats(rng, rows * cols, -3.0f, 3.0f));
        HostTensor w = make_weight(wdtype, 1, cols, random_weight_values(rng, cols));
        HostTensor out(DType::kF32, rows, cols), ref(DType::kF32, rows, cols);
        backend->rms_norm(x.t(), w.t(), 1e-6f, out.t());
        reference::rms_norm(x.t(), w.t(), 1e-6f, ref.t());
        expect_close(out.f32(), ref.f32(), rows * cols, kUlps4, 1e-30, what);

        // In place (out aliases x), as the model does for per-head q/k norms.
        backend->rms_norm(x.t(), w.t(), 1e-6f, x.t());
        expect_close(x.f32(), ref.f32(), rows * cols, kUlps4, 1e-30, what + " in place");

        // add_rms_norm: the residual is updated exactly (one f32 add), then normalised.
        const std::vector<float> res_values = random_floats(rng, rows * cols, -3.0f, 3.0f);
        const std::vector<float> delta = random_floats(rng, rows * cols, -3.0f, 3.0f);
        HostTensor res = make_f32(rows, cols, res_values), res_ref = make_f32(rows, cols, res_values);
        HostTensor d = make_f32(rows, cols, delta);
        backend->add_rms_norm(res.t(), d.t(), w.t(), 1e-5f, out.t());
        reference::add_rms_norm(res_ref.t(), d.t(), w.t(), 1e-5f, ref.t());
        expect_close(res.f32(), res_ref.f32(), rows * cols, 0.0, 0.0, what + " add_rms_norm residual");
        expect_close(out.f32(), ref.f32(), rows * cols, kUlps4, 1e-30, what + " add_rms_norm out");
      }
    }
  }
}

TEST(CpuOps, Rope) {
  std::mt19937 rng(3);
  for (auto& [config_name, backend] : cpu_backends()) {
    for (int head_dim : {2, 8, 34, 64, 128}) {
      for (int heads : {1, 3, 14}) {
        for (int64_t tokens : {1, 5, 130}) {
          const std::vector<float> values = random_floats(rng, tokens * heads * head_dim, -4.0f, 4.0f);
          HostTensor x = make_f32(tokens, heads * head_dim, values), ref = make_f32(tokens, heads * head_dim, values);
          HostTensor cs = make_f32(tokens, head_dim, random_floats(rng, tokens * head_dim));
          backend->rope(x.t(), head_dim, cs.t());
          reference::rope(ref.t(), head_dim, cs.t());
          // Two products and an add: a few ulps of the larger product.
          expect_close(x.f32(), ref.f32(), tokens * heads * head_dim, kUlps4, 4 * 4.0 * 1.2e-7,
                       config_name + " rope d=" + std::to_string(head_dim));
        }
      }
    }
  }
}

TEST(CpuOps, SiluMul) {
  std::mt19937 rng(4);
  for (auto& [config_name, backend] : cpu_backends()) {
    for (auto [rows, cols] : kShapes) {
      std::vector<float> g = random_floats(rng, rows * cols, -12.0f, 12.0f);
      // Extremes: exp over/underflow, denormal results, zero.
      const float extremes[] = {-120.0f, -100.0f, -88.5f, -87.0f, -20.0f, 0.0f, 1e-8f, -1e-8f, 20.0f, 88.5f, 100.0f};
      for (size_t i = 0; i < g.size() && i < std::size(extremes); ++i) g[i * 7 % g.size()] = extremes[i];
      HostTensor gate = make_f32(rows, cols, g), up = make_f32(rows, cols, random_floats(rng, rows * cols, -2.0f, 2.0f));
      HostTensor out(DType::kF32, rows, cols), ref(DType::kF32, rows, cols);
      backend->silu_mul(gate.t(), up.t(), out.t());
      reference::silu_mul(gate.t(), up.t(), ref.t());
      expect_close(out.f32(), ref.f32(), rows * cols, kUlps4, 1e-37, config_name + " silu_mul");
      // out aliases gate, as the model calls it.
      backend->silu_mul(gate.t(), up.t(), gate.t());
      expect_close(gate.f32(), ref.f32(), rows * cols, kUlps4, 1e-37, config_name + " silu_mul in place");
    }
  }
}

// The reference GELU (tanh approximation) against the formula as PyTorch writes it,
// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), in double, and against values of that formula
// written out (so a wrong constant in both would still be caught). The reference evaluates the
// equal x / (1 + e^(-2u)); the two agree to double rounding wherever 1 + tanh(u) keeps its digits.
TEST(CpuOps, GeluTanhReferenceIsTheFormula) {
  const auto formula = [](double x) {
    return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
  };
  // Values of the formula to 20 digits (evaluated in 50-digit decimal arithmetic).
  const std::pair<double, double> pinned[] = {{-3.0, -0.0036373920817730188378}, {-1.0, -0.15880800939172329522},
                                              {0.0, 0.0},                         {0.5, 0.34571400982514392204},
                                              {2.0, 1.9545976940877750188},       {10.0, 10.0}};
  for (auto [x, value] : pinned) {
    EXPECT_NEAR(reference::gelu_tanh(x), value, 4e-16 * std::fabs(value)) << "x = " << x;
    EXPECT_NEAR(formula(x), value, 1e-15 * (std::fabs(x) + std::fabs(value))) << "x = " << x;
  }
  // The formula's own error is about 0.5 |x| ulp(1) (the rounding of 1 + tanh(u)), relative to x
  // rather than to the result where that sum is small.
  for (double x = -6.0; x <= 12.0; x += 1.0 / 64) {
    EXPECT_NEAR(reference::gelu_tanh(x), formula(x), 1e-15 * (std::fabs(x) + std::fabs(formula(x)))) << "x = " << x;
  }
  // Where 1 + tanh(u) cancels in double, the reference keeps full precision: tiny, negative,
  // e^(-2u)-sized values rather than 0.
  EXPECT_LT(reference::gelu_tanh(-10.0), 0.0);
  EXPECT_NEAR(reference::gelu_tanh(-10.0) / (-10.0 * std::exp(-2.0 * std::sqrt(2.0 / std::numbers::pi) * (10.0 + 44.715))), 1.0,
              1e-12);
  EXPECT_EQ(reference::gelu_tanh(1e30), 1e30);
  EXPECT_EQ(reference::gelu_tanh(-1e30), 0.0);

  // The tensor ops round the double result once.
  std::vector<float> g = {-3.0f, -1.0f, 0.0f, 0.5f, 2.0f, 10.0f}, u = {1, 1, 1, 1, 1, 2}, o(6);
  Tensor gt{g.data(), DType::kF32, 2, 3}, ut{u.data(), DType::kF32, 2, 3}, ot{o.data(), DType::kF32, 2, 3};
  reference::gelu_tanh_mul(gt, ut, ot);
  for (size_t i = 0; i < g.size(); ++i) EXPECT_EQ(o[i], float(pinned[i].second * u[i])) << "x = " << g[i];
}

// Gates that stress the kernels: e^z overflow and underflow (|g| around 10 and far beyond),
// denormal results, tanh saturating both ways, zeros of both signs, tiny magnitudes.
const float kGeluExtremes[] = {-1e30f, -1e20f, -100.0f, -20.0f, -10.5f, -10.0f, -9.9f, -7.0f, -5.0f, -3.0f,
                               -1.0f,  -0.0f,  0.0f,    1e-8f,  -1e-8f, 1e-30f, 0.5f,  3.0f,  5.0f,  10.0f,
                               20.0f,  100.0f, 1e20f,   1e30f,  -2.5f,  -0.75f};

std::vector<float> gelu_gates(std::mt19937& rng, int64_t n) {
  std::vector<float> g = random_floats(rng, n, -12.0f, 12.0f);
  for (size_t i = 0; i < g.size() && i < std::size(kGeluExtremes); ++i) g[i * 7 % g.size()] = kGeluExtremes[i];
  return g;
}

TEST(CpuOps, GeluTanhMul) {
  std::mt19937 rng(6);
  for (auto& [config_name, backend] : cpu_backends()) {
    for (auto [rows, cols] : kShapes) {
      const std::vector<float> g = gelu_gates(rng, rows * cols);
      HostTensor gate = make_f32(rows, cols, g), up = make_f32(rows, cols, random_floats(rng, rows * cols, -2.0f, 2.0f));
      HostTensor out(DType::kF32, rows, cols), ref(DType::kF32, rows, cols);
      backend->gelu_tanh_mul(gate.t(), up.t(), out.t());
      reference::gelu_tanh_mul(gate.t(), up.t(), ref.t());
      // Measured: <= 2 ulps (the SIMD levels), the scalar kernel rounds the double result; results
      // below ~1e-37 (gates under -10) may flush to zero.
      const std::string what = config_name + " gelu_tanh_mul " + std::to_string(rows) + "x" + std::to_string(cols);
      expect_close(out.f32(), ref.f32(), rows * cols, kUlps4, 1e-37, what);
      // out aliases gate, as the model calls it; then up.
      backend->gelu_tanh_mul(gate.t(), up.t(), gate.t());
      expect_close(gate.f32(), ref.f32(), rows * cols, kUlps4, 1e-37, what + " in place");
      HostTensor gate2 = make_f32(rows, cols, g);
      backend->gelu_tanh_mul(gate2.t(), up.t(), up.t());
      expect_close(up.f32(), ref.f32(), rows * cols, kUlps4, 1e-37, what + " in place over up");
    }
  }
}

TEST(CpuOps, GeluTanhMulFused) {
  std::mt19937 rng(7);
  for (auto& [config_name, backend] : cpu_backends()) {
    for (auto [rows, n] : kShapes) {
      const std::vector<float> g = gelu_gates(rng, rows * n), u = random_floats(rng, rows * n, -2.0f, 2.0f);
      std::vector<float> stacked(size_t(rows * 2 * n));
      for (int64_t r = 0; r < rows; ++r) {
        std::copy_n(g.begin() + r * n, n, stacked.begin() + r * 2 * n);
        std::copy_n(u.begin() + r * n, n, stacked.begin() + r * 2 * n + n);
      }
      HostTensor gate_up = make_f32(rows, 2 * n, stacked);
      HostTensor out(DType::kF32, rows, n), ref(DType::kF32, rows, n), unfused(DType::kF32, rows, n);
      backend->gelu_tanh_mul_fused(gate_up.t(), out.t());
      reference::gelu_tanh_mul_fused(gate_up.t(), ref.t());
      const std::string what = config_name + " gelu_tanh_mul_fused " + std::to_string(rows) + "x" + std::to_string(n);
      expect_close(out.f32(), ref.f32(), rows * n, kUlps4, 1e-37, what);
      // The fused reference is the unfused one on the split halves, exactly.
      HostTensor gate = make_f32(rows, n, g), up = make_f32(rows, n, u);
      reference::gelu_tanh_mul(gate.t(), up.t(), unfused.t());
      expect_close(ref.f32(), unfused.f32(), rows * n, 0.0, 0.0, what + " reference vs unfused");
    }
  }
}

TEST(CpuOps, Scale) {
  std::mt19937 rng(8);
  for (auto& [config_name, backend] : cpu_backends()) {
    for (auto [rows, cols] : kShapes) {
      for (float s : {std::sqrt(2304.0f), 0.37f, -3.0f, 0.0f, 1.0f}) {
        std::vector<float> v = random_floats(rng, rows * cols, -4.0f, 4.0f);
        const float extremes[] = {0.0f, -0.0f, 1e-40f, -1e30f, 3e38f, 1e-30f};
        for (size_t i = 0; i < v.size() && i < std::size(extremes); ++i) v[i * 5 % v.size()] = extremes[i];
        HostTensor x = make_f32(rows, cols, v), ref = make_f32(rows, cols, v);
        backend->scale(x.t(), s);
        reference::scale(ref.t(), s);
        // One f32 product, rounded once: exact (overflow to inf included).
        expect_close(x.f32(), ref.f32(), rows * cols, 0.0, 0.0,
                     config_name + " scale " + std::to_string(s) + " " + std::to_string(rows) + "x" + std::to_string(cols));
      }
    }
  }
}

TEST(CpuOps, Softcap) {
  std::mt19937 rng(9);
  for (auto& [config_name, backend] : cpu_backends()) {
    for (auto [rows, cols] : kShapes) {
      for (float cap : {30.0f, 50.0f, 1.0f, 0.25f}) {
        // Far below the cap (tanh linear, and tiny), around it, and far above (saturated).
        std::vector<float> v = random_floats(rng, rows * cols, -4.0f * cap, 4.0f * cap);
        const float extremes[] = {0.0f,   -0.0f,    1e-30f, -1e-30f, 1e-40f,   3e-3f,   -3e-3f,     0.6f * cap,
                                  -0.65f * cap, cap, -cap,  20.0f * cap, -20.0f * cap, 1e4f, -1e4f, FLT_MAX, -FLT_MAX};
        for (size_t i = 0; i < v.size() && i < std::size(extremes); ++i) v[i * 3 % v.size()] = extremes[i];
        HostTensor x = make_f32(rows, cols, v), ref = make_f32(rows, cols, v);
        std::vector<float> neg = v;
        for (float& e : neg) e = -e;
        HostTensor xn = make_f32(rows, cols, neg);
        backend->softcap(x.t(), cap);
        backend->softcap(xn.t(), cap);
        reference::softcap(ref.t(), cap);
        const std::string what = config_name + " softcap " + std::to_string(cap) + " " + std::to_string(rows) + "x" +
                                 std::to_string(cols);
        // Measured: <= ~2 ulps (a vector tanh on the SIMD levels, tanhf on the scalar one).
        // (Denormal inputs lose bits in x / cap: an absolute 1e-43 covers them.)
        expect_close(x.f32(), ref.f32(), rows * cols, kUlps4, 1e-43, what);
        for (int64_t i = 0; i < rows * cols; ++i) {
          ASSERT_LE(std::fabs(x.f32()[i]), cap) << what << " element " << i;
          ASSERT_EQ(xn.f32()[i], -x.f32()[i]) << what << ": not odd at element " << i;
        }
      }
    }
  }
}

TEST(CpuOps, AddAndGatherRows) {
  std::mt19937 rng(5);
  for (auto& [config_name, backend] : cpu_backends()) {
    for (auto [rows, cols] : kShapes) {
      const std::vector<float> a = random_floats(rng, rows * cols), b = random_floats(rng, rows * cols);
      HostTensor x = make_f32(rows, cols, a), x_ref = make_f32(rows, cols, a), y = make_f32(rows, cols, b);
      backend->add(x.t(), y.t());
      reference::add(x_ref.t(), y.t());
      expect_close(x.f32(), x_ref.f32(), rows * cols, 0.0, 0.0, config_name + " add");

      std::vector<int32_t> picks;
      for (int64_t i = 0; i < rows; i += 2) picks.push_back(int32_t(rows - 1 - i));
      picks.push_back(0);
      HostTensor out(DType::kF32, int64_t(picks.size()), cols), ref(DType::kF32, int64_t(picks.size()), cols);
      backend->gather_rows(x.t(), picks.data(), out.t());
      reference::gather_rows(x.t(), picks.data(), ref.t());
      expect_close(out.f32(), ref.f32(), out.t().numel(), 0.0, 0.0, config_name + " gather_rows");
    }
  }
}

TEST(CpuOpsDeathTest, BadShapesAbort) {
  auto backend = make_cpu_backend(1);
  HostTensor x(DType::kF32, 2, 8), w(DType::kF32, 1, 7), out(DType::kF32, 2, 8), y(DType::kF32, 2, 9);
  EXPECT_DEATH(backend->rms_norm(x.t(), w.t(), 1e-6f, out.t()), "rms_norm");
  EXPECT_DEATH(backend->add(x.t(), y.t()), "add");
  HostTensor cs(DType::kF32, 2, 6);
  EXPECT_DEATH(backend->rope(x.t(), 6, cs.t()), "rope");
  EXPECT_DEATH(backend->gelu_tanh_mul(x.t(), y.t(), out.t()), "gelu_tanh_mul");
  HostTensor gate_up(DType::kF32, 2, 15), bf16(DType::kBF16, 2, 8);
  EXPECT_DEATH(backend->gelu_tanh_mul_fused(gate_up.t(), out.t()), "gelu_tanh_mul_fused");
  HostTensor wide(DType::kF32, 2, 16);
  Tensor inside{wide.f32() + 4, DType::kF32, 2, 8};
  EXPECT_DEATH(backend->gelu_tanh_mul_fused(wide.t(), inside), "out overlaps gate_up");
  EXPECT_DEATH(backend->scale(bf16.t(), 2.0f), "scale");
  EXPECT_DEATH(backend->softcap(bf16.t(), 30.0f), "softcap");
  EXPECT_DEATH(backend->softcap(x.t(), 0.0f), "softcap");
  EXPECT_DEATH(backend->softcap(x.t(), -30.0f), "softcap");
  EXPECT_DEATH(backend->softcap(x.t(), INFINITY), "softcap");
  HostTensor table(DType::kBF16, 4, 8), emb(DType::kF32, 1, 8);
  const int32_t bad_id = 4;
  EXPECT_DEATH(backend->embedding(table.t(), &bad_id, emb.t()), "embedding");
}

}  // namespace
}  // namespace turbine::test
