#include "backend/cpu/reference_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "backend/cpu/op_checks.h"
#include "common/error.h"

namespace turbine::reference {
namespace {

float* row_f32(const Tensor& t, int64_t r) { return t.as<float>() + r * t.cols; }

double row_inv_rms(const float* x, int64_t n, float eps) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += double(x[i]) * x[i];
  return 1.0 / std::sqrt(sum / double(n) + eps);
}

void normalize_row(const float* x, const Tensor& weight, float eps, float* out, int64_t n) {
  const double r = row_inv_rms(x, n, eps);
  for (int64_t i = 0; i < n; ++i) out[i] = float(double(x[i]) * r * element(weight, i));
}

}  // namespace

double element(const Tensor& t, int64_t i) {
  switch (t.dtype) {
    case DType::kF32: return t.as<const float>()[i];
    case DType::kBF16: return bf16_to_f32(t.as<const uint16_t>()[i]);
    case DType::kF16: return f16_to_f32(t.as<const uint16_t>()[i]);
    default: break;  // compute dtypes only: the op checks refuse storage dtypes
  }
  return 0.0;
}

void embedding(const Tensor& table, const int32_t* ids, Tensor& out) {
  cpu::check_embedding_shapes(table, out);
  cpu::check_embedding_indices(table, ids, out.rows);
  for (int64_t r = 0; r < out.rows; ++r) {
    for (int64_t c = 0; c < out.cols; ++c) row_f32(out, r)[c] = float(element(table, int64_t(ids[r]) * table.cols + c));
  }
}

void rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) {
  cpu::check_rms_norm_shapes("rms_norm", x, weight, out);
  for (int64_t r = 0; r < x.rows; ++r) normalize_row(row_f32(x, r), weight, eps, row_f32(out, r), x.cols);
}

void add_rms_norm(Tensor& residual, const Tensor& x, const Tensor& weight, float eps, Tensor& out) {
  cpu::check_same_shape("add_rms_norm", residual, x);
  cpu::check_rms_norm_shapes("add_rms_norm", residual, weight, out);
  for (int64_t r = 0; r < x.rows; ++r) {
    float* res = row_f32(residual, r);
    const float* xr = row_f32(x, r);
    for (int64_t c = 0; c < x.cols; ++c) res[c] += xr[c];
    normalize_row(res, weight, eps, row_f32(out, r), x.cols);
  }
}

// Two passes in double: the mean, then the mean of squared deviations from it (no cancellation
// however far the mean is from zero).
void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& out) {
  cpu::check_layer_norm_shapes(x, weight, bias, out);
  const int64_t n = x.cols;
  for (int64_t r = 0; r < x.rows; ++r) {
    const float* xr = row_f32(x, r);
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) sum += xr[i];
    const double mean = sum / double(n);
    double sq = 0.0;
    for (int64_t i = 0; i < n; ++i) sq += (xr[i] - mean) * (xr[i] - mean);
    const double inv_std = 1.0 / std::sqrt(sq / double(n) + eps);
    float* o = row_f32(out, r);  // may alias x: each element is read before it is written
    for (int64_t i = 0; i < n; ++i) {
      const double b = bias.data != nullptr ? element(bias, i) : 0.0;
      o[i] = float((xr[i] - mean) * inv_std * element(weight, i) + b);
    }
  }
}

void linear(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor& out) {
  cpu::check_linear_shapes(x, weight, bias, out);
  const int64_t k = x.cols;
  std::vector<double> w(static_cast<size_t>(k));
  for (int64_t c = 0; c < weight.rows; ++c) {
    for (int64_t i = 0; i < k; ++i) w[size_t(i)] = element(weight, c * k + i);
    const double b = bias ? element(*bias, c) : 0.0;
    for (int64_t r = 0; r < x.rows; ++r) {
      const float* xr = row_f32(x, r);
      double sum = 0.0;
      for (int64_t i = 0; i < k; ++i) sum += xr[i] * w[size_t(i)];
      row_f32(out, r)[c] = float(sum + b);
    }
  }
}

double linear_abs_sum(const Tensor& x, const Tensor& weight, int64_t r, int64_t c) {
  double sum = 0.0;
  for (int64_t i = 0; i < x.cols; ++i) sum += std::abs(element(x, r * x.cols + i) * element(weight, c * weight.cols + i));
  return sum;
}

void rope(Tensor& x, int head_dim, const Tensor& cos_sin) {
  cpu::check_rope_shapes(x, head_dim, cos_sin);
  const int64_t half = cos_sin.cols / 2;  // elements [2 * half, head_dim) are not touched
  for (int64_t r = 0; r < x.rows; ++r) {
    const float* cs = row_f32(cos_sin, r);
    for (int64_t h = 0; h < x.cols / head_dim; ++h) {
      float* x1 = row_f32(x, r) + h * head_dim;
      float* x2 = x1 + half;
      for (int64_t i = 0; i < half; ++i) {
        const double a = x1[i], b = x2[i], c = cs[i], s = cs[half + i];
        x1[i] = float(a * c - b * s);
        x2[i] = float(b * c + a * s);
      }
    }
  }
}

