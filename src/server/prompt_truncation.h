// truncate_prompt_tokens (vLLM's TokenizeParams): a tokenized prompt keeps at most k tokens, the
// last ones (truncation_side "left", the default) or the first ("right"). The limit is what the
// context leaves for the prompt once the request's max_tokens is set aside (vLLM's
// max_input_tokens): k = -1 means exactly that many, a larger k is a 400. The prompt is cut after
// tokenization, special tokens included (a BOS may go), and text prompts are not refused before
// tokenization for their length, since the cut may make them fit.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "server/protocol.h"

namespace turbine::server {

// How many tokens each prompt may keep, or nullopt when the request does not truncate.
// `max_output_tokens`: the max_tokens the limit is judged against (vLLM: the request's own,
// completions 16 when unset, chat 0). Throws ApiError 400 naming truncate_prompt_tokens (or
// max_tokens when it leaves no room for any prompt).
std::optional<int64_t> prompt_keep_length(const GenerationFields& g, int max_model_len, int max_output_tokens);

// Cuts `tokens` to `keep` (the last ones, or the first with `keep_first`); returns whether it cut.
bool truncate_prompt(std::vector<int32_t>& tokens, int64_t keep, bool keep_first);

}  // namespace turbine::server
