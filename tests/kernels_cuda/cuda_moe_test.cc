// The CUDA backend's Mixture-of-Experts ops (moe_route, moe_experts, add_sigmoid_scaled) against
// the CPU reference ops, and the three replayed from a CUDA graph with new inputs.
//
// moe_route: ids must equal the reference's exactly, for BF16 and F32 logits (BF16 values either
// way, so the reference sees the same numbers), with exact ties, rows of equal logits and -inf
// logits; weights are an F32 softmax, a few ulps per expert summed. moe_experts: the stacked
// views are uploaded back to back as the model does (expert e's gate rows then its up rows); awkward
// sizes (1, 7 and 33 tokens; 1, 5 and 8 experts; top_k 1 to 3; hidden 24 / intermediate 40,
// 33 / 7 for the element paths, 64 / 48 for the 16-byte paths, and weights at a 2-byte offset),
// BF16, F16 and F32 expert weights, routings where every token goes to the same experts and where
// most experts get none. The bound (support/moe_error_bound.h) carries one BF16 ulp (2^-7) per
// stored rounding (gate, up, their product, out) and linear's 1e-4 of the abs sum per projection
// through the expert.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/reference_ops.h"
#include "cuda_test_util.h"
#include "support/moe_error_bound.h"

namespace turbine::test {
namespace {

constexpr double kBf16Ulp = 1.0 / 128;
constexpr float kInf = std::numeric_limits<float>::infinity();

std::string moe_name(const char* op, int64_t tokens, int num_experts, int top_k) {
  return std::string(op) + " tokens " + std::to_string(tokens) + " experts " + std::to_string(num_experts) +
         " top_k " + std::to_string(top_k);
}

// An I32 tensor in device memory.
struct DeviceInts {
  DeviceBuffer buffer;
  Tensor t;
  DeviceInts(Backend& b, int64_t rows, int64_t cols, const std::vector<int32_t>& values) {
    buffer = upload_ints(b, values.empty() ? std::vector<int32_t>(size_t(rows * cols), -7) : values);
    t = Tensor{buffer.data(), DType::kI32, rows, cols};
  }
  std::vector<int32_t> download(Backend& b) const {
    std::vector<int32_t> v(size_t(t.numel()));
    b.copy_to_host(v.data(), t.data, v.size() * sizeof(int32_t));
    return v;
  }
};

// BF16 logits in [-4, 4] with the rows that test the order (as the CPU test): an exact tie for the
// best in row 1 of every 4, all equal in row 2, -inf logits and a tie in row 3.
std::vector<float> router_logits(std::mt19937& rng, int64_t tokens, int num_experts) {
  std::vector<float> l = random_bf16(rng, tokens * num_experts, -4.0f, 4.0f);
  const int n = num_experts;
  for (int64_t t = 0; t < tokens; ++t) {
    float* row = l.data() + t * n;
    switch (t % 4) {
      case 1: row[0] = row[n - 1] = round_bf16(*std::max_element(row, row + n) + 1.0f); break;
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

using CudaMoe = CudaTest;

TEST_F(CudaMoe, RouteMatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(71);
  for (int num_experts : {1, 5, 8, 60, 128, 256}) {
    std::vector<int> top_ks = {1, 2, 3, 8, num_experts};
    std::sort(top_ks.begin(), top_ks.end());
    top_ks.erase(std::unique(top_ks.begin(), top_ks.end()), top_ks.end());
    for (int top_k : top_ks) {
      if (top_k > num_experts) continue;
      for (int64_t tokens : {1, 7, 33}) {
        std::vector<float> logits = router_logits(rng, tokens, num_experts);
        for (bool renormalize : {false, true}) {
          std::vector<int32_t> ref_ids(size_t(tokens * top_k));
          std::vector<float> ref_w(size_t(tokens * top_k));
          Tensor ri{ref_ids.data(), DType::kI32, tokens, top_k}, rw = f32_view(ref_w, tokens, top_k);
          reference::moe_route(f32_view(logits, tokens, num_experts), top_k, renormalize, ri, rw);
          for (DType dtype : {DType::kBF16, DType::kF32}) {
            const std::string what = moe_name("moe_route", tokens, num_experts, top_k) + " " +
                                     std::string(dtype_name(dtype)) + (renormalize ? " renormalized" : "");
            const DeviceTensor l(b, dtype, tokens, num_experts, logits);
            DeviceInts ids(b, tokens, top_k, {});
            DeviceTensor w = DeviceTensor::poisoned(b, DType::kF32, tokens, top_k);
            b.moe_route(l.t, top_k, renormalize, ids.t, w.t);
            EXPECT_EQ(ids.download(b), ref_ids) << what;
            // exp of a rounded difference (CUDA's expf: 2 ulps), the sum over the experts, the
            // division and the renormalisation.
            expect_close(w.download(b), ref_w, (16.0 + 2.0 * num_experts) * FLT_EPSILON, 1e-30, what + " weights");
          }
        }
      }
    }
  }
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

Routing route(int64_t tokens, int num_experts, int top_k, std::vector<float> logits) {
  Routing r;
  r.ids.resize(size_t(tokens * top_k));
  r.weights.resize(size_t(tokens * top_k));
  Tensor ids{r.ids.data(), DType::kI32, tokens, top_k}, w = f32_view(r.weights, tokens, top_k);
  reference::moe_route(f32_view(logits, tokens, num_experts), top_k, true, ids, w);
  return r;
}

// BF16 values that F16 also holds exactly (zero below 2^-10), so one reference serves every dtype.
std::vector<float> expert_values(std::mt19937& rng, int64_t n) {
  std::vector<float> v = random_bf16(rng, n);
  for (float& x : v)
    if (std::fabs(x) < 1.0f / 1024) x = 0.0f;
  return v;
}

// One layer's experts: the values, host F32 tensors for the reference, and the stacked layout the
// model uploads.
struct Experts {
  int num_experts;
  int64_t hidden, inter;
  std::vector<std::vector<float>> gate, up, down;
  std::vector<HostTensor> host;
  MoeExpertWeights host_weights;
  std::vector<float> gate_up_stacked, down_stacked;

  Experts(std::mt19937& rng, int e_count, int64_t h, int64_t i) : num_experts(e_count), hidden(h), inter(i) {
    host_weights.num_experts = num_experts;
    host_weights.hidden = hidden;
    host_weights.intermediate = inter;
    for (int e = 0; e < num_experts; ++e) {
      gate.push_back(expert_values(rng, inter * hidden));
      up.push_back(expert_values(rng, inter * hidden));
      down.push_back(expert_values(rng, hidden * inter));
      gate_up_stacked.insert(gate_up_stacked.end(), gate.back().begin(), gate.back().end());
      gate_up_stacked.insert(gate_up_stacked.end(), up.back().begin(), up.back().end());
      down_stacked.insert(down_stacked.end(), down.back().begin(), down.back().end());
    }
    host.reserve(size_t(3 * num_experts));  // the views below point into these
    for (int e = 0; e < num_experts; ++e) {
      host.emplace_back(DType::kF32, inter, hidden, gate[size_t(e)]);
      host_weights.gate.push_back(host.back().t);
      host.emplace_back(DType::kF32, inter, hidden, up[size_t(e)]);
      host_weights.up.push_back(host.back().t);
      host.emplace_back(DType::kF32, hidden, inter, down[size_t(e)]);
      host_weights.down.push_back(host.back().t);
    }
  }

  std::vector<float> reference(const std::vector<float>& x, const Routing& r, int top_k) const {
    const int64_t tokens = int64_t(r.ids.size()) / top_k;
    std::vector<float> xv = x, w = r.weights, out(size_t(tokens * hidden));
    std::vector<int32_t> ids = r.ids;
    Tensor it{ids.data(), DType::kI32, tokens, top_k}, ot = f32_view(out, tokens, hidden);
    reference::moe_experts(f32_view(xv, tokens, hidden), it, f32_view(w, tokens, top_k), host_weights, ot);
    return out;
  }
};

// The device copy: stacked views only (the CUDA backend reads nothing else), at `offset_bytes`.
struct DeviceExperts {
  DeviceTensor gate_up, down;
  MoeExpertWeights weights;
  DeviceExperts(Backend& b, const Experts& e, DType dtype, size_t offset_bytes = 0)
      : gate_up(b, dtype, int64_t(e.num_experts) * 2 * e.inter, e.hidden, e.gate_up_stacked, offset_bytes),
        down(b, dtype, int64_t(e.num_experts) * e.hidden, e.inter, e.down_stacked, offset_bytes) {
    weights.num_experts = e.num_experts;
    weights.hidden = e.hidden;
    weights.intermediate = e.inter;
    weights.gate_up_stacked = gate_up.t;
    weights.down_stacked = down.t;
  }
};

double check_experts(Backend& b, std::mt19937& rng, int64_t tokens, int num_experts, int top_k, int64_t hidden,
                     int64_t inter) {
  const Experts experts(rng, num_experts, hidden, inter);
  const std::vector<float> x = random_bf16(rng, tokens * hidden, -2.0f, 2.0f);
  std::vector<std::pair<std::string, Routing>> routings;
  routings.push_back({"routed", route(tokens, num_experts, top_k, random_floats(rng, tokens * num_experts, -3, 3))});
  std::vector<int32_t> hot_first;
  for (int e = num_experts - 1; e >= 0; --e) hot_first.push_back(e);
  routings.push_back({"all to one expert", pick_routing(rng, tokens, top_k, hot_first, 0)});
  std::vector<int32_t> sparse;
  for (int e = 0; e < num_experts; e += 3) sparse.push_back(e);
  if (int(sparse.size()) >= top_k) routings.push_back({"most experts idle", pick_routing(rng, tokens, top_k, sparse, 1)});

  double worst = 0.0;
  const DeviceTensor dx(b, DType::kBF16, tokens, hidden, x);
  for (const auto& [routing_name, r] : routings) {
    const std::vector<float> expected = experts.reference(x, r, top_k);
    const std::vector<double> bound =
        moe_experts_error_bound(x, r.ids, r.weights, top_k, experts.host_weights, expected, kBf16Ulp, 1e-4, 1e-6);
    DeviceInts ids(b, tokens, top_k, r.ids);
    const DeviceTensor w(b, DType::kF32, tokens, top_k, r.weights);
    for (auto [dtype, offset] : std::vector<std::pair<DType, size_t>>{
             {DType::kBF16, 0}, {DType::kBF16, 2}, {DType::kF16, 0}, {DType::kF32, 0}, {DType::kF32, 4}}) {
      const DeviceExperts de(b, experts, dtype, offset);
      DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, tokens, hidden);
      b.moe_experts(dx.t, ids.t, w.t, de.weights, out.t);
      const std::vector<float> got = out.download(b);
      const std::string what = moe_name("moe_experts", tokens, num_experts, top_k) + " " + std::to_string(hidden) +
                               "x" + std::to_string(inter) + " " + routing_name + " " + std::string(dtype_name(dtype)) +
                               " offset " + std::to_string(offset);
      int failures = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        const double err = std::fabs(double(got[i]) - expected[i]);
        worst = std::max(worst, err / bound[i]);
        if (!(err <= bound[i]) && failures++ < 5)
          ADD_FAILURE() << what << ": element " << i << " is " << got[i] << ", expected " << expected[i] << " +- "
                        << bound[i];
      }
      EXPECT_EQ(failures, 0) << what;
      if (failures > 0) return worst;
    }
  }
  return worst;
}

TEST_F(CudaMoe, ExpertsMatchReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(72);
  for (auto [hidden, inter] : std::vector<std::pair<int64_t, int64_t>>{{24, 40}, {33, 7}, {64, 48}}) {
    double worst = 0.0;
    for (int num_experts : {1, 5, 8}) {
      for (int top_k : {1, 2, 3}) {
        if (top_k > num_experts) continue;
        for (int64_t tokens : {1, 7, 33}) {
          worst = std::max(worst, check_experts(b, rng, tokens, num_experts, top_k, hidden, inter));
        }
      }
    }
    std::printf("[ stats    ] moe_experts hidden %lld intermediate %lld: worst error %.3f of its bound\n",
                static_cast<long long>(hidden), static_cast<long long>(inter), worst);
  }
}

// Qwen3-30B-A3B's routing (128 experts, top 8) at narrower widths; Mixtral's top 2 of 8 with
// Qwen2-MoE's 1408-wide experts (long dot products on both kernels).
TEST_F(CudaMoe, ExpertsAtModelShapes) {
  Backend& b = cuda_backend();
  std::mt19937 rng(73);
  std::printf("[ stats    ] moe_experts 128 experts top 8: worst error %.3f of its bound\n",
              check_experts(b, rng, 40, 128, 8, 256, 96));
  std::printf("[ stats    ] moe_experts 8 experts top 2, 512 x 1408: worst error %.3f of its bound\n",
              check_experts(b, rng, 5, 8, 2, 512, 1408));
}

TEST_F(CudaMoe, AddSigmoidScaledMatchesReference) {
  Backend& b = cuda_backend();
  std::mt19937 rng(74);
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{1, 1}, {7, 24}, {5, 17}, {33, 896}, {40, 2048}}) {
    for (DType gate_dtype : {DType::kBF16, DType::kF32}) {
      const std::vector<float> x = random_bf16(rng, rows * cols, -4.0f, 4.0f);
      const std::vector<float> y = random_bf16(rng, rows * cols, -4.0f, 4.0f);
      std::vector<float> g = random_bf16(rng, rows, -8.0f, 8.0f);
      const float extremes[] = {-100.0f, 100.0f, 0.0f, -0.0f, 1e-30f, 20.0f, -20.0f};
      for (size_t i = 0; i < g.size() && i < std::size(extremes); ++i) g[i] = round_bf16(extremes[i]);
      std::vector<float> expected = x, yv = y;
      Tensor rx = f32_view(expected, rows, cols);
      reference::add_sigmoid_scaled(rx, f32_view(yv, rows, cols), f32_view(g, rows, 1));
      // F32 arithmetic before the one rounding: a few F32 ulps of the terms.
      std::vector<double> extra(expected.size());
      for (size_t i = 0; i < extra.size(); ++i) {
        const double s = 1.0 / (1.0 + std::exp(-double(g[i / size_t(cols)])));
        extra[i] = 4.0 * FLT_EPSILON * (std::fabs(x[i]) + s * std::fabs(y[i]));
      }
      DeviceTensor dx(b, DType::kBF16, rows, cols, x);
      const DeviceTensor dy(b, DType::kBF16, rows, cols, y), dg(b, gate_dtype, rows, 1, g);
      b.add_sigmoid_scaled(dx.t, dy.t, dg.t);
      expect_close(dx.download(b), expected, kBf16Ulp, 1e-30,
                   "add_sigmoid_scaled [" + std::to_string(rows) + ", " + std::to_string(cols) + "] gate " +
                       std::string(dtype_name(gate_dtype)),
                   &extra);
    }
  }
}

// The three ops captured once and replayed with new logits, inputs and gates: the routing is read
// on the device, so the same graph serves any routing. A backend of its own, so that its graph does
// not stop the shared backend's attention workspace from growing in later tests.
TEST_F(CudaMoe, ReplayedFromACapturedGraph) {
  std::unique_ptr<Backend> owned = make_cuda_backend(CudaBackendOptions{});
  Backend& b = *owned;
  ASSERT_TRUE(b.supports_graphs());
  std::mt19937 rng(75);
  const int64_t tokens = 9, hidden = 64, inter = 40;
  const int num_experts = 8, top_k = 2;
  const Experts experts(rng, num_experts, hidden, inter);
  const DeviceExperts de(b, experts, DType::kBF16);
  DeviceTensor logits(b, DType::kF32, tokens, num_experts, std::vector<float>(size_t(tokens * num_experts), 0.0f));
  DeviceTensor x(b, DType::kBF16, tokens, hidden, std::vector<float>(size_t(tokens * hidden), 0.0f));
  DeviceTensor y(b, DType::kBF16, tokens, hidden, std::vector<float>(size_t(tokens * hidden), 0.0f));
  DeviceTensor gate(b, DType::kBF16, tokens, 1, std::vector<float>(size_t(tokens), 0.0f));
  DeviceInts ids(b, tokens, top_k, {});
  DeviceTensor w = DeviceTensor::poisoned(b, DType::kF32, tokens, top_k);
  DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, tokens, hidden);
  const auto step = [&] {
    b.moe_route(logits.t, top_k, true, ids.t, w.t);
    b.moe_experts(x.t, ids.t, w.t, de.weights, out.t);
    b.add_sigmoid_scaled(out.t, y.t, gate.t);
  };
  step();  // warm-up: sizes the scratch
  b.synchronize();
  b.begin_capture();
  step();
  const int graph = b.end_capture();

