// Drafter: guesses a sequence's next tokens, for the engine to verify in one step.
//
// Speculative decoding's cheap half. After each step the engine asks the drafter for up to k
// tokens to follow every sequence that may take drafts (Scheduler::sequences_ready_for_drafts)
// and hands them to the scheduler (Scheduler::set_draft_tokens); the next step runs them after
// the sequence's last token, the runner keeps the prefix that matches what the model itself
// samples, and the scheduler rolls the rest back. A wrong guess costs compute, never correctness:
// the output is exactly plain decoding's. Drafters that work on token ids alone (n-gram prompt
// lookup) live here, beside the scheduler; drafters that run a model (a small draft model,
// EAGLE heads) need the runner's device and belong with it.
//
// Engine thread only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace turbine {

class Drafter {
 public:
  virtual ~Drafter() = default;
  // Replaces `drafts` with at most `max_drafts` tokens guessed to follow `tokens` (the
  // sequence's prompt and output so far); none when it has no guess.
  virtual void propose(std::span<const int32_t> tokens, int max_drafts, std::vector<int32_t>& drafts) = 0;
};

}  // namespace turbine
