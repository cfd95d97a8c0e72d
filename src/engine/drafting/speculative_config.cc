#include "engine/drafting/speculative_config.h"

#include "common/error.h"
#include "engine/drafting/ngram_drafter.h"

namespace turbine {

std::string_view speculative_method_name(SpeculativeConfig::Method method) {
  switch (method) {
    case SpeculativeConfig::Method::kNone: return "none";
    case SpeculativeConfig::Method::kNgram: return "ngram";
  }
  return "?";
}

void SpeculativeConfig::validate() const {
  if (!enabled()) return;
  if (num_speculative_tokens < 1 || num_speculative_tokens > 64)
    fail("num_speculative_tokens must be in [1, 64] with speculative method {}, got {}",
         speculative_method_name(method), num_speculative_tokens);
  if (method == Method::kNgram && (prompt_lookup_min < 1 || prompt_lookup_max < prompt_lookup_min))
    fail("n-gram drafting needs 1 <= prompt_lookup_min <= prompt_lookup_max, got {} and {}", prompt_lookup_min,
         prompt_lookup_max);
}

std::unique_ptr<Drafter> make_drafter(const SpeculativeConfig& config) {
  config.validate();
  switch (config.method) {
    case SpeculativeConfig::Method::kNone: return nullptr;
    case SpeculativeConfig::Method::kNgram:
      return std::make_unique<NgramDrafter>(config.prompt_lookup_min, config.prompt_lookup_max);
  }
  return nullptr;
}

}  // namespace turbine