void silu_mul(const Tensor& gate, const Tensor& up, Tensor& out) {
  cpu::check_same_shape("silu_mul", gate, up);
  cpu::check_same_shape("silu_mul", gate, out);
  const float* g = gate.as<const float>();
  const float* u = up.as<const float>();
  float* o = out.as<float>();
  for (int64_t i = 0; i < gate.numel(); ++i) {
    const double gi = g[i];
    o[i] = float(gi / (1.0 + std::exp(-gi)) * u[i]);
  }
}

double gelu(double x) {
  // 1 + erf(y) = erfc(-y): no cancellation for negative x.
  constexpr double kInvSqrt2 = 0.70710678118654752440;
  return 0.5 * x * std::erfc(-x * kInvSqrt2);
}

void gelu(Tensor& x) {
  cpu::check_elementwise("gelu", x);
  float* p = x.as<float>();
  for (int64_t i = 0; i < x.numel(); ++i) p[i] = float(gelu(double(p[i])));
}

void silu_mul_fused(const Tensor& gate_up, Tensor& out) {
  TURBINE_CHECK(gate_up.dtype == DType::kF32 && out.dtype == DType::kF32 && gate_up.rows == out.rows &&
                    gate_up.cols == 2 * out.cols,
                "silu_mul_fused: gate_up [{}, {}] and out [{}, {}]", gate_up.rows, gate_up.cols, out.rows, out.cols);
  for (int64_t r = 0; r < out.rows; ++r) {
    const float* g = row_f32(gate_up, r);
    const float* u = g + out.cols;
    float* o = row_f32(out, r);
    for (int64_t i = 0; i < out.cols; ++i) {
      const double gi = g[i];
      o[i] = float(gi / (1.0 + std::exp(-gi)) * u[i]);
    }
  }
}

double gelu_tanh(double x) {
  // 1 + tanh(u) = 2 / (1 + e^(-2u)), so 0.5 x (1 + tanh(u)) = x / (1 + e^(-2u)).
  constexpr double kSqrt2OverPi = 0.79788456080286535588;  // sqrt(2 / pi)
  const double u = kSqrt2OverPi * (x + 0.044715 * x * x * x);
  return x / (1.0 + std::exp(-2.0 * u));
}

void gelu_tanh_mul(const Tensor& gate, const Tensor& up, Tensor& out) {
  cpu::check_same_shape("gelu_tanh_mul", gate, up);
  cpu::check_same_shape("gelu_tanh_mul", gate, out);
  const float* g = gate.as<const float>();
  const float* u = up.as<const float>();
  float* o = out.as<float>();
  for (int64_t i = 0; i < gate.numel(); ++i) o[i] = float(gelu_tanh(g[i]) * u[i]);
}

void gelu_tanh_mul_fused(const Tensor& gate_up, Tensor& out) {
  cpu::check_gate_up_shapes("gelu_tanh_mul_fused", gate_up, out);
  for (int64_t r = 0; r < out.rows; ++r) {
    const float* g = row_f32(gate_up, r);
    const float* u = g + out.cols;
    float* o = row_f32(out, r);
    for (int64_t i = 0; i < out.cols; ++i) o[i] = float(gelu_tanh(g[i]) * u[i]);
  }
}

void scale(Tensor& x, float s) {
  cpu::check_elementwise("scale", x);
  float* p = x.as<float>();
  for (int64_t i = 0; i < x.numel(); ++i) p[i] = float(double(p[i]) * s);
}

void softcap(Tensor& x, float cap) {
  cpu::check_elementwise("softcap", x);
  cpu::check_softcap(cap);
  float* p = x.as<float>();
  for (int64_t i = 0; i < x.numel(); ++i) p[i] = float(double(cap) * std::tanh(double(p[i]) / cap));
}

