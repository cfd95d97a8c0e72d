// The seam between models and hardware.
//
// An architecture file (src/model/architectures/) describes its forward pass as a sequence of the
// ops below; a backend (backend/cpu, later backend/cuda) runs them. Every pointer and Tensor
// handed to an op lives in the backend's memory (host memory for the CPU backend, device memory
// for CUDA), including the int32 index arrays. Ops are synchronous from the caller's view on the
// CPU; a GPU backend may queue them on its stream.
//
// Activations are `activation_dtype()` (F32 on the CPU). Norm, embedding and bias weights may be
// F32, BF16 or F16. Linear layers come in a weight format (weight_format.h): each backend runs the
// formats its kernel table lists (linear_kernel_table.h), and says which it converts at load; a
// backend never converts anything on its own, at load or per call.
//
// The KV cache is paged: per layer, K and V are [num_blocks * block_size, num_kv_heads * head_dim]
// and a token's row is its slot = block_id * block_size + offset_in_block. A flat batch mixes
// sequences: sequence s owns query rows [query_start[s], query_start[s + 1]) and has seq_lens[s]
// tokens of KV after this step (its cached context plus its new tokens); its new tokens sit at
// the last positions, so query row j of s has position seq_lens[s] - q_len + j and attends to KV
// positions [max(0, pos - sliding_window + 1), pos] (no lower bound when sliding_window == 0).
// Its score for key k is scale * q.k, soft-capped to cap * tanh(score / cap) when
// logit_softcap > 0 (Gemma 2), before the softmax. Each layer passes its own shape, so the layers
// of one forward pass may differ in window, scale and cap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <optional>
#include <string_view>
#include <vector>

#include "backend/device_sampling.h"
#include "backend/linear_kernel_table.h"
#include "backend/linear_weights.h"
#include "backend/moe_weights.h"
#include "common/tensor.h"

namespace turbine {

// Per-step attention metadata, built once by the runner and shared by every layer.
struct AttentionBatch {
  int num_seqs = 0;
  int num_tokens = 0;                    // total query rows in the flat batch
  const int32_t* query_start = nullptr;  // [num_seqs + 1]
  const int32_t* seq_lens = nullptr;     // [num_seqs]
  const int32_t* block_tables = nullptr; // [num_seqs, max_blocks_per_seq]
  int max_blocks_per_seq = 0;
  const int32_t* slot_mapping = nullptr; // [num_tokens], where each new token's K/V is written
};

struct AttentionShape {
  int num_heads = 0;
  int num_kv_heads = 0;  // divides num_heads (GQA; 1 is MQA)
  int head_dim = 0;
  int block_size = 0;    // tokens per KV block
  float scale = 0.0f;    // softmax scale, usually head_dim^-0.5
  int sliding_window = 0;  // 0: full attention
  // > 0: scores become logit_softcap * tanh(score / logit_softcap) before the softmax; 0: off. A
  // compile-time variant of each kernel, so the uncapped path costs nothing.
  float logit_softcap = 0.0f;
};

// One layer's paged K and V caches, each [num_blocks * block_size, num_kv_heads * head_dim].
struct KvCacheLayer {
  Tensor k;
  Tensor v;
};

// Memory owned by a backend. Moves only.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(void* data, size_t bytes, void (*release)(void*)) : data_(data), bytes_(bytes), release_(release) {}
  DeviceBuffer(DeviceBuffer&& o) noexcept { *this = std::move(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      reset();
      data_ = o.data_, bytes_ = o.bytes_, release_ = o.release_;
      o.data_ = nullptr, o.bytes_ = 0, o.release_ = nullptr;
    }
    return *this;
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { reset(); }

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Tensor as_tensor(DType dtype, int64_t rows, int64_t cols) const { return {data_, dtype, rows, cols}; }

 private:
  void reset() {
    if (data_ && release_) release_(data_);
    data_ = nullptr;
  }
  void* data_ = nullptr;
  size_t bytes_ = 0;
  void (*release_)(void*) = nullptr;
};

// Per-head RMSNorm of q and k before RoPE in qkv_rope_write_kv (Qwen3's q_norm / k_norm); the
// default is none.
struct QkHeadNorm {
  const Tensor* q_weight = nullptr;  // [head_dim]
  const Tensor* k_weight = nullptr;  // [head_dim]
  float eps = 0.0f;
  bool enabled() const { return q_weight != nullptr; }
};

// What a device reports about its memory (for the memory planner).
struct DeviceMemoryInfo {
  size_t free_bytes = 0;
  size_t total_bytes = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;
  virtual DType activation_dtype() const = 0;

