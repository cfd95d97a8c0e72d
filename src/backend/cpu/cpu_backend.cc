#include "backend/cpu/cpu_backend.h"

#include "backend/cpu/reference_ops.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/cpu_linear.h"
#include "backend/cpu/op_checks.h"
#include "backend/cpu/paged_attention.h"
#include "backend/cpu/scratch_buffer.h"
#include "common/error.h"
#include "common/thread_pool.h"

namespace turbine {
namespace {

// Elementwise and per-row ops go to the pool only above this many elements: below it, the
// dispatch costs more than the work.
constexpr int64_t kMinParallelElements = 64 * 1024;
// Allocations this large get 2 MiB alignment and transparent huge pages: fewer TLB misses when
// the weights are streamed.
constexpr size_t kHugePage = size_t(2) << 20;

cpu::CpuKernels make_kernels(CpuIsa isa, const CpuFeatures& features, bool use_avx512_bf16) {
  switch (isa) {
    case CpuIsa::kScalar: return cpu::scalar_kernels();
    case CpuIsa::kAvx2: return cpu::avx2_kernels();
    case CpuIsa::kAvx512: return cpu::avx512_kernels(use_avx512_bf16 && features.avx512_bf16);
  }
  return cpu::scalar_kernels();
}

void* allocate_aligned_zeroed(size_t bytes) {
  const size_t align = bytes >= kHugePage ? kHugePage : 64;
  const size_t rounded = (std::max<size_t>(bytes, 1) + align - 1) / align * align;
  void* p = std::aligned_alloc(align, rounded);
  if (p == nullptr) fail("out of host memory: cannot allocate {} bytes", bytes);
  if (align == kHugePage) madvise(p, rounded, MADV_HUGEPAGE);  // a hint; failure is harmless
  std::memset(p, 0, rounded);
  return p;
}

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const CpuBackendOptions& options) : pool_(options.num_threads) {
    const CpuFeatures features = detect_cpu_features();
    const CpuIsa best = max_cpu_isa(features);
    const CpuIsa isa = options.isa ? *options.isa : select_cpu_isa();
    if (int(isa) > int(best)) {
      fail("CPU backend: instruction set {} requested but this CPU supports at most {}", cpu_isa_name(isa),
           cpu_isa_name(best));
    }
    kernels_ = make_kernels(isa, features, options.use_avx512_bf16);
    name_ = std::string("cpu-") + kernels_.name;
    // Every dense format is read in place by the same kernels (they convert per element).
    linear_table_.run(WeightFormat::kDenseF32, &CpuBackend::linear_dense)
        .run(WeightFormat::kDenseBF16, &CpuBackend::linear_dense)
        .run(WeightFormat::kDenseF16, &CpuBackend::linear_dense);
  }

  std::string_view name() const override { return name_; }
  DType activation_dtype() const override { return DType::kF32; }
  bool uses_host_memory() const override { return true; }

  DeviceBuffer allocate(size_t bytes) override { return DeviceBuffer(allocate_aligned_zeroed(bytes), bytes, std::free); }
  void copy_to_device(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy_to_host(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void synchronize() override {}

  void embedding(const Tensor& table, const int32_t* ids, Tensor& out) override {
    cpu::check_embedding_shapes(table, out);
    cpu::check_embedding_indices(table, ids, out.rows);
    for_rows(out.rows, out.cols, [&](int64_t r) {
      kernels_.convert_to_f32(static_cast<const char*>(table.data) + size_t(ids[r]) * table.row_bytes(), table.dtype,
                              out.as<float>() + r * out.cols, out.cols);
    });
  }

  void rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) override {
    cpu::check_rms_norm_shapes("rms_norm", x, weight, out);
    const float* w = weight_f32(weight, norm_weight_);
    for_rows(x.rows, x.cols, [&](int64_t r) {
      kernels_.rms_norm(x.as<const float>() + r * x.cols, w, eps, out.as<float>() + r * out.cols, x.cols);
    });
  }

  void add_rms_norm(Tensor& residual, const Tensor& x, const Tensor& weight, float eps, Tensor& out) override {
    cpu::check_same_shape("add_rms_norm", residual, x);
    cpu::check_rms_norm_shapes("add_rms_norm", residual, weight, out);
    const float* w = weight_f32(weight, norm_weight_);
    for_rows(x.rows, x.cols, [&](int64_t r) {
      kernels_.add_rms_norm(residual.as<float>() + r * x.cols, x.as<const float>() + r * x.cols, w, eps,
                            out.as<float>() + r * x.cols, x.cols);
    });
  }

  void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& out) override {
    cpu::check_layer_norm_shapes(x, weight, bias, out);
    const float* w = weight_f32(weight, norm_weight_);
    const float* b = bias.data != nullptr ? weight_f32(bias, norm_bias_) : nullptr;
    for_rows(x.rows, x.cols, [&](int64_t r) {
      kernels_.layer_norm(x.as<const float>() + r * x.cols, w, b, eps, out.as<float>() + r * out.cols, x.cols);
    });
  }