// The composition it replaces: split the columns, rope q and k, write k and v.
void qkv_rope_write_kv(const Tensor& qkv, const Tensor& cos_sin, int num_heads, int num_kv_heads, int head_dim,
                       const QkHeadNorm& head_norm, const AttentionBatch& batch, KvCacheLayer& cache, Tensor& q) {
  const int64_t q_cols = int64_t(num_heads) * head_dim, kv_cols = int64_t(num_kv_heads) * head_dim;
  TURBINE_CHECK(qkv.dtype == DType::kF32 && q.dtype == DType::kF32 && qkv.cols == q_cols + 2 * kv_cols &&
                    q.cols == q_cols && q.rows == qkv.rows && qkv.rows == batch.num_tokens,
                "qkv_rope_write_kv: qkv [{}, {}], q [{}, {}], {} heads / {} kv heads of {}", qkv.rows, qkv.cols, q.rows,
                q.cols, num_heads, num_kv_heads, head_dim);
  std::vector<float> k(size_t(qkv.rows * kv_cols)), v(k.size());
  for (int64_t r = 0; r < qkv.rows; ++r) {
    const float* src = row_f32(qkv, r);
    std::memcpy(row_f32(q, r), src, size_t(q_cols) * sizeof(float));
    std::memcpy(k.data() + r * kv_cols, src + q_cols, size_t(kv_cols) * sizeof(float));
    std::memcpy(v.data() + r * kv_cols, src + q_cols + kv_cols, size_t(kv_cols) * sizeof(float));
  }
  Tensor kt{k.data(), DType::kF32, qkv.rows, kv_cols}, vt{v.data(), DType::kF32, qkv.rows, kv_cols};
  if (head_norm.enabled()) {  // per head: views [tokens * heads, head_dim], normalised in place
    TURBINE_CHECK(head_norm.k_weight != nullptr, "qkv_rope_write_kv: a q norm without a k norm");
    Tensor qh = q.reshaped(head_dim), kh = kt.reshaped(head_dim);
    rms_norm(qh, *head_norm.q_weight, head_norm.eps, qh);
    rms_norm(kh, *head_norm.k_weight, head_norm.eps, kh);
  }
  rope(q, head_dim, cos_sin);
  rope(kt, head_dim, cos_sin);
  write_kv(kt, vt, batch, cache);
}

void add(Tensor& x, const Tensor& y) {
  cpu::check_same_shape("add", x, y);
  for (int64_t i = 0; i < x.numel(); ++i) x.as<float>()[i] += y.as<const float>()[i];
}

void write_kv(const Tensor& k, const Tensor& v, const AttentionBatch& batch, KvCacheLayer& cache) {
  cpu::check_write_kv_shapes(k, v, batch, cache);
  cpu::check_write_kv_indices(batch, cache);
  for (int t = 0; t < batch.num_tokens; ++t) {
    const int32_t slot = batch.slot_mapping[t];
    if (slot < 0) continue;
    std::memcpy(row_f32(cache.k, slot), row_f32(k, t), k.row_bytes());
    std::memcpy(row_f32(cache.v, slot), row_f32(v, t), v.row_bytes());
  }
}

void attention(const Tensor& q, const KvCacheLayer& cache, const AttentionBatch& batch, const AttentionShape& shape,
               Tensor& out) {
  cpu::check_attention_shapes(q, cache, batch, shape, out);
  cpu::check_attention_indices(cache, batch, shape);
  const int d = shape.head_dim;
  const int group = shape.num_heads / shape.num_kv_heads;
  std::vector<double> scores, acc(static_cast<size_t>(d));
  for (int s = 0; s < batch.num_seqs; ++s) {
    const int64_t q_begin = batch.query_start[s], q_len = batch.query_start[s + 1] - q_begin;
    const int64_t seq_len = batch.seq_lens[s];
    const int32_t* table = batch.block_tables + int64_t(s) * batch.max_blocks_per_seq;
    for (int64_t j = 0; j < q_len; ++j) {
      const int64_t pos = cpu::attention_query_position(seq_len, q_len, j);
      const int64_t first = cpu::attention_window_start(pos, shape.sliding_window);
      for (int h = 0; h < shape.num_heads; ++h) {
        const int kv_head = h / group;
        const float* qh = row_f32(q, q_begin + j) + int64_t(h) * d;
        scores.assign(size_t(pos - first + 1), 0.0);
        double max_score = -std::numeric_limits<double>::infinity();
        for (int64_t p = first; p <= pos; ++p) {
          const int64_t slot = int64_t(table[p / shape.block_size]) * shape.block_size + p % shape.block_size;
          const float* kp = row_f32(cache.k, slot) + int64_t(kv_head) * d;
          double dot = 0.0;
          for (int i = 0; i < d; ++i) dot += double(qh[i]) * kp[i];
          double score = dot * shape.scale;
          if (shape.logit_softcap > 0.0f) score = double(shape.logit_softcap) * std::tanh(score / shape.logit_softcap);
          scores[size_t(p - first)] = score;
          max_score = std::max(max_score, score);
        }
        double denom = 0.0;
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t p = first; p <= pos; ++p) {
          const double e = std::exp(scores[size_t(p - first)] - max_score);
          denom += e;
          const int64_t slot = int64_t(table[p / shape.block_size]) * shape.block_size + p % shape.block_size;
          const float* vp = row_f32(cache.v, slot) + int64_t(kv_head) * d;
          for (int i = 0; i < d; ++i) acc[size_t(i)] += e * vp[i];
        }
        float* o = row_f32(out, q_begin + j) + int64_t(h) * d;
        for (int i = 0; i < d; ++i) o[i] = float(acc[size_t(i)] / denom);
      }
    }
  }
}