  // True when the backend's memory is host memory, so ops can read the memory-mapped checkpoint
  // in place. Otherwise the model uploads its weights once (model/device_weights.h).
  virtual bool uses_host_memory() const = 0;
  // Free and total memory of a device with its own memory; nullopt for host memory.
  virtual std::optional<DeviceMemoryInfo> device_memory() const { return std::nullopt; }
  // Sizes the backend's own scratch (attention's split-KV partials, ...) for batches of up to
  // `max_tokens` query rows of this shape, once, so that no op allocates during a forward pass
  // (which CUDA graphs need, and the memory planner counts). Ops still grow it if a batch exceeds it.
  virtual void reserve_scratch(int max_tokens, const AttentionShape& shape) { (void)max_tokens, (void)shape; }

  // Memory: zero-initialised, aligned to at least 64 bytes.
  virtual DeviceBuffer allocate(size_t bytes) = 0;
  // Copies between host memory and backend memory (plain memcpy on the CPU).
  virtual void copy_to_device(void* dst, const void* src, size_t bytes) = 0;
  virtual void copy_to_host(void* dst, const void* src, size_t bytes) = 0;
  // Waits until every queued op has finished.
  virtual void synchronize() = 0;

  // Host memory the device can copy from without staging (pinned on a GPU; plain on the CPU).
  virtual DeviceBuffer allocate_host(size_t bytes);
  // Queues a host-to-device copy behind the ops already queued: `src` (from allocate_host) must
  // stay unchanged until the device has run the copy (known after a later synchronize(),
  // copy_to_host() or collect_sampled() of a sample queued after it).
  virtual void copy_to_device_async(void* dst, const void* src, size_t bytes) { copy_to_device(dst, src, bytes); }
  // The same for `rows` rows of `width` bytes, `pitch` bytes apart on both sides (the used prefix
  // of each row of a wide table, in one copy where the device can).
  virtual void copy_to_device_async_2d(void* dst, const void* src, size_t pitch, size_t width, size_t rows) {
    for (size_t r = 0; r < rows; ++r)
      copy_to_device_async(static_cast<char*>(dst) + r * pitch, static_cast<const char*>(src) + r * pitch, width);
  }

  // Graphs (CUDA graphs): the ops issued between begin_capture() and end_capture() are recorded,
  // not run; replay(graph) runs them again, reading and writing the same memory. Only ops may be
  // issued while capturing (no copies, no synchronize). Backends without graphs say false and
  // the runner never calls the other three.
  virtual bool supports_graphs() const { return false; }
  virtual void begin_capture() { unsupported("begin_capture"); }
  virtual int end_capture() { unsupported("end_capture"); }
  virtual void replay(int graph) { (void)graph, unsupported("replay"); }

  // Sampling on the device (device_sampling.h): backends that say true here sample every row of
  // an F32 logits batch in place and return the chosen ids and logprobs, so that only those cross
  // to the host; the runner samples on the host (runner/sampler.h) everywhere else.
  virtual bool supports_sampling() const { return false; }
  // Queues the sampling behind the ops already queued and returns where the chosen ids land in
  // backend memory ([rows] int32), so that the next step can feed them (feed_tokens) without a
  // round trip; they stay there until the next sample_async's sampling runs. The host copy of the
  // results comes from collect_sampled(), one per call, in call order; at most two calls may be
  // uncollected (a step scheduled ahead of the one in flight).
  virtual const int32_t* sample_async(const DeviceSamplingBatch& batch) { (void)batch, unsupported("sample_async"); }
  // Waits for the oldest uncollected sample_async; its results stay valid until two more calls.
  virtual DeviceSamplingResult collect_sampled() { unsupported("collect_sampled"); }
  DeviceSamplingResult sample(const DeviceSamplingBatch& batch) {
    sample_async(batch);
    return collect_sampled();
  }

  // Feeds tokens sampled by an earlier step into this step's input ids, in backend memory:
  // ids[i] = sampled[sources[i]] for every i in [0, n) with sources[i] >= 0 (every source must be
  // < num_sampled); ids with a negative source are left alone.
  virtual void feed_tokens(int32_t* ids, const int32_t* sources, int n, const int32_t* sampled, int num_sampled) = 0;

  // out[i, :] = table[ids[i], :]; table is a weight (any dtype), out has out.rows == n ids.
  virtual void embedding(const Tensor& table, const int32_t* ids, Tensor& out) = 0;

  // out = x / sqrt(mean(x^2) + eps) * weight, per row; weight is [1, x.cols]. out may alias x.
  virtual void rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) = 0;

