// StopStringScanner: finds stop strings in generated text that arrives piece by piece, and says
// which text is safe to show.
//
// Rules (vLLM's):
//  - a stop string counts only if its match ends in text appended with may_stop = true (text
//    from before min_tokens may start a match but never ends one);
//  - the earliest match wins; the text is cut right before it (or right after it with
//    include_in_output), and nothing after the match is ever released;
//  - text that could still turn out to begin a stop string is held back: append() releases all
//    pending text except its longest suffix that is a proper prefix of some stop string. So a
//    stream never shows a stop string, or part of one, that the final text does not contain.
// Matches can only begin in held-back text (a released suffix was not a prefix of any stop
// string), so only pending text is kept: memory is bounded by the longest stop string. Each stop
// string runs a Knuth-Morris-Pratt automaton over the text, so a byte costs O(number of stop
// strings) whatever their lengths.
//
// The engine (DetokenizingStopMatcher) and the server (SampleTextStream) each run one on the same
// detokenized pieces, so they agree on where a request stopped. Plain value type; one thread.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace turbine::server {

class StopStringScanner {
 public:
  StopStringScanner() = default;
  // Empty strings in `stop_strings` are ignored.
  explicit StopStringScanner(std::vector<std::string> stop_strings, bool include_in_output = false);

  // Appends text (whole UTF-8 characters) and returns the text it makes safe to release. After a
  // match, returns the text up to the cut and ignores everything appended later.
  std::string append(std::string_view text, bool may_stop);

  // The end of the stream: releases everything held back (no match can complete any more).
  std::string flush();

  bool stopped() const { return matched_.has_value(); }
  // The stop string that matched, once stopped() is true.
  const std::optional<std::string>& matched() const { return matched_; }
  bool empty() const { return automata_.empty(); }

 private:
  struct Automaton {
    std::string stop;
    std::vector<size_t> failure;  // failure[i]: longest proper border of stop[0, i)
    size_t state = 0;             // longest suffix of the text so far that is a proper prefix of stop
  };

  std::vector<Automaton> automata_;
  bool include_in_output_ = false;
  std::string pending_;  // appended, not yet released
  std::optional<std::string> matched_;
};

}  // namespace turbine::server
