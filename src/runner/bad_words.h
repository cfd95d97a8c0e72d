// Bad words: the tokens one sampling step bans so that the output never contains a bad word.
//
// vLLM's rule (its NoBadWordsLogitsProcessor, v1's apply_bad_words): a bad word is a token
// sequence; at each step its last token is banned when the tokens generated so far end with the
// rest of it, so a one-token word is banned at every step. Only generated tokens count: a word
// that would start in the prompt is not matched. The server turns the request's strings into
// sequences (RequestParams::bad_words_token_ids); the runner adds what this bans to the step's
// suppressed ids, on the host and the device paths alike.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace turbine {

// Appends to `banned` the last token of every word in `words` whose other tokens end `output`
// (the tokens generated so far). Cost: the words' total length.
void append_banned_by_bad_words(std::span<const std::vector<int32_t>> words, std::span<const int32_t> output,
                                std::vector<int32_t>& banned);

}  // namespace turbine
