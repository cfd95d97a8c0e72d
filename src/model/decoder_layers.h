// Shared building blocks of decoder-only transformers, which the shared decoder (decoder_model.h)
// composes layer by layer as each layer's LayerSpec says.
//
// `load_decoder_layer` loads one layer's weights (which optional tensors exist, and the norms'
// names, follow the DecoderSpec); DecoderStep's helpers are the blocks of the forward pass
// (embed, norms, self-attention, gated MLP, logits), so that the tensor plumbing lives here once.
// Nothing here knows an architecture's name. Every matmul goes through DecoderStep::project,
// whatever the weight format (backend/weight_format.h).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "model/decoder_spec.h"
#include "model/model.h"
#include "model/rope_tables.h"
#include "model/tensor_arena.h"

namespace turbine {

class LinearLoader;
class WeightStore;

// Projections are LinearWeights (backend/linear_weights.h): a weight format, its tensors, a bias.
struct AttentionWeights {
  LinearWeights q, k, v, o;
  LinearWeights qkv;  // q, k and v stacked by rows in device memory (set_fused_views); empty when not
  Tensor q_norm, k_norm;  // per-head RMSNorm weights [1, head_dim] (Qwen3); data == nullptr when absent
};

// A plain MLP (MlpKind::kPlain) leaves `gate` empty: down(act(up(x))).
struct GatedMlpWeights {
  LinearWeights gate, up, down;
  LinearWeights gate_up;  // gate and up stacked by rows (set_fused_views); empty when not
};

// A mixture-of-experts MLP (decoder_spec.h, MoeSpec): empty (experts.num_experts == 0) in a dense layer.
struct MoeBlock {
  LinearWeights router;       // [num_experts, hidden]
  MoeExpertWeights experts;
  GatedMlpWeights shared;     // the shared expert (Qwen2-MoE); empty when none
  LinearWeights shared_gate;  // [1, hidden]
};

// A layer's norms by where they sit (NormPlacement); the *_out norms exist only in sandwich layers
// (data == nullptr otherwise).
struct DecoderLayer {
  Tensor attention_norm;      // before attention (input_layernorm)
  Tensor attention_norm_bias, mlp_norm_bias;  // LayerNorm's biases (NormKind::kLayerNorm), else empty
  AttentionWeights attention;
  Tensor attention_out_norm;  // after attention (sandwich: post_attention_layernorm)
  Tensor mlp_norm;            // before the MLP (pre-norm: post_attention_layernorm; sandwich: pre_feedforward_layernorm)
  GatedMlpWeights mlp;        // empty in a MoE layer
  MoeBlock moe;               // empty in a dense layer
  Tensor mlp_out_norm;        // after the MLP (sandwich: post_feedforward_layernorm)
};

// Loads {prefix}layers.{index}.* with the shapes the config implies (errors name the tensor): the
// optional tensors `options` names, the norms `layer.norms` places; the projections through
// `linears`, in the format its quantization method makes.
DecoderLayer load_decoder_layer(WeightStore& weights, const LinearLoader& linears, const ModelConfig& config,
                                int index, const DecoderLayerOptions& options, const LayerSpec& layer,
                                const std::string& prefix = "model.");

// An architecture whose checkpoint does not name its layers as Llama does (GPT-NeoX, Falcon)
// loads each layer itself; `arena` keeps whatever it derives (de-interleaved projections).
using LayerLoader = std::function<DecoderLayer(WeightStore& weights, const LinearLoader& linears,
                                               const ModelConfig& config, int index, TensorArena& arena)>;

// Loads {prefix}layers.{index}.{moe.block}.* (MoeSpec names both expert layouts) into layer.moe.
void load_moe_block(WeightStore& weights, const LinearLoader& linears, const ModelConfig& config, int index,
                    const MoeSpec& moe, const std::string& prefix, DecoderLayer& layer);

// The norm weights of a layer that exist, for whoever visits them all (the weight upload).
std::vector<Tensor*> norms(DecoderLayer& layer);

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
  bool fused = false;      // the layers run stacked projections: qkv and gate_up buffers are needed
  std::vector<int> rope_widths = {0};  // per RoPE table (one cos/sin buffer each): its rotary width
                                       // (RopeTables::width); 0: head_dim
  bool parallel = false;   // parallel-residual layers: a second [tokens, hidden] block output
  int64_t mlp_width = 0;   // the widest MLP intermediate (dense, expert or shared); 0: intermediate_size
  int moe_experts = 0;     // > 0: the model has MoE layers (router buffers)
  int moe_top_k = 0;
  void reserve(Backend& backend, const ModelConfig& config, int num_tokens, int num_logits);

