#include "server/beam_search.h"

#include <algorithm>
#include <cmath>

#include "common/error.h"

namespace turbine::server {

double beam_search_score(double cum_logprob, int64_t length, double length_penalty) {
  return cum_logprob / std::pow(double(std::max<int64_t>(length, 1)), length_penalty);
}

BeamSearch::BeamSearch(BeamSearchOptions options) : options_(std::move(options)) {
  TURBINE_CHECK(options_.beam_width >= 1 && options_.max_tokens >= 1 && options_.num_prompt_tokens >= 1,
                "beam search: bad options (width {}, max_tokens {}, prompt {})", options_.beam_width,
                options_.max_tokens, options_.num_prompt_tokens);
  live_.push_back(Beam{});
}

bool BeamSearch::is_eos(int32_t token) const {
  return std::find(options_.eos_token_ids.begin(), options_.eos_token_ids.end(), token) !=
         options_.eos_token_ids.end();
}

double BeamSearch::score_of(const Beam& beam) const {
  const int32_t last = beam.last ? beam.last->token.token : options_.last_prompt_token;
  const int64_t length = int64_t(options_.num_prompt_tokens) + beam.length - (is_eos(last) ? 1 : 0);
  return beam_search_score(beam.cum_logprob, length, options_.length_penalty);
}

std::shared_ptr<const BeamSearch::Node> BeamSearch::extend(const Beam& beam, int32_t token, float logprob,
                                                           const TopLogprobs& top) const {
  auto node = std::make_shared<Node>();
  node->token.token = token;
  node->token.logprob = logprob;
  const size_t kept = std::min(top.size(), size_t(std::max(options_.num_top_logprobs, 0)));
  node->token.top_logprobs.assign(top.begin(), top.begin() + std::ptrdiff_t(kept));
  node->parent = beam.last;
  return node;
}

std::vector<int32_t> BeamSearch::live_tokens(size_t beam) const {
  const Beam& b = live_.at(beam);
  std::vector<int32_t> ids(size_t(b.length));
  size_t i = ids.size();
  for (const Node* n = b.last.get(); n != nullptr; n = n->parent.get()) ids[--i] = n->token.token;
  return ids;
}

void BeamSearch::step(std::span<const TopLogprobs> next) {
  TURBINE_CHECK(!done_, "beam search: step after the end");
  TURBINE_CHECK(next.size() == live_.size(), "beam search: {} next-token lists for {} live beams", next.size(),
                live_.size());
  struct Candidate {
    double cum_logprob;
    size_t beam;
    size_t rank;  // in the beam's top list
  };
  std::vector<Candidate> candidates;
  candidates.reserve(live_.size() * size_t(num_candidates()));
  for (size_t b = 0; b < live_.size(); ++b) {
    const Beam& beam = live_[b];
    const TopLogprobs& top = next[b];
    const size_t count = std::min(top.size(), size_t(num_candidates()));
    for (size_t r = 0; r < count; ++r) {
      const auto [token, logprob] = top[r];
      const double cum = beam.cum_logprob + double(logprob);
      if (!options_.ignore_eos && is_eos(token)) {
        Beam ended;
        ended.cum_logprob = cum;
        ended.eos_token = token;
        if (options_.include_stop_str_in_output) {
          ended.last = extend(beam, token, logprob, top);
          ended.length = beam.length + 1;
        } else {
          ended.last = beam.last;
          ended.length = beam.length;
        }
        ended.score = score_of(ended);
        finished_.push_back(std::move(ended));
      } else {
        candidates.push_back(Candidate{cum, b, r});
      }
    }
  }

  // The best beam_width candidates by cumulative logprob (ties: beam order, then rank).
  const size_t keep = std::min(candidates.size(), size_t(options_.beam_width));
  std::stable_sort(candidates.begin(), candidates.end(),
                   [](const Candidate& a, const Candidate& b) { return a.cum_logprob > b.cum_logprob; });
  std::vector<Beam> next_live;
  next_live.reserve(keep);
  for (size_t i = 0; i < keep; ++i) {
    const Candidate& c = candidates[i];
    const Beam& parent = live_[c.beam];
    const auto [token, logprob] = next[c.beam][c.rank];
    Beam beam;
    beam.last = extend(parent, token, logprob, next[c.beam]);
    beam.length = parent.length + 1;
    beam.cum_logprob = c.cum_logprob;
    next_live.push_back(std::move(beam));
  }
  live_ = std::move(next_live);

  // Finished beams keep their score: only the best beam_width of them can ever be returned.
  std::stable_sort(finished_.begin(), finished_.end(), [](const Beam& a, const Beam& b) { return a.score > b.score; });
  if (finished_.size() > size_t(options_.beam_width)) finished_.resize(size_t(options_.beam_width));

  ++steps_;
  if (options_.early_stopping && finished_.size() >= size_t(options_.beam_width)) {
    stopped_early_ = true;
    done_ = true;
  }
  if (live_.empty() || steps_ >= options_.max_tokens) done_ = true;
}

BeamSearchResult BeamSearch::to_result(const Beam& beam, RequestFinishReason reason) const {
  BeamSearchResult r;
  r.tokens.resize(size_t(beam.length));
  size_t i = r.tokens.size();
  for (const Node* n = beam.last.get(); n != nullptr; n = n->parent.get()) r.tokens[--i] = n->token;
  r.cum_logprob = beam.cum_logprob;
  r.score = score_of(beam);
  r.finish_reason = reason;
  r.eos_token = beam.eos_token;
  return r;
}

std::vector<BeamSearchResult> BeamSearch::result() const {
  std::vector<BeamSearchResult> all;
  for (const Beam& b : finished_) all.push_back(to_result(b, RequestFinishReason::kStop));
  if (!stopped_early_)
    for (const Beam& b : live_) all.push_back(to_result(b, RequestFinishReason::kLength));
  std::stable_sort(all.begin(), all.end(),
                   [](const BeamSearchResult& a, const BeamSearchResult& b) { return a.score > b.score; });
  if (all.size() > size_t(options_.beam_width)) all.resize(size_t(options_.beam_width));
  return all;
}

}  // namespace turbine::server
