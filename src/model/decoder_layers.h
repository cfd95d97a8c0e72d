// Shared building blocks of decoder-only transformers (the Llama family and its relatives).
//
// An architecture file loads its weights with `load_decoder_layer` (choosing which optional
// biases and norms its checkpoints carry) and writes its forward pass with the step helpers
// below, so that each architecture reads like its paper while the tensor plumbing lives here
// once. Nothing here knows an architecture's name. Every matmul goes through
// DecoderStep::project, whatever the weight format (backend/weight_format.h).
#pragma once

#include <string>
#include <vector>

#include "backend/backend.h"
#include "model/model.h"
#include "model/rotary_embedding.h"

namespace turbine {

class LinearLoader;
class WeightStore;

// Projections are LinearWeights (backend/linear_weights.h): a weight format, its tensors, a bias.
struct AttentionWeights {
  LinearWeights q, k, v, o;
  LinearWeights qkv;  // q, k and v stacked by rows in device memory (set_fused_views); empty when not
  Tensor q_norm, k_norm;  // per-head RMSNorm weights [1, head_dim] (Qwen3); data == nullptr when absent
};

struct GatedMlpWeights {
  LinearWeights gate, up, down;
  LinearWeights gate_up;  // gate and up stacked by rows (set_fused_views); empty when not
};

struct DecoderLayer {
  Tensor input_norm;
  AttentionWeights attention;
  Tensor post_attention_norm;
  GatedMlpWeights mlp;
};

// Which optional tensors a checkpoint's layers carry.
struct DecoderLayerOptions {
  bool qkv_bias = false;
  bool o_bias = false;
  bool mlp_bias = false;
  bool qk_norm = false;
};

// Loads model.layers.{index}.* with the shapes the config implies (errors name the tensor); the
// projections through `linears`, in the format its quantization method makes.
DecoderLayer load_decoder_layer(WeightStore& weights, const LinearLoader& linears, const ModelConfig& config,
                                int index, const DecoderLayerOptions& options);

// The projections of a layer, for whoever visits them all (the weight upload).
std::vector<LinearWeights*> projections(DecoderLayer& layer);

// On a backend with its own memory, the weights are uploaded anyway, so stacking the projections
// that read the same input costs nothing and saves launches: q/k/v become one GEMM followed by
// Backend::qkv_rope_write_kv, gate/up one GEMM followed by Backend::silu_mul_fused. Only parts of
// the same format, input size and bias presence stack, and only dense ones for now (a quantized
// format would also stack its scales and zeros, by rules of its own). Call projection_groups once
// the formats are the ones the weights will have on the device (add_linear_uploads), upload the
// groups contiguously (device_weights.h), then call set_fused_views.
std::vector<std::vector<Tensor*>> projection_groups(std::vector<DecoderLayer>& layers);
void set_fused_views(std::vector<DecoderLayer>& layers);

// Activation buffers for one forward pass, grown on demand and reused across steps.
class Workspace {
 public:
  bool fused = false;  // the layers run stacked projections: qkv and gate_up buffers are needed
  void reserve(Backend& backend, const ModelConfig& config, int num_tokens, int num_logits);

  Tensor residual, normed, block_out;  // [tokens, hidden]
  Tensor q, attn_out;                  // [tokens, heads * head_dim]
  Tensor k, v;                         // [tokens, kv_heads * head_dim]
  Tensor gate, up;                     // [tokens, intermediate]
  Tensor qkv;                          // [tokens, (heads + 2 kv_heads) * head_dim], when fused
  Tensor gate_up;                      // [tokens, 2 * intermediate], when fused
  Tensor cos_sin;                      // [tokens, head_dim] F32
  Tensor last_hidden;                  // [logit rows, hidden]

 private:
  int token_capacity_ = 0;
  int logit_capacity_ = 0;
  std::vector<DeviceBuffer> buffers_;
  DeviceBuffer last_hidden_buffer_;
  std::vector<float> host_cos_sin_;
  friend class DecoderStep;
};

// One forward pass's shared state: the helpers below take it instead of long argument lists.
class DecoderStep {
 public:
  // `rope_table` ([positions, head_dim] F32 in backend memory, or null) replaces computing the
  // step's cos/sin rows on the host: they are gathered on the device by position.
  DecoderStep(Backend& backend, const ModelConfig& config, const RotaryEmbedding& rope, const Tensor* rope_table,
              Workspace& workspace, const ForwardBatch& batch, int block_size, int sliding_window);

  // The attention shape every layer of this config uses.
  static AttentionShape attention_shape(const ModelConfig& config, int block_size, int sliding_window);

  Backend& backend;
  const ModelConfig& config;
  Workspace& ws;
  const ForwardBatch& batch;
  AttentionShape shape;
  int num_tokens;

  // out = x * w^T (+ bias), in w's weight format: every matmul of the decoder goes through here.
  // This is where a LoRA adapter's low-rank update (out += (x * A^T) * B^T * scale) and a
  // tensor-parallel row-parallel layer's all-reduce will hook in, once for every projection.
  void project(const LinearWeights& w, const Tensor& x, Tensor& out) { backend.linear(x, w, out); }

  // Token embeddings into ws.residual (the residual stream starts as the embeddings).
  void embed(const Tensor& embed_tokens);
  // ws.normed = norm(residual); for every layer but the first, the previous block's output is
  // first added into the residual stream.
  void pre_norm(const Tensor& weight, bool add_block_out);
  // ws.block_out = self-attention of ws.normed (projections, optional q/k norm, RoPE, KV write,
  // paged attention, output projection).
  void self_attention(const AttentionWeights& w, KvCacheLayer& cache);
  // ws.block_out = down(silu(gate(x)) * up(x)) of ws.normed.
  void gated_mlp(const GatedMlpWeights& w);
  // Adds the last block's output, normalises the rows that want logits, projects to the vocabulary.
  void logits(const Tensor& final_norm, const LinearWeights& lm_head, Tensor& out);

 private:
  Tensor rows(const Tensor& t) const { return {t.data, t.dtype, num_tokens, t.cols}; }
};

}  // namespace turbine
