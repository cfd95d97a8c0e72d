// LayerSpec: what one decoder layer's attention and norms do, for the layers of one model may
// differ (Gemma 2 alternates sliding-window and global layers; Gemma 3 also gives its local layers
// another RoPE base). An architecture file makes one per layer, once at load (decoder_spec.h);
// the forward pass reads layer i's spec to run layer i and does nothing else per layer with it
// (no allocation, no host work beyond reading these fields).
#pragma once

namespace turbine {

// Where a layer's RMSNorms sit around its two blocks (attention, then the MLP).
enum class NormPlacement {
  // Llama: x += block(norm(x)). Checkpoint names: input_layernorm before attention,
  // post_attention_layernorm before the MLP.
  kPreNorm,
  // Gemma 2 and 3's sandwich: x += post_norm(block(pre_norm(x))) for each block. Checkpoint
  // names: input_layernorm and post_attention_layernorm around attention,
  // pre_feedforward_layernorm and post_feedforward_layernorm around the MLP.
  kSandwich,
};

struct LayerSpec {
  // Query position p attends to keys [p - sliding_window + 1, p]; 0 attends to all of them.
  int sliding_window = 0;
  // > 0: attention scores become cap * tanh(score / cap) before the softmax (Gemma 2's
  // attn_logit_softcapping); 0: off.
  float attn_logit_softcap = 0.0f;
  // Multiplies q.k: head_dim^-0.5 for most models, query_pre_attn_scalar^-0.5 for Gemma.
  float softmax_scale = 0.0f;
  // Which of the model's RoPE tables (DecoderSpec::rope_tables) rotates this layer's q and k.
  int rope_table = 0;
  NormPlacement norms = NormPlacement::kPreNorm;
  // The MLP is the model's mixture of experts (DecoderSpec::moe) rather than its dense MLP.
  bool moe = false;
};

}  // namespace turbine
