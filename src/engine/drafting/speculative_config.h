// SpeculativeConfig: whether and how the engine drafts tokens to verify (speculative decoding).
#pragma once

#include <memory>
#include <string_view>

#include "engine/drafting/drafter.h"

namespace turbine {

struct SpeculativeConfig {
  enum class Method { kNone, kNgram };
  Method method = Method::kNone;
  int num_speculative_tokens = 0;  // most drafts a sequence verifies per step (>= 1 when drafting)
  int prompt_lookup_min = 1;       // kNgram: the shortest suffix that may match
  int prompt_lookup_max = 4;       // kNgram: the longest suffix tried first

  bool enabled() const { return method != Method::kNone; }
  // Throws turbine::Error naming the first bad field.
  void validate() const;
};

std::string_view speculative_method_name(SpeculativeConfig::Method method);

// The drafter the config asks for; null for kNone.
std::unique_ptr<Drafter> make_drafter(const SpeculativeConfig& config);

}  // namespace turbine
