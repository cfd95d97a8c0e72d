// The Mixture-of-Experts ops (moe_route, moe_experts, add_sigmoid_scaled) on every CPU kernel
// configuration against the reference ops.
//
// moe_route: the chosen ids must equal the reference's exactly (exact ties in the logits, rows
// of equal logits, -inf logits, top_k 1 up to every expert); the weights are an f32 softmax, held
// to a few ulps per expert summed. moe_experts: awkward sizes (1, 7 and 33 tokens; 1, 5 and 8
// experts; top_k 1 to 3), routings where every token goes to the same experts and where most
// experts get no token, F32, BF16 and F16 expert weights; the bound is linear's (2e-5 of the abs
// sum per projection) carried through the expert (support/moe_error_bound.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/reference_ops.h"
#include "kernel_test_util.h"
#include "support/moe_error_bound.h"

namespace turbine::test {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

std::string moe_name(const char* op, int64_t tokens, int num_experts, int top_k) {
  return std::string(op) + " tokens " + std::to_string(tokens) + " experts " + std::to_string(num_experts) +
         " top_k " + std::to_string(top_k);
}

// Random logits in [-4, 4], with rows that test the order: row 1 of every 4 has an exact tie for
// the best (the first and last experts), row 2 is all equal, row 3 has -inf logits (masked experts)
// and a tie in the middle.
std::vector<float> router_logits(std::mt19937& rng, int64_t tokens, int num_experts) {
  std::vector<float> l = random_floats(rng, tokens * num_experts, -4.0f, 4.0f);
  const int n = num_experts;
  for (int64_t t = 0; t < tokens; ++t) {
    float* row = l.data() + t * n;
    switch (t % 4) {
      case 1: row[0] = row[n - 1] = *std::max_element(row, row + n) + 1.0f; break;
      case 2: std::fill(row, row + n, 0.75f); break;
      case 3:  // at least one expert stays finite
        if (n > 1) row[n / 2] = row[n - 1] = -kInf;
        if (n > 3) row[1] = row[2];
        break;
      default: break;
    }
  }
  return l;
}

TEST(CpuMoe, RouteMatchesReference) {
  std::mt19937 rng(61);
  for (auto& [config_name, backend] : cpu_backends()) {
    for (int num_experts : {1, 5, 8, 60, 128}) {
      std::vector<int> top_ks = {1, 2, 3, num_experts};
      std::sort(top_ks.begin(), top_ks.end());
      top_ks.erase(std::unique(top_ks.begin(), top_ks.end()), top_ks.end());
      for (int top_k : top_ks) {
        if (top_k > num_experts) continue;
        for (int64_t tokens : {1, 7, 33}) {
          const std::vector<float> logits = router_logits(rng, tokens, num_experts);
          HostTensor l = make_f32(tokens, num_experts, logits);
          for (bool renormalize : {false, true}) {
            const std::string what = config_name + " " + moe_name("moe_route", tokens, num_experts, top_k) +
                                     (renormalize ? " renormalized" : "");
            HostTensor ids(DType::kI32, tokens, top_k), ref_ids(DType::kI32, tokens, top_k);
            HostTensor w(DType::kF32, tokens, top_k), ref_w(DType::kF32, tokens, top_k);
            std::fill(ids.t().as<int32_t>(), ids.t().as<int32_t>() + tokens * top_k, -7);
            backend->moe_route(l.t(), top_k, renormalize, ids.t(), w.t());
            reference::moe_route(l.t(), top_k, renormalize, ref_ids.t(), ref_w.t());
            for (int64_t i = 0; i < tokens * top_k; ++i) {
              ASSERT_EQ(ids.t().as<int32_t>()[i], ref_ids.t().as<int32_t>()[i]) << what << " id " << i;
            }
            // exp of a rounded difference (|l - max| <= 9: 4 ulps), the sum over the experts, the
            // division and the renormalisation.
            const double rel = (16.0 + 2.0 * num_experts) * FLT_EPSILON;
            expect_close(w.f32(), ref_w.f32(), tokens * top_k, rel, 1e-30, what + " weights");
          }
        }
      }
    }
  }
}

TEST(CpuMoe, RouteKnownAnswers) {
  auto backend = make_cpu_backend(1);
  // Ties go to the lower id; -inf experts come last (weight 0); renormalisation divides by the
  // chosen experts' sum.
  HostTensor l = make_f32(2, 4, {1.0f, 3.0f, 3.0f, 2.0f, -kInf, 0.0f, -kInf, 0.0f});
  HostTensor ids(DType::kI32, 2, 4), w(DType::kF32, 2, 4);
  backend->moe_route(l.t(), 4, false, ids.t(), w.t());
  const int32_t* id = ids.t().as<int32_t>();
  EXPECT_EQ(std::vector<int32_t>(id, id + 8), (std::vector<int32_t>{1, 2, 3, 0, 1, 3, 0, 2}));
  const double z = std::exp(1.0) + 2 * std::exp(3.0) + std::exp(2.0);
  EXPECT_NEAR(w.f32()[0], std::exp(3.0) / z, 1e-6);
  EXPECT_NEAR(w.f32()[3], std::exp(1.0) / z, 1e-6);
  EXPECT_EQ(w.f32()[5], 0.5f);
  EXPECT_EQ(w.f32()[6], 0.0f);
  HostTensor ids2(DType::kI32, 2, 2), w2(DType::kF32, 2, 2);
  backend->moe_route(l.t(), 2, true, ids2.t(), w2.t());
  EXPECT_FLOAT_EQ(w2.f32()[0], 0.5f);
  EXPECT_FLOAT_EQ(w2.f32()[1], 0.5f);
  EXPECT_FLOAT_EQ(w2.f32()[2], 0.5f);
}

struct Routing {
  std::vector<int32_t> ids;
  std::vector<float> weights;
};

// Row t takes top_k distinct experts of `pool`, from pool[(t * stride) % pool.size()] on, with
// random weights: stride 0 sends every token to the same experts (pool[0] first).
Routing pick_routing(std::mt19937& rng, int64_t tokens, int top_k, const std::vector<int32_t>& pool, int stride) {
  Routing r;
  r.weights = random_floats(rng, tokens * top_k, 0.05f, 1.0f);
  for (int64_t t = 0; t < tokens; ++t) {
    for (int j = 0; j < top_k; ++j) r.ids.push_back(pool[size_t((t * stride + j) % int64_t(pool.size()))]);
  }
  return r;
}

struct HostExperts {
  std::vector<HostTensor> storage;
  MoeExpertWeights w;
};

// values[e] of gate, up and down, stored as dtype one element past an aligned address (the
// checkpoint's mapping aligns nothing).
HostExperts make_experts(DType dtype, int num_experts, int64_t hidden, int64_t inter,
                         const std::vector<std::vector<float>>& gate, const std::vector<std::vector<float>>& up,
                         const std::vector<std::vector<float>>& down) {
  HostExperts h;
  h.w.num_experts = num_experts;
  h.w.hidden = hidden;
  h.w.intermediate = inter;
  for (int e = 0; e < num_experts; ++e) {
    h.storage.push_back(make_weight(dtype, inter, hidden, gate[size_t(e)], dtype_size(dtype)));
    h.w.gate.push_back(h.storage.back().t());
    h.storage.push_back(make_weight(dtype, inter, hidden, up[size_t(e)], dtype_size(dtype)));
    h.w.up.push_back(h.storage.back().t());
    h.storage.push_back(make_weight(dtype, hidden, inter, down[size_t(e)], dtype_size(dtype)));
    h.w.down.push_back(h.storage.back().t());
  }
  return h;
}

// Runs one shape through every routing, weight dtype and kernel configuration; returns the worst
// error as a fraction of its bound.
double check_moe_experts(std::mt19937& rng, int64_t tokens, int num_experts, int top_k, int64_t hidden, int64_t inter) {
  double worst = 0.0;
  // Weights exactly representable in F32, BF16 and F16: one reference serves every dtype.
  std::vector<std::vector<float>> gate, up, down;
  for (int e = 0; e < num_experts; ++e) {
    gate.push_back(random_weight_values(rng, inter * hidden));
    up.push_back(random_weight_values(rng, inter * hidden));
    down.push_back(random_weight_values(rng, hidden * inter));
  }
  const HostExperts f32_experts = make_experts(DType::kF32, num_experts, hidden, inter, gate, up, down);
  const std::vector<float> x_values = random_floats(rng, tokens * hidden, -2.0f, 2.0f);
  HostTensor x = make_f32(tokens, hidden, x_values);

  std::vector<std::pair<std::string, Routing>> routings;
  {  // moe_route's own output for random logits
    HostTensor l = make_f32(tokens, num_experts, random_floats(rng, tokens * num_experts, -3.0f, 3.0f));
    HostTensor ids(DType::kI32, tokens, top_k), w(DType::kF32, tokens, top_k);
    reference::moe_route(l.t(), top_k, true, ids.t(), w.t());
    Routing r;
    r.ids.assign(ids.t().as<int32_t>(), ids.t().as<int32_t>() + tokens * top_k);
    r.weights.assign(w.f32(), w.f32() + tokens * top_k);
    routings.push_back({"routed", r});
  }
  std::vector<int32_t> hot_first;  // every token to the last expert first (then the same others)
  for (int e = num_experts - 1; e >= 0; --e) hot_first.push_back(e);
  routings.push_back({"all to one expert", pick_routing(rng, tokens, top_k, hot_first, 0)});
  std::vector<int32_t> sparse;  // experts 1, 2, 4, 5, 7 get nothing
  for (int e = 0; e < num_experts; e += 3) sparse.push_back(e);
  if (int(sparse.size()) >= top_k) routings.push_back({"most experts idle", pick_routing(rng, tokens, top_k, sparse, 1)});

  for (auto& [routing_name, routing] : routings) {
    Routing& r = routing;
    HostTensor ids(DType::kI32, tokens, top_k), w = make_f32(tokens, top_k, r.weights);
    std::copy(r.ids.begin(), r.ids.end(), ids.t().as<int32_t>());
    HostTensor ref(DType::kF32, tokens, hidden);
    reference::moe_experts(x.t(), ids.t(), w.t(), f32_experts.w, ref.t());
    const std::vector<float> expected(ref.f32(), ref.f32() + tokens * hidden);
    const std::vector<double> bound =
        moe_experts_error_bound(x_values, r.ids, r.weights, top_k, f32_experts.w, expected, FLT_EPSILON, 2e-5, 1e-6);
    for (DType dtype : {DType::kF32, DType::kBF16, DType::kF16}) {
      const HostExperts experts = make_experts(dtype, num_experts, hidden, inter, gate, up, down);
      for (auto& [config_name, backend] : cpu_backends()) {
        const std::string what = config_name + " " + moe_name("moe_experts", tokens, num_experts, top_k) + " " +
                                 std::to_string(hidden) + "x" + std::to_string(inter) + " " + routing_name + " " +
                                 std::string(dtype_name(dtype));
        HostTensor out(DType::kF32, tokens, hidden);
        std::fill(out.f32(), out.f32() + tokens * hidden, std::numeric_limits<float>::quiet_NaN());
        backend->moe_experts(x.t(), ids.t(), w.t(), experts.w, out.t());
        int failures = 0;
        for (int64_t i = 0; i < tokens * hidden; ++i) {
          const double err = std::fabs(double(out.f32()[i]) - expected[size_t(i)]);
          worst = std::max(worst, err / bound[size_t(i)]);
          if (!(err <= bound[size_t(i)]) && failures++ < 5) {
            ADD_FAILURE() << what << ": element " << i << " is " << out.f32()[i] << ", expected " << expected[size_t(i)]
                          << " +- " << bound[size_t(i)];
          }
        }
        EXPECT_EQ(failures, 0) << what;
        if (failures > 0) return worst;
      }
    }
  }
  return worst;
}

TEST(CpuMoe, ExpertsMatchReference) {
  std::mt19937 rng(62);
  double worst = 0.0;
  for (auto [hidden, inter] : std::vector<std::pair<int64_t, int64_t>>{{24, 40}, {33, 7}}) {
    for (int num_experts : {1, 5, 8}) {
      for (int top_k : {1, 2, 3}) {
        if (top_k > num_experts) continue;
        for (int64_t tokens : {1, 7, 33}) worst = std::max(worst, check_moe_experts(rng, tokens, num_experts, top_k, hidden, inter));
      }
    }
  }
  std::printf("[ stats    ] moe_experts: worst error %.3f of its bound\n", worst);
}

// The shapes of a real layer (Qwen3-30B-A3B: 128 experts, top 8, hidden 2048 and 768 per expert,
// here a slice of 16 experts and a narrower hidden), so the linear kernels' blocked paths run.
TEST(CpuMoe, ExpertsAtModelWidths) {
  std::mt19937 rng(63);
  std::printf("[ stats    ] moe_experts at model widths: worst error %.3f of its bound\n",
              check_moe_experts(rng, 20, 16, 8, 256, 96));
}

TEST(CpuMoe, AddSigmoidScaledMatchesReference) {
  std::mt19937 rng(64);
  for (auto& [config_name, backend] : cpu_backends()) {
    for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {7, 24}, {5, 17}, {33, 896}, {40, 2048}}) {
      const std::vector<float> x_values = random_floats(rng, rows * cols, -4.0f, 4.0f);
      const std::vector<float> y_values = random_floats(rng, rows * cols, -4.0f, 4.0f);
      std::vector<float> g_values = random_floats(rng, rows, -8.0f, 8.0f);
      const float extremes[] = {-100.0f, 100.0f, 0.0f, -0.0f, 1e-30f, 20.0f, -20.0f};
      for (size_t i = 0; i < g_values.size() && i < std::size(extremes); ++i) g_values[i] = extremes[i];
      HostTensor x = make_f32(rows, cols, x_values), ref = make_f32(rows, cols, x_values);
      HostTensor y = make_f32(rows, cols, y_values), g = make_f32(rows, 1, g_values);
      backend->add_sigmoid_scaled(x.t(), y.t(), g.t());
      reference::add_sigmoid_scaled(ref.t(), y.t(), g.t());
      // The f32 sigmoid, the product, the sum and the reference's own rounding: half an ulp each.
      for (int64_t i = 0; i < rows * cols; ++i) {
        const double s = 1.0 / (1.0 + std::exp(-double(g_values[size_t(i / cols)])));
        const double tol = FLT_EPSILON * (2.0 * std::fabs(x_values[size_t(i)]) + 3.0 * s * std::fabs(y_values[size_t(i)]));
        ASSERT_LE(std::fabs(double(x.f32()[i]) - ref.f32()[i]), tol)
            << config_name << " add_sigmoid_scaled [" << rows << ", " << cols << "] element " << i;
      }
    }
  }
}

