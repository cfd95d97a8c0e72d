// What the mixture-of-experts architectures share (mixtral.cc, qwen2_moe.cc, qwen3_moe.cc):
// reading the expert counts, and which layers are MoE.
#pragma once

#include "model/decoder_spec.h"
#include "model/model_config.h"

namespace turbine {

class WeightStore;

// num_experts / num_local_experts (`experts_key`), num_experts_per_tok, the experts' width
// (`intermediate_key`) and norm_topk_prob (`renormalize_default` when absent), checked; the MLP
// activation must be silu (the experts' kernels run SwiGLU).
MoeSpec read_moe_spec(const ModelConfig& config, const char* experts_key, const char* intermediate_key,
                      bool renormalize_default);

// Qwen's layer rule: layer i is MoE unless listed in mlp_only_layers, and when (i + 1) is a
// multiple of decoder_sparse_step; the others keep the dense MLP (intermediate_size).
void mark_qwen_moe_layers(const ModelConfig& config, DecoderSpec& spec);

// The MoE block's name in this checkpoint's layer 0 (`candidates` in order: transformers 5 may
// have renamed it), so that either naming loads.
std::string moe_block_name(const WeightStore& weights, const std::string& prefix,
                           std::initializer_list<const char*> candidates, const std::string& router);

}  // namespace turbine
