#include "server/prompt_truncation.h"

#include "server/api_error.h"

namespace turbine::server {

std::optional<int64_t> prompt_keep_length(const GenerationFields& g, int max_model_len, int max_output_tokens) {
  if (!g.truncate_prompt_tokens) return std::nullopt;
  const int64_t max_input = int64_t(max_model_len) - max_output_tokens;
  if (max_input < 1)
    fail_param("max_tokens", "'max_tokens' ({}) leaves no room for a prompt in this model's context of {} tokens",
               max_output_tokens, max_model_len);
  if (*g.truncate_prompt_tokens == -1) return max_input;
  if (*g.truncate_prompt_tokens > max_input)
    fail_param("truncate_prompt_tokens",
               "'truncate_prompt_tokens' ({}) must not exceed this model's context length {} less max_tokens {}, "
               "that is {}; -1 keeps that many",
               *g.truncate_prompt_tokens, max_model_len, max_output_tokens, max_input);
  return *g.truncate_prompt_tokens;
}

bool truncate_prompt(std::vector<int32_t>& tokens, int64_t keep, bool keep_first) {
  if (keep < 0 || int64_t(tokens.size()) <= keep) return false;
  if (keep_first) {
    tokens.resize(size_t(keep));
  } else {
    tokens.erase(tokens.begin(), tokens.end() - keep);
  }
  return true;
}

}  // namespace turbine::server