TEST(CpuMoeDeathTest, BadArgumentsAbort) {
  auto backend = make_cpu_backend(1);
  HostTensor l(DType::kF32, 2, 3), ids(DType::kI32, 2, 4), w(DType::kF32, 2, 4);
  EXPECT_DEATH(backend->moe_route(l.t(), 4, true, ids.t(), w.t()), "moe_route: top_k 4 is outside");
  HostTensor ids2(DType::kI32, 2, 2), w_bad(DType::kF32, 2, 3);
  EXPECT_DEATH(backend->moe_route(l.t(), 2, true, ids2.t(), w_bad.t()), "moe_route: weights is");
  HostTensor w_bf16(DType::kBF16, 2, 2);
  EXPECT_DEATH(backend->moe_route(l.t(), 2, true, ids2.t(), w_bf16.t()), "moe_route: weights must be F32");

  std::mt19937 rng(65);
  std::vector<std::vector<float>> gate, up, down;
  for (int e = 0; e < 3; ++e) {
    gate.push_back(random_weight_values(rng, 4 * 8));
    up.push_back(random_weight_values(rng, 4 * 8));
    down.push_back(random_weight_values(rng, 8 * 4));
  }
  const HostExperts experts = make_experts(DType::kBF16, 3, 8, 4, gate, up, down);
  HostTensor x(DType::kF32, 2, 8), out(DType::kF32, 2, 8), rw(DType::kF32, 2, 2), rid(DType::kI32, 2, 2);
  rid.t().as<int32_t>()[0] = 1, rid.t().as<int32_t>()[1] = 0, rid.t().as<int32_t>()[2] = 3;
  EXPECT_DEATH(backend->moe_experts(x.t(), rid.t(), rw.t(), experts.w, out.t()),
               "moe_experts: expert id 3 at .1, 0. is outside .0, 3.");
  rid.t().as<int32_t>()[2] = -1;
  EXPECT_DEATH(backend->moe_experts(x.t(), rid.t(), rw.t(), experts.w, out.t()), "moe_experts: expert id -1");
  rid.t().as<int32_t>()[2] = 2;
  EXPECT_DEATH(backend->moe_experts(x.t(), rid.t(), rw.t(), experts.w, x.t()), "moe_experts: out overlaps x");
  MoeExpertWeights wrong = experts.w;
  wrong.down[2] = wrong.gate[2];
  EXPECT_DEATH(backend->moe_experts(x.t(), rid.t(), rw.t(), wrong, out.t()), "moe_experts: expert 2 has gate");
  wrong = experts.w;
  wrong.up.pop_back();
  EXPECT_DEATH(backend->moe_experts(x.t(), rid.t(), rw.t(), wrong, out.t()), "moe_experts: 3 experts but");
  HostTensor narrow(DType::kF32, 2, 7), narrow_out(DType::kF32, 2, 7);
  EXPECT_DEATH(backend->moe_experts(narrow.t(), rid.t(), rw.t(), experts.w, narrow_out.t()),
               "moe_experts: x is .2, 7., the experts' hidden size is 8");

  HostTensor y(DType::kF32, 2, 8), gate2(DType::kF32, 2, 2);
  EXPECT_DEATH(backend->add_sigmoid_scaled(x.t(), y.t(), gate2.t()), "add_sigmoid_scaled: gate is");
}

}  // namespace
}  // namespace turbine::test
