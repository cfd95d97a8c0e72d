// BeamSearch: vLLM's beam search (its OpenAI server's `beam_search`), as a value: each step takes
// every live beam's next-token top logprobs and gives the next live beams; no engine in sight
// (BeamSearchRun drives one against the engine).
//
// A step, as vLLM does it:
//  - every live beam's top 2 * beam_width next tokens are candidates, scored by cumulative
//    logprob (the beam's plus the token's);
//  - a candidate that is an EOS token (unless ignore_eos) ends its beam: the beam joins the
//    finished ones ("stop"), with the EOS in its tokens only with include_stop_str_in_output (its
//    logprob counts either way);
//  - the best beam_width other candidates (by cumulative logprob) are the next live beams.
// The search ends after max_tokens steps (the live beams then finish with "length"), when no
// beam is left live, or - early_stopping, Hugging Face's `early_stopping=True`, which vLLM's
// online beam search no longer has - as soon as beam_width beams have finished (the live ones are
// then dropped). The result is the best beam_width of the finished and live beams by score
// (beam_search_score), best first; among equal scores, finished beams in the order they finished,
// then live ones.
//
// The score's length is vLLM's: the whole sequence, prompt included, less one when its last token
// (prompt included) is an EOS. So an ending EOS never counts, kept in the tokens or not.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "engine/loop/output_dispatcher.h"
#include "engine/request.h"

namespace turbine::server {

struct BeamSearchOptions {
  int beam_width = 1;  // >= 1: live beams per step, and beams in the result (the request's n)
  int max_tokens = 16; // >= 1: steps at most
  bool ignore_eos = false;
  bool include_stop_str_in_output = false;  // a beam that an EOS ended keeps it in its tokens
  double length_penalty = 1.0;
  bool early_stopping = false;
  std::vector<int32_t> eos_token_ids;
  int num_prompt_tokens = 1;      // >= 1
  int32_t last_prompt_token = -1;  // the prompt's last token (the score looks at it: see above)
  int num_top_logprobs = 0;       // alternatives kept with each output token, for the response
};

// A beam of the result.
struct BeamSearchResult {
  std::vector<GeneratedTokenInfo> tokens;  // the output; top_logprobs: num_top_logprobs of them
  double cum_logprob = 0.0;
  double score = 0.0;
  RequestFinishReason finish_reason = RequestFinishReason::kLength;  // kStop: an EOS ended it
  std::optional<int32_t> eos_token;  // the EOS that ended it (vLLM's stop_reason)
};

// vLLM's get_beam_search_score: cum_logprob / length ** length_penalty (a length below 1 counts
// as 1).
double beam_search_score(double cum_logprob, int64_t length, double length_penalty);

class BeamSearch {
 public:
  using TopLogprobs = std::vector<std::pair<int32_t, float>>;  // best first

  explicit BeamSearch(BeamSearchOptions options);

  bool done() const { return done_; }
  int steps() const { return steps_; }
  size_t num_live() const { return live_.size(); }
  // Live beam i's output tokens so far: its next request's prompt is the prompt followed by them.
  std::vector<int32_t> live_tokens(size_t beam) const;
  // Candidates per beam: the engine must report at least this many top logprobs (fewer are
  // taken as they come).
  int num_candidates() const { return 2 * options_.beam_width; }

  // One step: `next[i]` is live beam i's next-token top logprobs, best first. Not after done().
  void step(std::span<const TopLogprobs> next);

  // The best beam_width beams (fewer only if fewer exist), best first. Once done(), the answer.
  std::vector<BeamSearchResult> result() const;

 private:
  // Output tokens as a tree: beams that share a prefix share its nodes.
  struct Node {
    GeneratedTokenInfo token;
    std::shared_ptr<const Node> parent;
  };
  struct Beam {
    std::shared_ptr<const Node> last;  // null: no output yet
    int length = 0;                    // output tokens
    double cum_logprob = 0.0;
    double score = 0.0;  // finished beams only
    std::optional<int32_t> eos_token;
  };

  bool is_eos(int32_t token) const;
  double score_of(const Beam& beam) const;
  std::shared_ptr<const Node> extend(const Beam& beam, int32_t token, float logprob, const TopLogprobs& top) const;
  BeamSearchResult to_result(const Beam& beam, RequestFinishReason reason) const;

  BeamSearchOptions options_;
  std::vector<Beam> live_;
  std::vector<Beam> finished_;  // the best beam_width so far, best first
  int steps_ = 0;
  bool done_ = false;
  bool stopped_early_ = false;
};

}  // namespace turbine::server