  // residual += x; out = rms_norm(residual). The pre-norm transformer's "add then normalise".
  virtual void add_rms_norm(Tensor& residual, const Tensor& x, const Tensor& weight, float eps,
                            Tensor& out) = 0;

  // out = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias, per row (LayerNorm, biased variance as
  // torch.nn.LayerNorm); `bias` may be empty (data == nullptr: none). weight/bias: [1, x.cols] in
  // the activation dtype or F32. out may alias x. Computed in f32 (double in the reference).
  virtual void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& out) = 0;

  // Linear layers by weight format: what each format is prepared as at load here, or that this
  // backend cannot run it (read by the loader and model/device_weights, never per call).
  virtual const LinearFormatSupport& linear_formats() const = 0;

  // out = x * W^T (+ bias): x [m, in], W's out_features n, out [m, n]. w.format must be one this
  // backend runs as it is (its loader prepared the weights per linear_formats(); any other format
  // is a turbine::Error). The backend picks the kernel from its table by format: one lookup.
  virtual void linear(const Tensor& x, const LinearWeights& w, Tensor& out) = 0;
  // The same for a dense weight [n, k] of a compute dtype and an optional bias [1, n] (tests and
  // benchmarks).
  void linear(const Tensor& x, const Tensor& weight, const Tensor* bias, Tensor& out) {
    linear(x, LinearWeights::dense(weight, bias), out);
  }

  // Rotary embedding in Hugging Face's rotate-half layout, in place. x is [tokens, heads *
  // head_dim]; cos_sin is F32 [tokens, r], r = cos_sin.cols the rotary width: even, 0 < r <=
  // head_dim (r < head_dim is partial rotary, GPT-NeoX's rotary_pct and Phi's
  // partial_rotary_factor). cos is in the first r / 2 columns, sin in the second half (already
  // multiplied by any attention scaling). For each head, the first r elements rotate, h = r / 2:
  //   x'[i] = x[i] cos[i] - x[i + h] sin[i];  x'[i + h] = x[i + h] cos[i] + x[i] sin[i]  (i < h),
  // and elements [r, head_dim) are left exactly as they are.
  virtual void rope(Tensor& x, int head_dim, const Tensor& cos_sin) = 0;

  // out = silu(gate) * up, elementwise; gate, up, out all [m, n]. out may alias gate.
  virtual void silu_mul(const Tensor& gate, const Tensor& up, Tensor& out) = 0;

  // x = gelu(x) elementwise, in place, the exact form: 0.5 * x * (1 + erf(x / sqrt(2))) (GPT-NeoX
  // and Falcon's "gelu", torch.nn.functional.gelu's default). x: the activation dtype.
  virtual void gelu(Tensor& x) = 0;

  // x += y, elementwise.
  virtual void add(Tensor& x, const Tensor& y) = 0;

  // The fused MLP's activation: out = silu(gate_up[:, :n]) * gate_up[:, n:], with gate_up [m, 2n]
  // (the gate and up projections' weights stacked into one) and out [m, n].
  virtual void silu_mul_fused(const Tensor& gate_up, Tensor& out) = 0;

  // out = gelu_tanh(gate) * up, elementwise: Gemma's GeGLU, with GELU's tanh approximation as
  // torch.nn.functional.gelu(x, approximate="tanh") computes it:
  // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))). Same shapes; out may alias gate.
  virtual void gelu_tanh_mul(const Tensor& gate, const Tensor& up, Tensor& out) = 0;

  // The stacked form (like silu_mul_fused): gate_up is [rows, 2n], each row gate then up;
  // out [rows, n] = gelu_tanh(gate) * up.
  virtual void gelu_tanh_mul_fused(const Tensor& gate_up, Tensor& out) = 0;

  // x *= s, elementwise, in place (Gemma's embedding scale, sqrt(hidden_size)). x is an
  // activation (the activation dtype).
  virtual void scale(Tensor& x, float s) = 0;

  // x = cap * tanh(x / cap), elementwise, in place (Gemma 2's final-logit soft-capping), cap > 0.
  // x is F32 (the logits) or the activation dtype.
  virtual void softcap(Tensor& x, float cap) = 0;

  // Mixture of Experts (Mixtral, Qwen2-MoE, Qwen3-MoE). Routing: for each row of router_logits
  // [tokens, num_experts] (F32 or the activation dtype), p = softmax(row) computed in f32;
  // ids[t, :] = the top_k experts by p, best first, ties to the lower id; weights[t, :] = their p,
  // divided by their sum when `renormalize` (Mixtral, Qwen3-MoE's norm_topk_prob) or left as is
  // (Qwen2-MoE's default). ids: I32 [tokens, top_k]; weights: F32 [tokens, top_k].
  // 1 <= top_k <= num_experts. (The order is that of the exact p, i.e. of the logits: softmax is
  // monotonic, so f32 rounding of p cannot reorder two experts.)
  virtual void moe_route(const Tensor& router_logits, int top_k, bool renormalize, Tensor& ids, Tensor& weights) = 0;

  // out[t] = sum_j weights[t, j] * expert_{ids[t, j]}(x[t]) (each expert as in MoeExpertWeights,
  // moe_weights.h, its intermediate activation rounded to the activation dtype as a dense MLP's
  // would be); x, out: [tokens, hidden] activation dtype (out does not alias x); ids/weights as
  // moe_route makes them (ids in [0, num_experts)).
  virtual void moe_experts(const Tensor& x, const Tensor& ids, const Tensor& weights, const MoeExpertWeights& experts,
                           Tensor& out) = 0;

  // x[t, :] += sigmoid(gate[t, 0]) * y[t, :]: Qwen2-MoE's gated shared expert. x, y: [tokens, n]
  // activation dtype; gate: [tokens, 1] activation dtype or F32.
  virtual void add_sigmoid_scaled(Tensor& x, const Tensor& y, const Tensor& gate) = 0;

  // The fused attention prologue: qkv is [tokens, (num_heads + 2 * num_kv_heads) * head_dim], the
  // q heads then the k heads then the v heads (the q, k and v projections' weights stacked). With
  // `head_norm`, every q and k head is first RMS-normalised over head_dim and scaled by its
  // weight (Qwen3's q_norm / k_norm, as rms_norm() on [tokens * heads, head_dim] views); then
  // RoPE (as rope(), partial when cos_sin.cols < head_dim: only the first cos_sin.cols elements of
  // each q and k head rotate, the rest pass through, normalised if head_norm is set) is applied
  // to q and k; q goes to `q` [tokens, num_heads * head_dim] and k and v into their cache slots
  // (as write_kv()). One pass instead of norms, two ropes and a copy.
  virtual void qkv_rope_write_kv(const Tensor& qkv, const Tensor& cos_sin, int num_heads, int num_kv_heads,
                                 int head_dim, const QkHeadNorm& head_norm, const AttentionBatch& batch,
                                 KvCacheLayer& cache, Tensor& q) = 0;

  // Writes this step's K and V rows ([num_tokens, num_kv_heads * head_dim]) into their slots.
  virtual void write_kv(const Tensor& k, const Tensor& v, const AttentionBatch& batch,
                        KvCacheLayer& cache) = 0;

  // Causal paged attention for the flat batch (see the header comment). q and out are
  // [num_tokens, num_heads * head_dim].
  virtual void attention(const Tensor& q, const KvCacheLayer& cache, const AttentionBatch& batch,
                         const AttentionShape& shape, Tensor& out) = 0;

  // out[i, :] = x[rows[i], :] for i < out.rows.
  virtual void gather_rows(const Tensor& x, const int32_t* rows, Tensor& out) = 0;

  // Copy-on-write of KV blocks: for each (src, dst) pair, in order, block dst's rows of K and V
  // become block src's. `pairs` is host memory [2 * num_pairs]. The default stages through the
  // host, which is right everywhere and fast enough on the CPU; a GPU backend overrides it.
  virtual void copy_kv_blocks(KvCacheLayer& cache, const int32_t* pairs, int num_pairs, int block_size);

 private:
  [[noreturn]] void unsupported(const char* what) const;
};

inline DeviceBuffer Backend::allocate_host(size_t bytes) {
  if (bytes == 0) return {};
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (p == nullptr) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  return DeviceBuffer(p, bytes, &std::free);
}

inline void Backend::unsupported(const char* what) const {
  throw std::logic_error(std::string(name()) + " backend: " + what + " is not supported");
}

inline void Backend::copy_kv_blocks(KvCacheLayer& cache, const int32_t* pairs, int num_pairs, int block_size) {
  for (Tensor* t : {&cache.k, &cache.v}) {
    const size_t block_bytes = t->row_bytes() * size_t(block_size);
    std::vector<char> staging(block_bytes);
    for (int i = 0; i < num_pairs; ++i) {
      char* base = static_cast<char*>(t->data);
      copy_to_host(staging.data(), base + size_t(pairs[2 * i]) * block_bytes, block_bytes);
      copy_to_device(base + size_t(pairs[2 * i + 1]) * block_bytes, staging.data(), block_bytes);
    }
  }
}

}  // namespace turbine
