// NgramDrafter: prompt-lookup decoding. If the sequence's last n tokens occurred before, guess
// that what followed them then follows them again (summaries, code edits, quoting the prompt and
// repetitive text repeat long spans, so the guesses are often right and cost no model).
//
// Tries n from max_n down to min_n and takes the longest suffix that recurs; of its earlier
// occurrences, the latest (the nearest context is the best predictor). Proposes the tokens that
// followed it, up to max_drafts and never past the sequence's end. vLLM's `ngram` method with
// prompt_lookup_min / prompt_lookup_max is the same idea.
#pragma once

#include "engine/drafting/drafter.h"

namespace turbine {

class NgramDrafter final : public Drafter {
 public:
  // 1 <= min_n <= max_n; throws turbine::Error otherwise.
  NgramDrafter(int min_n, int max_n);
  void propose(std::span<const int32_t> tokens, int max_drafts, std::vector<int32_t>& drafts) override;

 private:
  int min_n_;
  int max_n_;
};

}  // namespace turbine