  for (int round = 0; round < 3; ++round) {
    const std::vector<float> lv = random_bf16(rng, tokens * num_experts, -3.0f, 3.0f);
    const std::vector<float> xv = random_bf16(rng, tokens * hidden, -2.0f, 2.0f);
    const std::vector<float> yv = random_bf16(rng, tokens * hidden, -1.0f, 1.0f);
    const std::vector<float> gv = random_bf16(rng, tokens, -4.0f, 4.0f);
    const HostTensor hl(DType::kF32, tokens, num_experts, lv), hx(DType::kBF16, tokens, hidden, xv),
        hy(DType::kBF16, tokens, hidden, yv), hg(DType::kBF16, tokens, 1, gv);
    b.copy_to_device(logits.t.data, hl.bytes.data(), hl.bytes.size());
    b.copy_to_device(x.t.data, hx.bytes.data(), hx.bytes.size());
    b.copy_to_device(y.t.data, hy.bytes.data(), hy.bytes.size());
    b.copy_to_device(gate.t.data, hg.bytes.data(), hg.bytes.size());
    b.replay(graph);
    b.synchronize();

    const Routing r = route(tokens, num_experts, top_k, lv);
    EXPECT_EQ(ids.download(b), r.ids) << "round " << round;
    const std::vector<float> experts_out = experts.reference(xv, r, top_k);
    const std::vector<double> bound =
        moe_experts_error_bound(xv, r.ids, r.weights, top_k, experts.host_weights, experts_out, kBf16Ulp, 1e-4, 1e-6);
    // out = bf16(experts) + sigmoid(g) * y, rounded again: the experts' bound plus one more ulp.
    std::vector<float> expected = experts_out, yc = yv, gc = gv;
    Tensor et = f32_view(expected, tokens, hidden);
    reference::add_sigmoid_scaled(et, f32_view(yc, tokens, hidden), f32_view(gc, tokens, 1));
    std::vector<double> extra(bound.size());
    for (size_t i = 0; i < extra.size(); ++i) extra[i] = bound[i] + kBf16Ulp * std::fabs(experts_out[i]);
    expect_close(out.download(b), expected, kBf16Ulp, 1e-6, "moe layer replayed, round " + std::to_string(round),
                 &extra);
  }
}

using CudaMoeDeathTest = CudaDeathTest;

TEST_F(CudaMoeDeathTest, BadArgumentsAbort) {
  const auto big_top_k = [] {
    Backend& b = cuda_backend();
    const DeviceTensor l(b, DType::kBF16, 2, 3, std::vector<float>(6, 0.0f));
    DeviceInts ids(b, 2, 4, {});
    DeviceTensor w = DeviceTensor::poisoned(b, DType::kF32, 2, 4);
    b.moe_route(l.t, 4, true, ids.t, w.t);
  };
  EXPECT_DEATH(big_top_k(), "moe_route: top_k 4 is outside");
  const auto unstacked = [] {
    Backend& b = cuda_backend();
    std::mt19937 rng(76);
    const Experts experts(rng, 3, 8, 4);
    const DeviceTensor x(b, DType::kBF16, 2, 8, std::vector<float>(16, 1.0f));
    DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, 2, 8);
    DeviceInts ids(b, 2, 1, {0, 1});
    const DeviceTensor w(b, DType::kF32, 2, 1, {1.0f, 1.0f});
    b.moe_experts(x.t, ids.t, w.t, experts.host_weights, out.t);  // per-expert host tensors only
  };
  EXPECT_DEATH(unstacked(), "moe_experts: the CUDA backend reads the stacked expert weights");
  const auto bad_id = [] {
    Backend& b = cuda_backend();
    std::mt19937 rng(77);
    const Experts experts(rng, 8, 8, 4);
    const DeviceExperts de(b, experts, DType::kBF16);
    const DeviceTensor x(b, DType::kBF16, 2, 8, std::vector<float>(16, 1.0f));
    DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, 2, 8);
    DeviceInts ids(b, 2, 2, {0, 1, 2, 9});
    const DeviceTensor w(b, DType::kF32, 2, 2, {0.5f, 0.5f, 0.5f, 0.5f});
    b.moe_experts(x.t, ids.t, w.t, de.weights, out.t);
    b.synchronize();
  };
  EXPECT_DEATH(bad_id(), "moe_experts: expert id 9 at 3 ");
  const auto grows_while_capturing = [] {
    std::unique_ptr<Backend> owned = make_cuda_backend(CudaBackendOptions{});
    Backend& b = *owned;
    std::mt19937 rng(78);
    const Experts experts(rng, 4, 8, 16);
    const DeviceExperts de(b, experts, DType::kBF16);
    const DeviceTensor x(b, DType::kBF16, 3, 8, std::vector<float>(24, 1.0f));
    DeviceTensor out = DeviceTensor::poisoned(b, DType::kBF16, 3, 8);
    DeviceInts ids(b, 3, 1, {0, 1, 2});
    const DeviceTensor w(b, DType::kF32, 3, 1, {1.0f, 1.0f, 1.0f});
    b.begin_capture();  // no warm-up: the scratch would have to grow inside the capture
    b.moe_experts(x.t, ids.t, w.t, de.weights, out.t);
  };
  EXPECT_DEATH(grows_while_capturing(), "while a CUDA graph is being captured");
  const auto f16_gate = [] {
    Backend& b = cuda_backend();
    DeviceTensor x(b, DType::kBF16, 2, 8, std::vector<float>(16, 1.0f));
    const DeviceTensor y(b, DType::kBF16, 2, 8, std::vector<float>(16, 1.0f));
    const DeviceTensor g(b, DType::kF16, 2, 1, {1.0f, 1.0f});
    b.add_sigmoid_scaled(x.t, y.t, g.t);
  };
  EXPECT_DEATH(f16_gate(), "add_sigmoid_scaled: gate must be BF16 or F32");
}

}  // namespace
}  // namespace turbine::test