  const LinearFormatSupport& linear_formats() const override { return linear_table_.support(); }

  using Backend::linear;
  void linear(const Tensor& x, const LinearWeights& w, Tensor& out) override {
    const LinearKernel kernel = linear_table_.kernel(w.format);
    if (kernel == nullptr) [[unlikely]] linear_table_.fail_no_kernel(name_, w);
    (this->*kernel)(x, w, out);
  }

  void rope(Tensor& x, int head_dim, const Tensor& cos_sin) override {
    cpu::check_rope_shapes(x, head_dim, cos_sin);
    const int64_t rotary_dim = cos_sin.cols;  // == head_dim, or less: partial rotary
    for_rows(x.rows, x.cols, [&](int64_t r) {
      kernels_.rope(x.as<float>() + r * x.cols, cos_sin.as<const float>() + r * rotary_dim, x.cols / head_dim, head_dim,
                    rotary_dim);
    });
  }

  // The fused forms exist for GPUs, where fewer launches matter; the CPU runs the unfused model
  // (its weights are read in place, not stacked), so the reference serves any caller.
  void silu_mul_fused(const Tensor& gate_up, Tensor& out) override { reference::silu_mul_fused(gate_up, out); }
  void qkv_rope_write_kv(const Tensor& qkv, const Tensor& cos_sin, int num_heads, int num_kv_heads, int head_dim,
                         const QkHeadNorm& head_norm, const AttentionBatch& batch, KvCacheLayer& cache,
                         Tensor& q) override {
    reference::qkv_rope_write_kv(qkv, cos_sin, num_heads, num_kv_heads, head_dim, head_norm, batch, cache, q);
  }

  void silu_mul(const Tensor& gate, const Tensor& up, Tensor& out) override {
    cpu::check_same_shape("silu_mul", gate, up);
    cpu::check_same_shape("silu_mul", gate, out);
    for_ranges(gate.numel(), [&](int64_t b, int64_t e) {
      kernels_.silu_mul(gate.as<const float>() + b, up.as<const float>() + b, out.as<float>() + b, e - b);
    });
  }

  void gelu(Tensor& x) override {
    cpu::check_elementwise("gelu", x);
    for_ranges(x.numel(), [&](int64_t b, int64_t e) { kernels_.gelu(x.as<float>() + b, e - b); });
  }

  void add(Tensor& x, const Tensor& y) override {
    cpu::check_same_shape("add", x, y);
    for_ranges(x.numel(), [&](int64_t b, int64_t e) { kernels_.add(x.as<float>() + b, y.as<const float>() + b, e - b); });
  }

  void gelu_tanh_mul(const Tensor& gate, const Tensor& up, Tensor& out) override {
    cpu::check_same_shape("gelu_tanh_mul", gate, up);
    cpu::check_same_shape("gelu_tanh_mul", gate, out);
    for_ranges(gate.numel(), [&](int64_t b, int64_t e) {
      kernels_.gelu_tanh_mul(gate.as<const float>() + b, up.as<const float>() + b, out.as<float>() + b, e - b);
    });
  }

