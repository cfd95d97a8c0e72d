#include "backend/cuda/cuda_backend.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "backend/cuda/attention/paged_attention.h"
#include "backend/cuda/common/cuda_check.h"
#include "backend/cuda/common/device_error.h"
#include "backend/cuda/elementwise/elementwise.h"
#include "backend/cuda/embedding/embedding.h"
#include "backend/cuda/feed_tokens/feed_tokens.h"
#include "backend/cuda/gather_rows/gather_rows.h"
#include "backend/cuda/linear/bias_add.h"
#include "backend/cuda/linear/cublaslt_linear.h"
#include "backend/cuda/linear/linear_simt.h"
#include "backend/cuda/moe/moe.h"
#include "backend/cuda/op_checks.h"
#include "backend/cuda/qkv/qkv_rope_write_kv.h"
#include "backend/cuda/rms_norm/rms_norm.h"
#include "backend/cuda/rope/rope.h"
#include "backend/cuda/sampling/sampling_stage.h"
#include "backend/cuda/write_kv/write_kv.h"
#include "common/error.h"

namespace turbine {
namespace cuda {
namespace {

void free_device_memory(void* p) { TURBINE_CUDA_CHECK_TEARDOWN(cudaFree(p)); }
void free_pinned_memory(void* p) { TURBINE_CUDA_CHECK_TEARDOWN(cudaFreeHost(p)); }

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const CudaBackendOptions& options) : device_(options.device), options_(options) {
    int count = 0;
    const cudaError_t status = cudaGetDeviceCount(&count);
    if (status != cudaSuccess || options.device < 0 || options.device >= count) {
      fail("CUDA backend: device {} is not available ({} devices; {})", options.device,
           status == cudaSuccess ? count : 0, status == cudaSuccess ? "ok" : cudaGetErrorString(status));
    }
    TURBINE_CUDA_CHECK(cudaSetDevice(device_));
    TURBINE_CUDA_CHECK(cudaDeviceGetAttribute(&num_sms_, cudaDevAttrMultiProcessorCount, device_));
    TURBINE_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    // Device-side index checks: the claim word in device memory, the record in mapped host memory.
    TURBINE_CUDA_CHECK(cudaMalloc(&error_claim_, sizeof(int32_t)));
    TURBINE_CUDA_CHECK(cudaMemset(error_claim_, 0, sizeof(int32_t)));
    TURBINE_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&error_record_), sizeof(DeviceErrorRecord),
                                     cudaHostAllocMapped));
    std::memset(error_record_, 0, sizeof(DeviceErrorRecord));
    TURBINE_CUDA_CHECK(cudaHostGetDevicePointer(reinterpret_cast<void**>(&error_record_device_), error_record_, 0));
    linear_ = std::make_unique<CublasLtLinear>();
    // The GEMMs (cuBLASLt, the GEMV) read BF16 weights: F32 and F16 checkpoints are converted
    // once at load, as vLLM's dtype "auto" runs them in the activation dtype.
    linear_table_.run(WeightFormat::kDenseBF16, &CudaBackend::linear_dense_bf16)
        .convert(WeightFormat::kDenseF32, WeightFormat::kDenseBF16)
        .convert(WeightFormat::kDenseF16, WeightFormat::kDenseBF16);
  }

  ~CudaBackend() override {
    TURBINE_CUDA_CHECK_TEARDOWN(cudaSetDevice(device_));
    TURBINE_CUDA_CHECK_TEARDOWN(cudaStreamSynchronize(stream_));
    attention_workspace_ = DeviceBuffer();
    moe_scratch_ = DeviceBuffer();
    retired_moe_scratch_.clear();
    for (cudaGraphExec_t g : graphs_) TURBINE_CUDA_CHECK_TEARDOWN(cudaGraphExecDestroy(g));
    linear_.reset();
    TURBINE_CUDA_CHECK_TEARDOWN(cudaFreeHost(error_record_));
    TURBINE_CUDA_CHECK_TEARDOWN(cudaFree(error_claim_));
    TURBINE_CUDA_CHECK_TEARDOWN(cudaStreamDestroy(stream_));
  }

  std::string_view name() const override { return "cuda"; }
  DType activation_dtype() const override { return DType::kBF16; }
  bool uses_host_memory() const override { return false; }

  std::optional<DeviceMemoryInfo> device_memory() const override {
    use_device();
    DeviceMemoryInfo info;
    TURBINE_CUDA_CHECK(cudaMemGetInfo(&info.free_bytes, &info.total_bytes));
    return info;
  }

  void reserve_scratch(int max_tokens, const AttentionShape& shape) override {
    const size_t bytes = attention_workspace_bound(max_tokens, shape);
    if (bytes > attention_workspace_.bytes()) {
      TURBINE_CUDA_CHECK(cudaStreamSynchronize(stream_));
      attention_workspace_ = allocate(bytes);
    }
  }

  DeviceBuffer allocate(size_t bytes) override {
    use_device();
    if (bytes == 0) return {};
    void* p = nullptr;
    const cudaError_t status = cudaMalloc(&p, bytes);
    if (status == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // an allocation failure is not sticky: clear it, then report it
      size_t free_bytes = 0, total_bytes = 0;
      TURBINE_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
      fail("CUDA backend: out of memory on device {} allocating {:.1f} MiB ({:.1f} of {:.1f} MiB free)", device_,
           double(bytes) / (1 << 20), double(free_bytes) / (1 << 20), double(total_bytes) / (1 << 20));
    }
    TURBINE_CUDA_CHECK(status);
    TURBINE_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, stream_));
    return DeviceBuffer(p, bytes, &free_device_memory);
  }

  void copy_to_device(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0) return;
    use_device();
    TURBINE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_));
    // The caller may reuse `src` as soon as this returns (a pinned source would still be in flight).
    // Step inputs are copied while the GPU is idle anyway; a pinned staging ring is the later fix.
    TURBINE_CUDA_CHECK(cudaStreamSynchronize(stream_));
  }

  DeviceBuffer allocate_host(size_t bytes) override {
    use_device();
    if (bytes == 0) return {};
    void* p = nullptr;
    TURBINE_CUDA_CHECK(cudaHostAlloc(&p, bytes, cudaHostAllocDefault));
    std::memset(p, 0, bytes);
    return DeviceBuffer(p, bytes, &free_pinned_memory);
  }

  void copy_to_device_async(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0) return;
    use_device();
    TURBINE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_));
  }

  void copy_to_device_async_2d(void* dst, const void* src, size_t pitch, size_t width, size_t rows) override {
    if (width == 0 || rows == 0) return;
    use_device();
    TURBINE_CUDA_CHECK(cudaMemcpy2DAsync(dst, pitch, src, pitch, width, rows, cudaMemcpyHostToDevice, stream_));
  }

  bool supports_graphs() const override { return true; }

  void begin_capture() override {
    use_device();
    TURBINE_CUDA_CHECK(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
  }

  int end_capture() override {
    cudaGraph_t graph = nullptr;
    TURBINE_CUDA_CHECK(cudaStreamEndCapture(stream_, &graph));
    cudaGraphExec_t exec = nullptr;
    const cudaError_t status = cudaGraphInstantiate(&exec, graph, 0);
    TURBINE_CUDA_CHECK_TEARDOWN(cudaGraphDestroy(graph));
    TURBINE_CUDA_CHECK(status);
    graphs_.push_back(exec);
    return int(graphs_.size()) - 1;
  }

  void replay(int graph) override {
    TURBINE_CHECK(graph >= 0 && size_t(graph) < graphs_.size(), "replay: no graph {}", graph);
    use_device();
    TURBINE_CUDA_CHECK(cudaGraphLaunch(graphs_[size_t(graph)], stream_));
  }

  void copy_to_host(void* dst, const void* src, size_t bytes) override {
    use_device();
    if (bytes > 0) TURBINE_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_));
    TURBINE_CUDA_CHECK(cudaStreamSynchronize(stream_));
    check_device_errors();
  }

  void synchronize() override {
    use_device();
    TURBINE_CUDA_CHECK(cudaStreamSynchronize(stream_));
    check_device_errors();
  }

  bool supports_sampling() const override { return true; }

  const int32_t* sample_async(const DeviceSamplingBatch& batch) override {
    use_device();
    return sampling_.launch(batch, stream_);
  }

  DeviceSamplingResult collect_sampled() override {
    use_device();
    const DeviceSamplingResult result = sampling_.collect();  // waits for that call's work
    check_device_errors();
    return result;
  }

  void feed_tokens(int32_t* ids, const int32_t* sources, int n, const int32_t* sampled, int num_sampled) override {
    TURBINE_CHECK(n >= 0 && (n == 0 || (ids != nullptr && sources != nullptr)), "feed_tokens: bad arguments");
    use_device();
    launch_feed_tokens(FeedTokensParams{ids, sources, n, sampled, num_sampled}, errors(), stream_);
  }

  void embedding(const Tensor& table, const int32_t* ids, Tensor& out) override {
    check_embedding(table, out);
    use_device();
    EmbeddingParams p;
    p.table = table.data;
    p.table_dtype = table.dtype;
    p.table_rows = table.rows;
    p.cols = table.cols;
    p.ids = ids;
    p.out = out.data;
    p.num_ids = out.rows;
    TURBINE_CHECK(ids != nullptr || out.rows == 0, "embedding: ids is null");
    launch_embedding(p, errors(), stream_);
  }

  void rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) override {
    check_rms_norm("rms_norm", x, weight, out);
    use_device();
    launch_rms_norm({norm_params(x, weight, eps, out), nullptr}, stream_);
  }

  void add_rms_norm(Tensor& residual, const Tensor& x, const Tensor& weight, float eps, Tensor& out) override {
    check_same_shape("add_rms_norm", residual, x);
    check_rms_norm("add_rms_norm", residual, weight, out);
    use_device();
    launch_rms_norm({norm_params(x, weight, eps, out), residual.data}, stream_);
  }

  void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& out) override {
    check_layer_norm(x, weight, bias, out);
    use_device();
    const DType bias_dtype = bias.data != nullptr ? bias.dtype : weight.dtype;
    launch_layer_norm({norm_params(x, weight, eps, out), bias.data, bias_dtype}, stream_);
  }

  const LinearFormatSupport& linear_formats() const override { return linear_table_.support(); }

  using Backend::linear;
  void linear(const Tensor& x, const LinearWeights& w, Tensor& out) override {
    const LinearKernel kernel = linear_table_.kernel(w.format);
    if (kernel == nullptr) [[unlikely]] linear_table_.fail_no_kernel(name(), w);
    (this->*kernel)(x, w, out);
  }

  void rope(Tensor& x, int head_dim, const Tensor& cos_sin) override {
    check_rope(x, head_dim, cos_sin);
    use_device();
    RopeParams p;
    p.x = x.data;
    p.cos_sin = cos_sin.as<const float>();
    p.tokens = x.rows;
    p.cols = x.cols;
    p.head_dim = head_dim;
    p.rotary_dim = int(cos_sin.cols);
    launch_rope(p, stream_);
  }

  void silu_mul(const Tensor& gate, const Tensor& up, Tensor& out) override {
    gated_mul("silu_mul", launch_silu_mul, gate, up, out);
  }

  void gelu(Tensor& x) override {
    check_bf16("gelu", "x", x);
    use_device();
    launch_gelu(x.data, x.numel(), stream_);
  }

  void add(Tensor& x, const Tensor& y) override {
    check_same_shape("add", x, y);
    use_device();
    launch_add(x.data, y.data, x.numel(), stream_);
  }

  void silu_mul_fused(const Tensor& gate_up, Tensor& out) override {
    check_bf16("silu_mul_fused", "gate_up", gate_up);
    check_bf16("silu_mul_fused", "out", out);
    TURBINE_CHECK(gate_up.rows == out.rows && gate_up.cols == 2 * out.cols,
                  "silu_mul_fused: gate_up is [{}, {}], out [{}, {}]", gate_up.rows, gate_up.cols, out.rows, out.cols);
    use_device();
    launch_silu_mul_fused(gate_up.data, out.data, out.rows, out.cols, stream_);
  }

  void gelu_tanh_mul(const Tensor& gate, const Tensor& up, Tensor& out) override {
    gated_mul("gelu_tanh_mul", launch_gelu_tanh_mul, gate, up, out);
  }

  void gelu_tanh_mul_fused(const Tensor& gate_up, Tensor& out) override {
    check_gate_up("gelu_tanh_mul_fused", gate_up, out);
    use_device();
    launch_gelu_tanh_mul_fused(gate_up.data, out.data, out.rows, out.cols, stream_);
  }

  void scale(Tensor& x, float s) override {
    check_bf16_or_f32("scale", x);
    use_device();
    launch_scale(x.data, x.dtype == DType::kF32, s, x.numel(), stream_);
  }

  void softcap(Tensor& x, float cap) override {
    check_bf16_or_f32("softcap", x);
    check_softcap(cap);
    use_device();
    launch_softcap(x.data, x.dtype == DType::kF32, cap, x.numel(), stream_);
  }

  void qkv_rope_write_kv(const Tensor& qkv, const Tensor& cos_sin, int num_heads, int num_kv_heads, int head_dim,
                         const QkHeadNorm& head_norm, const AttentionBatch& batch, KvCacheLayer& cache,
                         Tensor& q) override {
    check_bf16("qkv_rope_write_kv", "qkv", qkv);
    check_bf16("qkv_rope_write_kv", "q", q);
    const int64_t q_cols = int64_t(num_heads) * head_dim, kv_cols = int64_t(num_kv_heads) * head_dim;
    check_cos_sin("qkv_rope_write_kv", cos_sin, head_dim);  // its width: the rotary width
    TURBINE_CHECK(qkv.cols == q_cols + 2 * kv_cols && q.cols == q_cols && q.rows == qkv.rows &&
                      qkv.rows == batch.num_tokens && cos_sin.rows >= qkv.rows && cache.k.cols == kv_cols &&
                      cache.v.cols == kv_cols && cache.k.rows == cache.v.rows,
                  "qkv_rope_write_kv: qkv [{}, {}], q [{}, {}], cache [{}, {}], {} heads / {} kv heads of {}", qkv.rows,
                  qkv.cols, q.rows, q.cols, cache.k.rows, cache.k.cols, num_heads, num_kv_heads, head_dim);
    TURBINE_CHECK(batch.slot_mapping != nullptr || qkv.rows == 0, "qkv_rope_write_kv: slot_mapping is null");
    use_device();
    QkvRopeParams p;
    p.qkv = qkv.data;
    p.cos_sin = cos_sin.as<const float>();
    p.q = q.data;
    p.k_cache = cache.k.data;
    p.v_cache = cache.v.data;
    p.slot_mapping = batch.slot_mapping;
    p.tokens = qkv.rows;
    p.cache_rows = cache.k.rows;
    p.num_heads = num_heads;
    p.num_kv_heads = num_kv_heads;
    p.head_dim = head_dim;
    p.rotary_dim = int(cos_sin.cols);
    if (head_norm.enabled()) {
      const Tensor* weights[] = {head_norm.q_weight, head_norm.k_weight};
      for (const Tensor* w : weights)
        TURBINE_CHECK(w != nullptr && w->numel() == head_dim && w->dtype == weights[0]->dtype &&
                          (w->dtype == DType::kBF16 || w->dtype == DType::kF32),
                      "qkv_rope_write_kv: the q and k norm weights must both be BF16 or F32 [{}]", head_dim);
      p.q_norm = head_norm.q_weight->data;
      p.k_norm = head_norm.k_weight->data;
      p.norm_f32 = head_norm.q_weight->dtype == DType::kF32;
      p.eps = head_norm.eps;
    }
    launch_qkv_rope_write_kv(p, errors(), stream_);
  }

  void write_kv(const Tensor& k, const Tensor& v, const AttentionBatch& batch, KvCacheLayer& cache) override {
    check_write_kv(k, v, batch, cache);
    use_device();
    WriteKvParams p;
    p.k = k.data;
    p.v = v.data;
    p.slot_mapping = batch.slot_mapping;
    p.k_cache = cache.k.data;
    p.v_cache = cache.v.data;
    p.tokens = batch.num_tokens;
    p.cols = k.cols;
    p.cache_rows = cache.k.rows;
    launch_write_kv(p, errors(), stream_);
  }

  void attention(const Tensor& q, const KvCacheLayer& cache, const AttentionBatch& batch, const AttentionShape& shape,
                 Tensor& out) override {
    check_attention(q, cache, batch, shape, out);
    use_device();
    PagedAttentionParams p;
    p.q = q.data;
    p.out = out.data;
    p.k_cache = cache.k.data;
    p.v_cache = cache.v.data;
    p.query_start = batch.query_start;
    p.seq_lens = batch.seq_lens;
    p.block_tables = batch.block_tables;
    p.num_seqs = batch.num_seqs;
    p.num_tokens = batch.num_tokens;
    p.max_blocks_per_seq = batch.max_blocks_per_seq;
    p.block_size = shape.block_size;
    p.num_blocks = cache.k.rows / shape.block_size;
    p.num_heads = shape.num_heads;
    p.num_kv_heads = shape.num_kv_heads;
    p.head_dim = shape.head_dim;
    p.sliding_window = shape.sliding_window;
    p.scale = shape.scale;
    p.logit_softcap = shape.logit_softcap;
    int64_t max_context = int64_t(batch.max_blocks_per_seq) * shape.block_size;
    if (shape.sliding_window > 0) max_context = std::min<int64_t>(max_context, shape.sliding_window);
    plan_paged_attention(p, max_context, num_sms_, options_.attention_splits);
    const size_t workspace = paged_attention_workspace_bytes(p);
    if (workspace > attention_workspace_.bytes()) {
      // Captured graphs hold the old address: growing now would leave them writing freed memory.
      TURBINE_CHECK(graphs_.empty(), "attention needs {} bytes of split workspace, more than reserve_scratch sized "
                    "before graphs were captured", workspace);
      TURBINE_CUDA_CHECK(cudaStreamSynchronize(stream_));  // the old workspace may still be in use
      attention_workspace_ = allocate(workspace + workspace / 2);
    }
    p.workspace = workspace > 0 ? static_cast<float*>(attention_workspace_.data()) : nullptr;
    launch_paged_attention(p, errors(), stream_);
  }

  void gather_rows(const Tensor& x, const int32_t* rows, Tensor& out) override {
    check_gather_rows(x, out);
    TURBINE_CHECK(rows != nullptr || out.rows == 0, "gather_rows: rows is null");
    use_device();
    GatherRowsParams p;
    p.x = x.data;
    p.x_rows = x.rows;
    p.row_bytes = x.row_bytes();
    p.rows = rows;
    p.out = out.data;
    p.out_rows = out.rows;
    launch_gather_rows(p, errors(), stream_);
  }

  void moe_route(const Tensor& router_logits, int top_k, bool renormalize, Tensor& ids, Tensor& weights) override {
    check_moe_route(router_logits, top_k, ids, weights);
    use_device();
    MoeRouteParams p;
    p.logits = router_logits.data;
    p.logits_f32 = router_logits.dtype == DType::kF32;
    p.tokens = router_logits.rows;
    p.num_experts = int(router_logits.cols);
    p.top_k = top_k;
    p.renormalize = renormalize;
    p.ids = ids.as<int32_t>();
    p.weights = weights.as<float>();
    launch_moe_route(p, stream_);
  }

  void moe_experts(const Tensor& x, const Tensor& ids, const Tensor& weights, const MoeExpertWeights& experts,
                   Tensor& out) override {
    check_moe_experts(x, ids, weights, experts, out);
    use_device();
    MoeExpertsParams p;
    p.x = x.data;
    p.ids = ids.as<const int32_t>();
    p.weights = weights.as<const float>();
    p.gate_up = experts.gate_up_stacked.data;
    p.down = experts.down_stacked.data;
    p.weight_dtype = experts.gate_up_stacked.dtype;
    p.out = out.data;
    p.tokens = x.rows;
    p.hidden = experts.hidden;
    p.intermediate = experts.intermediate;
    p.num_experts = experts.num_experts;
    p.top_k = int(ids.cols);
    p.scratch = moe_scratch(moe_experts_scratch_bytes(p.tokens, p.top_k, p.intermediate));
    launch_moe_experts(p, errors(), stream_);
  }

  void add_sigmoid_scaled(Tensor& x, const Tensor& y, const Tensor& gate) override {
    check_add_sigmoid_scaled(x, y, gate);
    use_device();
    launch_add_sigmoid_scaled(x.data, y.data, gate.data, gate.dtype == DType::kF32, x.rows, x.cols, stream_);
  }

  void copy_kv_blocks(KvCacheLayer& cache, const int32_t* pairs, int num_pairs, int block_size) override {
    TURBINE_CHECK(block_size > 0 && cache.k.rows % block_size == 0 && cache.k.rows == cache.v.rows,
                  "copy_kv_blocks: caches of {}/{} rows are not whole blocks of {}", cache.k.rows, cache.v.rows,
                  block_size);
    use_device();
    const int64_t num_blocks = cache.k.rows / block_size;
    for (Tensor* t : {&cache.k, &cache.v}) {
      const size_t block_bytes = t->row_bytes() * size_t(block_size);
      char* base = static_cast<char*>(t->data);
      for (int i = 0; i < num_pairs; ++i) {
        const int32_t src = pairs[2 * i], dst = pairs[2 * i + 1];
        TURBINE_CHECK(src >= 0 && src < num_blocks && dst >= 0 && dst < num_blocks,
                      "copy_kv_blocks: pair {} ({} -> {}) is outside a cache of {} blocks", i, src, dst, num_blocks);
        TURBINE_CUDA_CHECK(cudaMemcpyAsync(base + size_t(dst) * block_bytes, base + size_t(src) * block_bytes,
                                           block_bytes, cudaMemcpyDeviceToDevice, stream_));
      }
    }
  }

 private:
  void use_device() const { TURBINE_CUDA_CHECK(cudaSetDevice(device_)); }

  // The most split-KV workspace any batch of up to max_tokens query rows can ask for.
  size_t attention_workspace_bound(int max_tokens, const AttentionShape& shape) const {
    return paged_attention_max_workspace_bytes(max_tokens, shape.num_heads, shape.head_dim, num_sms_,
                                               options_.attention_splits);
  }

  DeviceErrorSink errors() const { return {error_claim_, error_record_device_}; }

  // silu_mul and gelu_tanh_mul: the same checks and launch, another activation.
  using GatedMulLauncher = void (*)(const void* gate, const void* up, void* out, int64_t count, cudaStream_t stream);
  void gated_mul(const char* op, GatedMulLauncher launch, const Tensor& gate, const Tensor& up, Tensor& out) {
    check_same_shape(op, gate, up);
    check_same_shape(op, gate, out);
    use_device();
    launch(gate.data, up.data, out.data, gate.numel(), stream_);
  }

  // moe_experts' intermediate activations: at most kMoeMaxScratchBytes (32 MiB) whatever the batch
  // (moe/moe.h), grown on demand. Never during a capture (the graph would keep an address about to change): a batch
  // is run once before it is captured (decode graphs warm up first), which sizes it. Once graphs
  // exist, the smaller buffer they were captured with stays allocated next to the new one.
  void* moe_scratch(size_t bytes) {
    if (bytes <= moe_scratch_.bytes()) return moe_scratch_.data();
    const size_t old_bytes = moe_scratch_.bytes();
    cudaStreamCaptureStatus capture = cudaStreamCaptureStatusNone;
    TURBINE_CUDA_CHECK(cudaStreamIsCapturing(stream_, &capture));
    TURBINE_CHECK(capture == cudaStreamCaptureStatusNone,
                  "moe_experts needs {} bytes of scratch, more than its {}, while a CUDA graph is being captured: "
                  "run the batch once before capturing it",
                  bytes, moe_scratch_.bytes());
    if (graphs_.empty()) {
      TURBINE_CUDA_CHECK(cudaStreamSynchronize(stream_));  // the old scratch may still be in use
      moe_scratch_ = DeviceBuffer();
    } else {
      retired_moe_scratch_.push_back(std::move(moe_scratch_));
    }
    // Doubling (up to the chunk bound) keeps the retired buffers smaller than the live one in all.
    moe_scratch_ = allocate(std::max(bytes, std::min(2 * old_bytes, kMoeMaxScratchBytes)));
    return moe_scratch_.data();
  }

  using LinearKernel = void (CudaBackend::*)(const Tensor& x, const LinearWeights& w, Tensor& out);

  // Dense BF16 weights: cuBLASLt, or the GEMV for a few rows (CublasLtLinear::run), or the
  // any-shape kernel when the operands do not suit those.
  void linear_dense_bf16(const Tensor& x, const LinearWeights& w, Tensor& out) {
    const Tensor& weight = w.weight;
    const Tensor* bias = w.bias_or_null();
    check_linear(x, weight, bias, out);
    use_device();
    if (linear_fast_path_ok(x, weight, out)) {
      linear_->run(x, weight, bias, out, stream_);
      return;
    }
    launch_linear_simt(x.data, weight.data, out.data, out.dtype == DType::kF32, x.rows, weight.rows, x.cols, stream_);
    if (bias != nullptr) launch_bias_add(out.data, out.dtype, bias->data, bias->dtype, out.rows, out.cols, stream_);
  }

  // Called after the stream is synchronised: the kernels' writes to the mapped record are visible.
  void check_device_errors() const {
    if (error_record_->code != 0) {
      check_failed("device-side index check", __FILE__, __LINE__, describe_device_error(*error_record_));
    }
  }

  // The fields both norms share; each adds its own (the residual, the bias).
  static NormParams norm_params(const Tensor& x, const Tensor& weight, float eps, Tensor& out) {
    return {.x = x.data, .weight = weight.data, .weight_dtype = weight.dtype, .out = out.data, .rows = x.rows,
            .cols = x.cols, .eps = eps};
  }

  int device_ = 0;
  CudaBackendOptions options_;
  int num_sms_ = 0;
  cudaStream_t stream_ = nullptr;
  int32_t* error_claim_ = nullptr;
  DeviceErrorRecord* error_record_ = nullptr;         // host view
  DeviceErrorRecord* error_record_device_ = nullptr;  // device view of the same memory
  std::unique_ptr<CublasLtLinear> linear_;
  LinearKernelTable<LinearKernel> linear_table_;
  DeviceBuffer attention_workspace_;
  DeviceBuffer moe_scratch_;
  std::vector<DeviceBuffer> retired_moe_scratch_;  // earlier moe_scratch_ that captured graphs may use
  std::vector<cudaGraphExec_t> graphs_;
  SamplingStage sampling_;
};

}  // namespace
}  // namespace cuda

bool cuda_device_available() {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    (void)cudaGetLastError();  // no driver / no device: clear the error, report "none"
    return false;
  }
  return count > 0;
}

std::unique_ptr<Backend> make_cuda_backend(int device) {
  CudaBackendOptions options;
  options.device = device;
  return make_cuda_backend(options);
}

std::unique_ptr<Backend> make_cuda_backend(const CudaBackendOptions& options) {
  return std::make_unique<cuda::CudaBackend>(options);
}

}  // namespace turbine
