// The token sequences a request's bad_words ban (RequestParams::bad_words_token_ids), as vLLM
// makes them (SamplingParams.update_from_tokenizer): each word, its leading whitespace stripped,
// is encoded without special tokens; then once more after a space, kept only when that spelling
// starts with another token and has as many tokens (so that the word is banned both at the start
// of the text and after a space, as tokenizers with a word-start marker spell it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace turbine::server {

// Throws ApiError 400 naming "bad_words[i]" for a word that encodes to no token.
std::vector<std::vector<int32_t>> bad_word_token_ids(const std::vector<std::string>& words, const Tokenizer& tokenizer);

// `text` without its leading whitespace, as Python's str.lstrip() strips it (Unicode White_Space
// and the ASCII separators \x1c-\x1f).
std::string_view strip_leading_whitespace(std::string_view text);

}  // namespace turbine::server
