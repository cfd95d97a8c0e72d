// The engine's hook for stop strings.
//
// Stop token ids are checked by the scheduler itself; stop strings need detokenized text, which
// the engine core does not have. Whoever owns the tokenizer (the engine integration, wiring the
// incremental detokenizer) gives each Request one StopStringMatcher; the scheduler feeds it every
// sampled token, in order, on the engine thread, and finishes the request with reason "stop" when
// it reports a match. Text truncation at the match is the detokenizer's business, not the engine's.
#pragma once

#include <cstdint>
#include <memory>

namespace turbine {

class StopStringMatcher {
 public:
  virtual ~StopStringMatcher() = default;

  // Sees the next sampled token of this sequence. Returns true when the text now contains one of
  // the stop strings and `may_stop` is set (min_tokens has been reached). Called for every token,
  // also while `may_stop` is false, so an incremental detokenizer stays in step.
  virtual bool append_token(int32_t token_id, bool may_stop) = 0;

  // A matcher for a sibling sample of the same request (n > 1), in the state before any output
  // token. Called when the request forks, before any output exists.
  virtual std::unique_ptr<StopStringMatcher> clone_initial() const = 0;
};

}  // namespace turbine