  // Row by row through the unfused kernel (a GeGLU model stacks gate and up only on GPUs, but this
  // costs nothing over the unfused op).
  void gelu_tanh_mul_fused(const Tensor& gate_up, Tensor& out) override {
    cpu::check_gate_up_shapes("gelu_tanh_mul_fused", gate_up, out);
    const int64_t n = out.cols;
    for_rows(out.rows, n, [&](int64_t r) {
      const float* g = gate_up.as<const float>() + r * 2 * n;
      kernels_.gelu_tanh_mul(g, g + n, out.as<float>() + r * n, n);
    });
  }

  void scale(Tensor& x, float s) override {
    cpu::check_elementwise("scale", x);
    for_ranges(x.numel(), [&](int64_t b, int64_t e) {
      float* p = x.as<float>();
      for (int64_t i = b; i < e; ++i) p[i] *= s;
    });
  }

  void softcap(Tensor& x, float cap) override {
    cpu::check_elementwise("softcap", x);
    cpu::check_softcap(cap);
    for_ranges(x.numel(), [&](int64_t b, int64_t e) { kernels_.softcap(x.as<float>() + b, cap, e - b); });
  }

  // One token per row: the softmax's max and sum in f32, then top_k rounds of selection in the
  // routing order (reference::moe_route_before), each picking the best expert after the last pick,
  // so no per-row state is needed.
  void moe_route(const Tensor& router_logits, int top_k, bool renormalize, Tensor& ids, Tensor& weights) override {
    cpu::check_moe_route_shapes(router_logits, top_k, ids, weights);
    const int num_experts = int(router_logits.cols);
    for_rows(router_logits.rows, int64_t(num_experts) * top_k, [&](int64_t t) {
      const float* l = router_logits.as<const float>() + t * num_experts;
      float max_logit = -std::numeric_limits<float>::infinity();
      for (int e = 0; e < num_experts; ++e) max_logit = std::fmax(max_logit, l[e]);
      float denom = 0.0f;
      for (int e = 0; e < num_experts; ++e) denom += std::exp(l[e] - max_logit);
      int32_t* id = ids.as<int32_t>() + t * top_k;
      float* w = weights.as<float>() + t * top_k;
      float sum = 0.0f;
      int prev = -1;
      for (int j = 0; j < top_k; ++j) {
        int best = -1;
        for (int e = 0; e < num_experts; ++e) {
          if (prev >= 0 && !reference::moe_route_before(l[prev], prev, l[e], e)) continue;  // taken already
          if (best < 0 || reference::moe_route_before(l[e], e, l[best], best)) best = e;
        }
        id[j] = best;
        w[j] = std::exp(l[best] - max_logit) / denom;
        sum += w[j];
        prev = best;
      }
      if (renormalize) {
        for (int j = 0; j < top_k; ++j) w[j] /= sum;
      }
    });
  }

