// The error bound of a backend's moe_experts against reference::moe_experts, shared by the CPU and
// CUDA conformance tests.
//
// An expert computes g = x gate^T, u = x up^T, a = silu(g) * u, d = a down^T, and out sums w * d
// over the token's experts. A backend's g and u may differ from the exact ones by
//   dg = rho |g| + eps sum_i |x_i gate_ri|     (rho: the rounding of the stored value, eps: the
//                                               accumulation's error relative to its abs sum)
// which moves a by at most silu'(g) dg |u| + |silu(g)| du + dg du (|silu'| <= 1.1) plus its own
// rounding rho |a|; the down projection adds eps sum_r |a_r down_hr| and carries sum_r |down_hr| da_r;
// out's rounding adds rho |out|. `abs` covers the rest (underflow, the sum over experts).
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include "backend/cpu/reference_ops.h"
#include "backend/moe_weights.h"

namespace turbine::test {

// x: [tokens, hidden] (the values the backend saw), ids / weights: [tokens, top_k], experts: host
// tensors, expected: reference::moe_experts's out. One bound per element of out.
inline std::vector<double> moe_experts_error_bound(const std::vector<float>& x, const std::vector<int32_t>& ids,
                                                   const std::vector<float>& weights, int top_k,
                                                   const MoeExpertWeights& experts,
                                                   const std::vector<float>& expected, double rho, double eps,
                                                   double abs) {
  const int64_t hidden = experts.hidden, inter = experts.intermediate;
  const int64_t tokens = int64_t(ids.size()) / top_k;
  std::vector<double> bound(size_t(tokens * hidden), 0.0);
  std::vector<double> a(static_cast<size_t>(inter)), da(static_cast<size_t>(inter));
  for (int64_t t = 0; t < tokens; ++t) {
    const float* xr = x.data() + t * hidden;
    for (int j = 0; j < top_k; ++j) {
      const int e = ids[size_t(t * top_k + j)];
      const double w = std::fabs(double(weights[size_t(t * top_k + j)]));
      const Tensor &gate = experts.gate[size_t(e)], &up = experts.up[size_t(e)], &down = experts.down[size_t(e)];
      for (int64_t r = 0; r < inter; ++r) {
        double g = 0, u = 0, g_abs = 0, u_abs = 0;
        for (int64_t i = 0; i < hidden; ++i) {
          const double wg = reference::element(gate, r * hidden + i), wu = reference::element(up, r * hidden + i);
          g += xr[i] * wg, u += xr[i] * wu;
          g_abs += std::fabs(xr[i] * wg), u_abs += std::fabs(xr[i] * wu);
        }
        const double silu = g / (1.0 + std::exp(-g));
        const double dg = rho * std::fabs(g) + eps * g_abs, du = rho * std::fabs(u) + eps * u_abs;
        a[size_t(r)] = silu * u;
        da[size_t(r)] = 1.1 * dg * std::fabs(u) + std::fabs(silu) * du + 1.1 * dg * du + rho * std::fabs(silu * u);
      }
      for (int64_t h = 0; h < hidden; ++h) {
        double a_abs = 0, carried = 0;
        for (int64_t r = 0; r < inter; ++r) {
          const double wd = std::fabs(reference::element(down, h * inter + r));
          a_abs += std::fabs(a[size_t(r)]) * wd;
          carried += wd * da[size_t(r)];
        }
        bound[size_t(t * hidden + h)] += w * (eps * a_abs + carried);
      }
    }
    for (int64_t h = 0; h < hidden; ++h) {
      bound[size_t(t * hidden + h)] += rho * std::fabs(double(expected[size_t(t * hidden + h)])) + abs;
    }
  }
  return bound;
}

}  // namespace turbine::test