void gather_rows(const Tensor& x, const int32_t* rows, Tensor& out) {
  cpu::check_gather_rows_shapes(x, out);
  cpu::check_gather_rows_indices(x, rows, out.rows);
  for (int64_t i = 0; i < out.rows; ++i) {
    std::memmove(static_cast<char*>(out.data) + size_t(i) * out.row_bytes(),
                 static_cast<const char*>(x.data) + size_t(rows[i]) * x.row_bytes(), x.row_bytes());
  }
}

// Selection by moe_route_before (the exact p's order), then p in double.
void moe_route(const Tensor& router_logits, int top_k, bool renormalize, Tensor& ids, Tensor& weights) {
  cpu::check_moe_route_shapes(router_logits, top_k, ids, weights);
  const int num_experts = int(router_logits.cols);
  std::vector<int> order(static_cast<size_t>(num_experts));
  for (int64_t t = 0; t < router_logits.rows; ++t) {
    const float* l = row_f32(router_logits, t);
    double max_logit = -std::numeric_limits<double>::infinity();
    for (int e = 0; e < num_experts; ++e) max_logit = std::max(max_logit, double(l[e]));
    double denom = 0.0;
    for (int e = 0; e < num_experts; ++e) denom += std::exp(double(l[e]) - max_logit);
    for (int e = 0; e < num_experts; ++e) order[size_t(e)] = e;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return moe_route_before(l[a], a, l[b], b); });
    std::vector<double> p(static_cast<size_t>(top_k));
    double sum = 0.0;
    for (int j = 0; j < top_k; ++j) {
      p[size_t(j)] = std::exp(double(l[order[size_t(j)]]) - max_logit) / denom;
      sum += p[size_t(j)];
    }
    for (int j = 0; j < top_k; ++j) {
      ids.as<int32_t>()[t * top_k + j] = order[size_t(j)];
      row_f32(weights, t)[j] = float(renormalize ? p[size_t(j)] / sum : p[size_t(j)]);
    }
  }
}

// Token by token and expert by expert, as the definition reads: each projection in double, rounded
// to the activation dtype (F32) where a dense MLP stores it (gate, up, their product); the down
// projections and the weighted sum stay in double and round once.
void moe_experts(const Tensor& x, const Tensor& ids, const Tensor& weights, const MoeExpertWeights& experts,
                 Tensor& out) {
  cpu::check_moe_experts_shapes(x, ids, weights, experts, out);
  cpu::check_moe_expert_ids(ids, experts.num_experts);
  const int64_t hidden = experts.hidden, inter = experts.intermediate, top_k = ids.cols;
  std::vector<float> act(static_cast<size_t>(inter));
  std::vector<double> acc(static_cast<size_t>(hidden));
  for (int64_t t = 0; t < x.rows; ++t) {
    const float* xr = row_f32(x, t);
    std::fill(acc.begin(), acc.end(), 0.0);
    for (int64_t j = 0; j < top_k; ++j) {
      const int e = ids.as<const int32_t>()[t * top_k + j];
      const double w = row_f32(weights, t)[j];
      const Tensor &gate = experts.gate[size_t(e)], &up = experts.up[size_t(e)], &down = experts.down[size_t(e)];
      for (int64_t r = 0; r < inter; ++r) {
        double g = 0.0, u = 0.0;
        for (int64_t i = 0; i < hidden; ++i) {
          g += double(xr[i]) * element(gate, r * hidden + i);
          u += double(xr[i]) * element(up, r * hidden + i);
        }
        const double gf = float(g), uf = float(u);
        act[size_t(r)] = float(gf / (1.0 + std::exp(-gf)) * uf);
      }
      for (int64_t h = 0; h < hidden; ++h) {
        double d = 0.0;
        for (int64_t r = 0; r < inter; ++r) d += double(act[size_t(r)]) * element(down, h * inter + r);
        acc[size_t(h)] += w * d;
      }
    }
    for (int64_t h = 0; h < hidden; ++h) row_f32(out, t)[h] = float(acc[size_t(h)]);
  }
}

void add_sigmoid_scaled(Tensor& x, const Tensor& y, const Tensor& gate) {
  cpu::check_add_sigmoid_scaled_shapes(x, y, gate);
  for (int64_t t = 0; t < x.rows; ++t) {
    const double s = 1.0 / (1.0 + std::exp(-double(gate.as<const float>()[t])));
    float* xr = row_f32(x, t);
    const float* yr = row_f32(y, t);
    for (int64_t i = 0; i < x.cols; ++i) xr[i] = float(double(xr[i]) + s * yr[i]);
  }
}

}  // namespace turbine::reference