  // Expert by expert: the rows routed to it are gathered into one batch, which runs through the
  // backend's own linear kernels (weights read in place, any compute dtype) and silu_mul; the down
  // projection's rows are then added into out, scaled by their routing weights. Experts with no
  // rows cost nothing; scratch is sized by the busiest expert and reused.
  void moe_experts(const Tensor& x, const Tensor& ids, const Tensor& weights, const MoeExpertWeights& experts,
                   Tensor& out) override {
    cpu::check_moe_experts_shapes(x, ids, weights, experts, out);
    cpu::check_moe_expert_ids(ids, experts.num_experts);
    if (out.numel() > 0) std::memset(out.data, 0, out.nbytes());
    const int64_t pairs = ids.numel(), top_k = ids.cols, hidden = experts.hidden, inter = experts.intermediate;
    if (pairs == 0) return;
    const int num_experts = experts.num_experts;
    // A counting sort of the (token, slot) pairs by expert: expert e's pairs are
    // order[start[e], start[e + 1]), in token order.
    int64_t* start = moe_scratch_.start.get<int64_t>(size_t(num_experts) + 1);
    int32_t* order = moe_scratch_.order.get<int32_t>(size_t(pairs));
    const int32_t* id = ids.as<const int32_t>();
    std::fill(start, start + num_experts + 1, int64_t(0));
    for (int64_t p = 0; p < pairs; ++p) ++start[id[p] + 1];
    int64_t max_rows = 0;
    for (int e = 0; e < num_experts; ++e) {
      max_rows = std::max(max_rows, start[e + 1]);
      start[e + 1] += start[e];
    }
    for (int64_t p = 0; p < pairs; ++p) order[start[id[p]]++] = int32_t(p);  // start[e] moves to e's end
    for (int e = num_experts; e > 0; --e) start[e] = start[e - 1];
    start[0] = 0;

    float* xs = moe_scratch_.x.get<float>(size_t(max_rows * hidden));
    float* gate = moe_scratch_.gate.get<float>(size_t(max_rows * inter));
    float* up = moe_scratch_.up.get<float>(size_t(max_rows * inter));
    float* down = moe_scratch_.down.get<float>(size_t(max_rows * hidden));
    for (int e = 0; e < num_experts; ++e) {
      const int64_t rows = start[e + 1] - start[e];
      if (rows == 0) continue;
      const int32_t* routed = order + start[e];
      for (int64_t r = 0; r < rows; ++r) {
        std::memcpy(xs + r * hidden, x.as<const float>() + (routed[r] / top_k) * hidden, size_t(hidden) * sizeof(float));
      }
      const Tensor xt{xs, DType::kF32, rows, hidden};
      Tensor gt{gate, DType::kF32, rows, inter}, ut{up, DType::kF32, rows, inter}, dt{down, DType::kF32, rows, hidden};
      linear(xt, LinearWeights::dense(experts.gate[size_t(e)]), gt);
      linear(xt, LinearWeights::dense(experts.up[size_t(e)]), ut);
      silu_mul(gt, ut, gt);
      linear(gt, LinearWeights::dense(experts.down[size_t(e)]), dt);
      for (int64_t r = 0; r < rows; ++r) {
        const float w = weights.as<const float>()[routed[r]];
        float* o = out.as<float>() + (routed[r] / top_k) * hidden;
        const float* d = down + r * hidden;
        for (int64_t h = 0; h < hidden; ++h) o[h] += w * d[h];
      }
    }
  }

  void add_sigmoid_scaled(Tensor& x, const Tensor& y, const Tensor& gate) override {
    cpu::check_add_sigmoid_scaled_shapes(x, y, gate);
    for_rows(x.rows, x.cols, [&](int64_t t) {
      const float s = float(1.0 / (1.0 + std::exp(-double(gate.as<const float>()[t]))));
      float* xr = x.as<float>() + t * x.cols;
      const float* yr = y.as<const float>() + t * x.cols;
      for (int64_t i = 0; i < x.cols; ++i) xr[i] += s * yr[i];
    });
  }

  void write_kv(const Tensor& k, const Tensor& v, const AttentionBatch& batch, KvCacheLayer& cache) override {
    cpu::check_write_kv_shapes(k, v, batch, cache);
    cpu::check_write_kv_indices(batch, cache);
    for (int t = 0; t < batch.num_tokens; ++t) {
      const int64_t slot = batch.slot_mapping[t];
      if (slot < 0) continue;  // padding token
      std::memcpy(cache.k.as<float>() + slot * cache.k.cols, k.as<const float>() + int64_t(t) * k.cols, k.row_bytes());
      std::memcpy(cache.v.as<float>() + slot * cache.v.cols, v.as<const float>() + int64_t(t) * v.cols, v.row_bytes());
    }
  }

  void attention(const Tensor& q, const KvCacheLayer& cache, const AttentionBatch& batch, const AttentionShape& shape,
                 Tensor& out) override {
    cpu::check_attention_shapes(q, cache, batch, shape, out);
    cpu::check_attention_indices(cache, batch, shape);
    cpu::run_paged_attention(kernels_, pool_, attention_scratch_, q, cache, batch, shape, out);
  }

