// Prompt text with an exact token count. Token ids do not survive a decode and re-encode
// unchanged (a random sequence may merge or split), so, as vLLM's
// gen_prompt_decode_to_target_len, the ids are decoded, re-encoded, then cut or extended with
// random ids, until the text encodes to exactly the target length.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace turbine::bench {

// Every valid id of the tokenizer except its special tokens: what random prompts are made of.
std::vector<int32_t> ordinary_token_ids(const Tokenizer& tokenizer);

// Tokens encode(text, add_special_tokens=true) adds to a text (e.g. 1 for a BOS).
int num_special_tokens_added(const Tokenizer& tokenizer);

struct ExactPrompt {
  std::string text;
  std::vector<int32_t> ids;  // encode(text, add_special_tokens=true)
};

// Text whose encoding without special tokens has `target` tokens, starting from `ids`; extra ids
// come from `pool`. After `max_rounds` rounds the closest text is kept (ids.size() then says how
// long it is; with every tokenizer tried, the loop converges in a round or two).
ExactPrompt decode_to_length(const Tokenizer& tokenizer, std::vector<int32_t> ids, int target,
                             std::span<const int32_t> pool, std::mt19937_64& rng, int max_rounds = 20);

}  // namespace turbine::bench
