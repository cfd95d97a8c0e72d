// Generator: runs one prompt to completion on one model (the foundation's single-sequence loop;
// the engine's scheduler later drives many sequences through the same ForwardBatch interface).
//
// The prompt is prefilled in chunks of at most `prefill_chunk` tokens, then one token is decoded
// per step. KV lives in a paged cache whose block table is simply 0, 1, 2, ... for this one
// sequence. Generation stops at an EOS id (unless ignore_eos), at max_tokens, or at the model's
// context length, whichever comes first.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "model/model.h"
#include "runner/sampler.h"

namespace turbine {

enum class FinishReason { kStop, kLength };

std::string_view finish_reason_name(FinishReason reason);

struct GenerateOptions {
  int max_tokens = 128;
  bool ignore_eos = false;
  SamplingParams sampling;
  int prefill_chunk = 512;
  int block_size = 16;
};

struct GeneratedToken {
  int32_t id = 0;
  float logprob = 0.0f;
  std::vector<std::pair<int32_t, float>> top_logprobs;  // best first; empty unless asked for
};

struct GenerationStats {
  int prompt_tokens = 0;
  int generated_tokens = 0;
  double prefill_seconds = 0.0;  // up to and including the first sampled token
  double decode_seconds = 0.0;   // the remaining tokens
};

struct Generation {
  std::vector<GeneratedToken> tokens;
  FinishReason finish_reason = FinishReason::kLength;
  GenerationStats stats;
};

class Generator {
 public:
  Generator(Model& model, Backend& backend) : model_(model), backend_(backend) {}

  // Validates the prompt (non-empty, ids inside the vocabulary, shorter than the context) and
  // the options, then generates; `on_token` sees each token as soon as it is sampled.
  Generation generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                      const std::function<void(const GeneratedToken&)>& on_token = {});

 private:
  Model& model_;
  Backend& backend_;
};

}  // namespace turbine