  void feed_tokens(int32_t* ids, const int32_t* sources, int n, const int32_t* sampled, int num_sampled) override {
    TURBINE_CHECK(n >= 0 && (n == 0 || (ids != nullptr && sources != nullptr)), "feed_tokens: bad arguments");
    for (int i = 0; i < n; ++i) {
      if (sources[i] < 0) continue;
      TURBINE_CHECK(sources[i] < num_sampled && sampled != nullptr, "feed_tokens: source {} of id {} is outside {} sampled tokens",
                    sources[i], i, num_sampled);
      ids[i] = sampled[sources[i]];
    }
  }

  void gather_rows(const Tensor& x, const int32_t* rows, Tensor& out) override {
    cpu::check_gather_rows_shapes(x, out);
    cpu::check_gather_rows_indices(x, rows, out.rows);
    for (int64_t i = 0; i < out.rows; ++i) {
      std::memmove(static_cast<char*>(out.data) + size_t(i) * out.row_bytes(),
                   static_cast<const char*>(x.data) + size_t(rows[i]) * x.row_bytes(), x.row_bytes());
    }
  }

 private:
  using LinearKernel = void (CpuBackend::*)(const Tensor& x, const LinearWeights& w, Tensor& out);

  // Dense F32, BF16 or F16 weights, read in place.
  void linear_dense(const Tensor& x, const LinearWeights& w, Tensor& out) {
    cpu::check_linear_shapes(x, w.weight, w.bias_or_null(), out);
    cpu::run_linear(kernels_, pool_, linear_scratch_, x, w.weight, w.bias_or_null(), out);
  }

  // fn(r) for every row, on the pool when the op is big enough.
  template <typename Fn>
  void for_rows(int64_t rows, int64_t cols, Fn fn) {
    auto range = [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) fn(r);
    };
    if (rows > 1 && rows * cols >= kMinParallelElements) {
      pool_.parallel_for(rows, range);
    } else {
      range(0, rows);
    }
  }

  // fn(begin, end) over [0, n), split into cache-line-aligned ranges on the pool when large.
  template <typename Fn>
  void for_ranges(int64_t n, Fn fn) {
    if (n < kMinParallelElements) {
      if (n > 0) fn(0, n);
      return;
    }
    constexpr int64_t kGroup = 16;
    pool_.parallel_for((n + kGroup - 1) / kGroup,
                       [&](int64_t g0, int64_t g1) { fn(g0 * kGroup, std::min(g1 * kGroup, n)); });
  }

  // A norm weight (or bias) as f32, converted into `scratch` (already f32: used in place).
  const float* weight_f32(const Tensor& weight, cpu::ScratchBuffer& scratch) {
    if (weight.dtype == DType::kF32) return weight.as<const float>();
    float* w = scratch.get<float>(size_t(weight.numel()));
    kernels_.convert_to_f32(weight.data, weight.dtype, w, weight.numel());
    return w;
  }

  ThreadPool pool_;
  cpu::CpuKernels kernels_{};
  std::string name_;
  LinearKernelTable<LinearKernel> linear_table_;
  cpu::LinearScratch linear_scratch_;
  cpu::AttentionScratch attention_scratch_;
  cpu::ScratchBuffer norm_weight_;
  cpu::ScratchBuffer norm_bias_;  // layer_norm's bias, when not F32
  // moe_experts: the pairs grouped by expert, and one expert's gathered rows and projections.
  struct MoeScratch {
    cpu::ScratchBuffer start, order, x, gate, up, down;
  } moe_scratch_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(int num_threads) {
  CpuBackendOptions options;
  options.num_threads = num_threads;
  return make_cpu_backend(options);
}

std::unique_ptr<Backend> make_cpu_backend(const CpuBackendOptions& options) {
  return std::make_unique<CpuBackend>(options);
}

}  // namespace turbine
