// What Gemma 2 and Gemma 3 share (gemma2.cc, gemma3.cc): the sandwich-norm decoder with (1 + w)
// RMSNorms, GeGLU, embeddings scaled by sqrt(hidden_size), tied LM head, attention scaled by
// query_pre_attn_scalar^-0.5, and per-layer full or sliding-window attention from layer_types.
#pragma once

#include <string>
#include <vector>

#include "model/decoder_spec.h"
#include "model/model_config.h"

namespace turbine {

// The spec both families start from, before their own fields: every layer's window from
// layer_types (or, when the config has none, layer i sliding unless (i + 1) % pattern == 0),
// scale, attention soft-cap, sandwich norms; the embedding scale, the final soft-cap, GeGLU.
// Fails naming the field on a value the decoder does not implement.
DecoderSpec gemma_decoder_spec(const ModelConfig& config, int default_sliding_pattern);

// Whether layer i is a sliding-window layer in `spec` (for the RoPE table choice).
bool is_sliding(const DecoderSpec& spec, int layer);

}  // namespace turbine
