// embedding, rms_norm, add_rms_norm, rope, silu_mul, add and gather_rows on every CPU kernel
// configuration against the reference ops. These ops round once or twice per element, so the
// tolerances are a few ulps.
#include <gtest/gtest.h>

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
  HostTensor table(DType::kBF16, 4, 8), emb(DType::kF32, 1, 8);
  const int32_t bad_id = 4;
  EXPECT_DEATH(backend->embedding(table.t(), &bad_id, emb.t()), "embedding");
}

}  // namespace
}  // namespace turbine::test
