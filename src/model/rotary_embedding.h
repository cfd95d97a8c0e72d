// Rotary position embedding tables, for every rope_scaling type Turbine supports.
//
// Produces, per token, the cos/sin row that Backend::rope consumes: [rotary_dim] floats (head_dim,
// or its first partial_rotary_factor part), cos in the first half and sin in the second, already multiplied by the scaling's attention factor
// (yarn). The frequencies follow Hugging Face transformers (modeling_rope_utils), computed in
// float32 as it does, so logits match its fp32 reference.
//
// Dynamic NTK scaling depends on how long the sequence is when a token is processed: like
// transformers, a token whose step ends its sequence at length L > max_position_embeddings
// uses frequencies stretched for L. That is why `fill` takes each token's step length.
#pragma once

#include <cstdint>
#include <vector>

#include "model/model_config.h"

namespace turbine {

class RotaryEmbedding {
 public:
  RotaryEmbedding(const RopeConfig& rope, int head_dim, int64_t max_position_embeddings);

  int head_dim() const { return head_dim_; }
  int rotary_dim() const { return rotary_dim_; }

  // Whether fill() gives every position the same row whatever its sequence's length, for
  // sequences up to `max_len` (false only for dynamic NTK beyond the trained context), so that
  // a table by position can replace it.
  bool exact_for_lengths_up_to(int64_t max_len) const {
    return rope_.type != RopeType::kDynamic || max_len <= max_positions_;
  }

  // The inverse frequencies ([rotary_dim / 2]) used at a given sequence length.
  std::vector<float> inverse_frequencies(int64_t seq_len) const;

  // The longest sequence the engine will run. LongRoPE picks its factors once by it, as vLLM
  // does: the long ones when it exceeds original_max_position_embeddings, else the short ones
  // (transformers switches per forward by the sequence's length, which would invalidate cached
  // K/V when a sequence crosses the threshold; the two agree whenever the context stays within
  // the original length). Other types ignore it.
  void set_context_length(int64_t max_len);

  // cos_sin[t * rotary_dim ...] for each token t: positions[t] is its position and step_lens[t]
  // the length its sequence reaches at the end of this step.
  void fill(const int32_t* positions, const int32_t* step_lens, int num_tokens, float* cos_sin) const;

 private:
  RopeConfig rope_;
  int head_dim_;
  int rotary_dim_;
  int64_t max_positions_;
  std::vector<float> inv_freq_;  // at lengths up to max_positions_
  float attention_factor_ = 1.0f;
  bool long_rope_factors_ = false;  // LongRoPE: the long factors (set_context_length)
};

}  // namespace turbine