  Tensor residual, normed, block_out;  // [tokens, hidden]
  Tensor q, attn_out;                  // [tokens, heads * head_dim]
  Tensor k, v;                         // [tokens, kv_heads * head_dim]
  Tensor gate, up;                     // [tokens, intermediate]
  Tensor qkv;                          // [tokens, (heads + 2 kv_heads) * head_dim], when fused
  Tensor gate_up;                      // [tokens, 2 * intermediate], when fused
  std::vector<Tensor> cos_sin;         // per RoPE table: [tokens, head_dim] F32
  Tensor last_hidden;                  // [logit rows, hidden]
  Tensor router_logits;                // [tokens, experts], MoE models only
  Tensor moe_ids, moe_weights;         // [tokens, top_k] I32 and F32
  Tensor shared_out, shared_gate;      // [tokens, hidden] and [tokens, 1], the shared expert's
  Tensor parallel_out;                 // [tokens, hidden]: the MLP's output beside attention's

 private:
  int token_capacity_ = 0;
  int logit_capacity_ = 0;
  std::vector<DeviceBuffer> buffers_;
  DeviceBuffer last_hidden_buffer_;
  std::vector<float> host_cos_sin_;
  std::vector<Tensor> step_cos_sin_;  // the step's rows of cos_sin (capacity one per table, no per-step allocation)
  friend class DecoderStep;
};

// One forward pass's shared state: the helpers below take it instead of long argument lists.
// Constructing it plans the step once for every layer: it sizes the workspace and fills the step's
// rows of every RoPE table.
class DecoderStep {
 public:
  DecoderStep(Backend& backend, const ModelConfig& config, const RopeTables& rope, Workspace& workspace,
              const ForwardBatch& batch, int block_size);

  // The attention shape of a layer with this spec.
  static AttentionShape attention_shape(const ModelConfig& config, const LayerSpec& layer, int block_size);

  Backend& backend;
  const ModelConfig& config;
  Workspace& ws;
  const ForwardBatch& batch;
  int block_size;
  int num_tokens;
  MlpActivation mlp_activation = MlpActivation::kSilu;  // the gated MLP's (DecoderSpec::activation)
  const MoeSpec* moe = nullptr;                         // the MoE layers' (DecoderSpec::moe)
  NormKind norm_kind = NormKind::kRms;
  float norm_eps = 1e-6f;
  bool parallel_residual = false, shared_parallel_norm = false;

  // out = x * w^T (+ bias), in w's weight format: every matmul of the decoder goes through here.
  // This is where a LoRA adapter's low-rank update (out += (x * A^T) * B^T * scale) and a
  // tensor-parallel row-parallel layer's all-reduce will hook in, once for every projection.
  void project(const LinearWeights& w, const Tensor& x, Tensor& out) { backend.linear(x, w, out); }

  // Token embeddings, times `scale` unless 1, into ws.residual (the residual stream starts as
  // the embeddings).
  void embed(const Tensor& embed_tokens, float scale = 1.0f);
  // One decoder layer, as its spec places the norms around its two blocks. `first`: the residual
  // stream has no block output to take in yet.
  void decoder_layer(const DecoderLayer& layer, const LayerSpec& spec, KvCacheLayer& cache, bool first);
  // ws.normed = norm(residual); unless `first`, the previous block's output is first added into
  // the residual stream. `bias`: LayerNorm's (empty for RMSNorm).
  void pre_norm(const Tensor& weight, const Tensor& bias, bool first);
  void pre_norm(const Tensor& weight, bool first) { pre_norm(weight, Tensor(), first); }
  // ws.block_out = norm(ws.block_out), the sandwich's norm after a block.
  void post_norm(const Tensor& weight);
  // ws.block_out = self-attention of ws.normed (projections, optional q/k norm, RoPE from the
  // spec's table, KV write, paged attention with the spec's window, scale and cap, output
  // projection).
  void self_attention(const AttentionWeights& w, const LayerSpec& spec, KvCacheLayer& cache);
  // out = down(act(gate(x)) * up(x)) of ws.normed, act = mlp_activation (default out: ws.block_out).
  void gated_mlp(const GatedMlpWeights& w);
  void gated_mlp(const GatedMlpWeights& w, Tensor& out);
  // ws.block_out = the mixture of experts of ws.normed: route, the chosen experts weighted, plus
  // the shared expert scaled by the sigmoid of its gate.
  void moe_mlp(const MoeBlock& m);
  // Adds the last block's output, normalises the rows that want logits, projects to the vocabulary;
  // softcap > 0 then caps the logits (cap * tanh(logits / cap)).
  void logits(const Tensor& final_norm, const Tensor& final_norm_bias, const LinearWeights& lm_head, Tensor& out,
              float softcap = 0.0f);

 private:
  Tensor rows(const Tensor& t) const { return {t.data, t.dtype, num_tokens, t.cols}; }
};

}  // namespace turbine
