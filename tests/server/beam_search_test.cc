// BeamSearch (src/server/beam_search.h): vLLM's beam search over next-token logprobs, checked on
// hand-made steps, against a plain transcription of vLLM's loop on random "models", and against
// brute-force enumeration where the beams are wide enough to keep every sequence.
#include "server/beam_search.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <random>
#include <string>

namespace turbine::server {
namespace {

using TopLogprobs = BeamSearch::TopLogprobs;

constexpr int32_t kEos = 0;

BeamSearchOptions options(int width, int max_tokens) {
  BeamSearchOptions o;
  o.beam_width = width;
  o.max_tokens = max_tokens;
  o.eos_token_ids = {kEos};
  o.num_prompt_tokens = 4;
  o.last_prompt_token = 9;
  return o;
}

std::vector<int32_t> ids(const BeamSearchResult& r) {
  std::vector<int32_t> out;
  for (const auto& t : r.tokens) out.push_back(t.token);
  return out;
}

// Runs a search whose "model" gives `next(output so far)`.
template <typename Model>
std::vector<BeamSearchResult> run(BeamSearch& search, Model next) {
  while (!search.done()) {
    std::vector<TopLogprobs> tops;
    for (size_t b = 0; b < search.num_live(); ++b) tops.push_back(next(search.live_tokens(b)));
    search.step(tops);
  }
  return search.result();
}

TEST(BeamSearchScore, IsVllmsCumulativeLogprobOverLengthToThePenalty) {
  EXPECT_DOUBLE_EQ(beam_search_score(-6.0, 3, 1.0), -2.0);
  EXPECT_DOUBLE_EQ(beam_search_score(-6.0, 3, 0.0), -6.0);
  EXPECT_DOUBLE_EQ(beam_search_score(-8.0, 4, 2.0), -0.5);
  EXPECT_DOUBLE_EQ(beam_search_score(-8.0, 0, 2.0), -8.0);  // a length below 1 counts as 1
}

TEST(BeamSearch, OneBeamFollowsTheBestTokenEachStep) {
  BeamSearch search(options(1, 3));
  EXPECT_EQ(search.num_candidates(), 2);
  const auto result = run(search, [](const std::vector<int32_t>& out) {
    return TopLogprobs{{int32_t(10 + out.size()), -0.5f}, {int32_t(20 + out.size()), -1.0f}};
  });
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(ids(result[0]), (std::vector<int32_t>{10, 11, 12}));
  EXPECT_DOUBLE_EQ(result[0].cum_logprob, -1.5);
  EXPECT_EQ(result[0].finish_reason, RequestFinishReason::kLength);
  EXPECT_FALSE(result[0].eos_token.has_value());
  EXPECT_EQ(search.steps(), 3);
}

TEST(BeamSearch, KeepsTheBestCandidatesAcrossBeamsByCumulativeLogprob) {
  BeamSearch search(options(2, 2));
  // Step 1: beams "1" (-1) and "2" (-1.2).
  search.step(std::vector<TopLogprobs>{{{1, -1.0f}, {2, -1.2f}, {3, -3.0f}, {4, -4.0f}}});
  ASSERT_EQ(search.num_live(), 2u);
  EXPECT_EQ(search.live_tokens(0), (std::vector<int32_t>{1}));
  EXPECT_EQ(search.live_tokens(1), (std::vector<int32_t>{2}));
  // Step 2: both best continuations come from beam "2".
  search.step(std::vector<TopLogprobs>{{{5, -2.0f}, {6, -2.5f}, {7, -3.0f}, {8, -3.5f}},
                                       {{5, -0.1f}, {6, -0.2f}, {7, -5.0f}, {8, -6.0f}}});
  ASSERT_TRUE(search.done());
  const auto result = search.result();
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(ids(result[0]), (std::vector<int32_t>{2, 5}));
  EXPECT_EQ(ids(result[1]), (std::vector<int32_t>{2, 6}));
  EXPECT_NEAR(result[0].cum_logprob, -1.3, 1e-6);
  EXPECT_NEAR(result[0].score, -1.3 / 6, 1e-6);  // 4 prompt tokens + 2
  EXPECT_EQ(result[0].tokens[1].logprob, -0.1f);
}

TEST(BeamSearch, OnlyTheTopTwoTimesWidthTokensAreCandidates) {
  BeamSearch search(options(1, 1));
  // The third entry would be best but is past the 2 candidates a beam of width 1 reads.
  search.step(std::vector<TopLogprobs>{{{1, -1.0f}, {2, -2.0f}, {3, -0.1f}}});
  EXPECT_EQ(ids(search.result()[0]), (std::vector<int32_t>{1}));
}

TEST(BeamSearch, AnEosCandidateFinishesItsBeamWithoutKeepingTheEos) {
  BeamSearch search(options(2, 3));
  search.step(std::vector<TopLogprobs>{{{1, -0.5f}, {kEos, -0.7f}, {2, -0.9f}, {3, -5.0f}}});
  // The EOS candidate finished; the next live beams are the best non-EOS ones.
  EXPECT_EQ(search.live_tokens(0), (std::vector<int32_t>{1}));
  EXPECT_EQ(search.live_tokens(1), (std::vector<int32_t>{2}));
  const auto result = run(search, [](const std::vector<int32_t>&) {
    return TopLogprobs{{5, -3.0f}, {6, -3.5f}, {7, -4.0f}, {8, -4.5f}};
  });
  ASSERT_EQ(result.size(), 2u);
  // The finished beam: no output tokens, cum logprob -0.7 over the 4 prompt tokens; it wins.
  EXPECT_TRUE(result[0].tokens.empty());
  EXPECT_EQ(result[0].finish_reason, RequestFinishReason::kStop);
  EXPECT_EQ(result[0].eos_token, kEos);
  EXPECT_NEAR(result[0].cum_logprob, -0.7, 1e-6);
  EXPECT_NEAR(result[0].score, -0.7 / 4, 1e-6);
  EXPECT_EQ(ids(result[1]), (std::vector<int32_t>{1, 5, 5}));
  EXPECT_EQ(result[1].finish_reason, RequestFinishReason::kLength);
}

TEST(BeamSearch, IncludeStopStrInOutputKeepsTheEosWithoutChangingTheScore) {
  for (const bool include : {false, true}) {
    BeamSearchOptions o = options(1, 4);
    o.include_stop_str_in_output = include;
    BeamSearch search(o);
    const auto result = run(search, [](const std::vector<int32_t>& out) {
      return out.size() < 2 ? TopLogprobs{{7, -1.0f}, {kEos, -3.0f}} : TopLogprobs{{kEos, -0.25f}, {7, -2.0f}};
    });
    // The beam ending at step 1 (-3) scores -3 / 4; the one ending at step 3 (-2.25) scores
    // -2.25 / 6: the EOS counts in neither length.
    ASSERT_EQ(result.size(), 1u) << include;
    EXPECT_EQ(result[0].finish_reason, RequestFinishReason::kStop);
    EXPECT_NEAR(result[0].score, -2.25 / 6, 1e-6);
    EXPECT_EQ(ids(result[0]), include ? (std::vector<int32_t>{7, 7, kEos}) : (std::vector<int32_t>{7, 7}));
  }
}

TEST(BeamSearch, IgnoreEosMakesTheEosAnOrdinaryToken) {
  BeamSearchOptions o = options(1, 3);
  o.ignore_eos = true;
  BeamSearch search(o);
  const auto result = run(search, [](const std::vector<int32_t>&) { return TopLogprobs{{kEos, -0.1f}, {3, -2.0f}}; });
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(ids(result[0]), (std::vector<int32_t>{kEos, kEos, kEos}));
  EXPECT_EQ(result[0].finish_reason, RequestFinishReason::kLength);
  // vLLM's score still leaves a last EOS out of the length.
  EXPECT_NEAR(result[0].score, -0.3 / 6, 1e-6);
}

TEST(BeamSearch, TheLengthPenaltyDecidesBetweenShortAndLongBeams) {
  // A beam that ends at once with logprob -2, against beams that go on at -0.6 a token.
  const auto model = [](const std::vector<int32_t>& out) {
    return out.empty() ? TopLogprobs{{kEos, -2.0f}, {5, -0.6f}, {6, -3.0f}, {7, -3.1f}}
                       : TopLogprobs{{5, -0.6f}, {6, -3.0f}, {7, -3.1f}, {8, -3.2f}};
  };
  auto best = [&](double penalty) {
    BeamSearchOptions o = options(2, 8);
    o.length_penalty = penalty;
    BeamSearch search(o);
    return run(search, model);
  };
  // Scores: -2 / 4 against -4.8 / 12 with length_penalty 1 (the long one wins); -2 against -4.8
  // with 0 (the short one wins).
  EXPECT_EQ(best(1.0)[0].finish_reason, RequestFinishReason::kLength);
  EXPECT_EQ(best(1.0)[1].finish_reason, RequestFinishReason::kStop);
  EXPECT_EQ(best(0.0)[0].finish_reason, RequestFinishReason::kStop);
  EXPECT_EQ(best(0.0)[1].finish_reason, RequestFinishReason::kLength);
  for (const double penalty : {-1.0, 0.0, 0.5, 1.0, 2.0}) {
    const auto result = best(penalty);
    ASSERT_EQ(result.size(), 2u);
    EXPECT_GE(result[0].score, result[1].score) << penalty;
  }
}

TEST(BeamSearch, EarlyStoppingEndsOnceWidthBeamsHaveFinished) {
  const auto model = [](const std::vector<int32_t>& out) {
    return TopLogprobs{{int32_t(1 + out.size()), -0.1f}, {kEos, -1.0f}, {9, -4.0f}, {8, -5.0f}};
  };
  BeamSearchOptions o = options(2, 10);
  o.early_stopping = true;
  BeamSearch early(o);
  const auto stopped = run(early, model);
  // Step 1 finishes one beam (the empty one), step 2 another: done, the live beams dropped.
  EXPECT_EQ(early.steps(), 2);
  ASSERT_EQ(stopped.size(), 2u);
  for (const auto& r : stopped) EXPECT_EQ(r.finish_reason, RequestFinishReason::kStop);
  o.early_stopping = false;
  BeamSearch full(o);
  run(full, model);
  EXPECT_EQ(full.steps(), 10);
}

TEST(BeamSearch, KeepsTheAskedNumberOfAlternativesPerToken) {
  BeamSearchOptions o = options(2, 1);
  o.num_top_logprobs = 3;
  BeamSearch search(o);
  search.step(std::vector<TopLogprobs>{{{1, -1.0f}, {2, -2.0f}, {3, -3.0f}, {4, -4.0f}, {5, -5.0f}}});
  const auto result = search.result();
  ASSERT_EQ(result.size(), 2u);
  EXPECT_EQ(result[1].tokens[0].token, 2);
  EXPECT_EQ(result[1].tokens[0].logprob, -2.0f);
  EXPECT_EQ(result[1].tokens[0].top_logprobs,
            (std::vector<std::pair<int32_t, float>>{{1, -1.0f}, {2, -2.0f}, {3, -3.0f}}));
}

TEST(BeamSearch, AStepWithOnlyEosCandidatesEndsTheSearch) {
  BeamSearch search(options(1, 5));
  search.step(std::vector<TopLogprobs>{{{kEos, -0.5f}}});
  EXPECT_TRUE(search.done());
  EXPECT_EQ(search.num_live(), 0u);
  ASSERT_EQ(search.result().size(), 1u);
  EXPECT_EQ(search.result()[0].finish_reason, RequestFinishReason::kStop);
}

// ---- A random "model": each prefix gets its own logprobs over a small vocabulary (EOS = 0).
class RandomModel {
 public:
  RandomModel(int vocab, uint64_t seed) : vocab_(vocab), seed_(seed) {}

  TopLogprobs operator()(const std::vector<int32_t>& prefix) {
    auto it = cache_.find(prefix);
    if (it != cache_.end()) return it->second;
    std::seed_seq seq{seed_, uint64_t(prefix.size()), uint64_t(std::hash<std::string>{}(key(prefix)))};
    std::mt19937_64 rng(seq);
    std::normal_distribution<double> logit(0.0, 2.0);
    std::vector<double> logits(static_cast<size_t>(vocab_));
    for (double& l : logits) l = logit(rng);
    double max = *std::max_element(logits.begin(), logits.end()), sum = 0;
    for (double l : logits) sum += std::exp(l - max);
    TopLogprobs top;
    for (int t = 0; t < vocab_; ++t) top.emplace_back(t, float(logits[size_t(t)] - max - std::log(sum)));
    std::stable_sort(top.begin(), top.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    return cache_[prefix] = top;
  }

 private:
  static std::string key(const std::vector<int32_t>& p) {
    std::string s;
    for (int32_t t : p) s += std::to_string(t) + ",";
    return s;
  }
  int vocab_;
  uint64_t seed_;
  std::map<std::vector<int32_t>, TopLogprobs> cache_;
};

// vLLM's loop (vllm/entrypoints/openai beam_search), transcribed plainly: every finished beam is
// kept, and the result is the stable sort of finished + live beams by score.
struct RefBeam {
  std::vector<int32_t> tokens;  // output only
  double cum = 0;
  bool finished = false;
  bool eos_kept = false;
};

std::vector<RefBeam> reference_search(const BeamSearchOptions& o, RandomModel& model) {
  const auto is_eos = [&](int32_t t) { return std::ranges::find(o.eos_token_ids, t) != o.eos_token_ids.end(); };
  const auto score = [&](const RefBeam& b) {
    const int32_t last = b.tokens.empty() ? o.last_prompt_token : b.tokens.back();
    const int64_t len = o.num_prompt_tokens + int64_t(b.tokens.size()) - (is_eos(last) ? 1 : 0);
    return b.cum / std::pow(double(std::max<int64_t>(len, 1)), o.length_penalty);
  };
  std::vector<RefBeam> live{RefBeam{}}, completed;
  for (int step = 0; step < o.max_tokens; ++step) {
    std::vector<RefBeam> candidates;
    for (const RefBeam& beam : live) {
      const TopLogprobs top = model(beam.tokens);
      for (size_t r = 0; r < std::min(top.size(), size_t(2 * o.beam_width)); ++r) {
        RefBeam next = beam;
        next.cum += double(top[r].second);
        if (is_eos(top[r].first) && !o.ignore_eos) {
          next.finished = true;
          if (o.include_stop_str_in_output) next.tokens.push_back(top[r].first);
          completed.push_back(next);
        } else {
          next.tokens.push_back(top[r].first);
          candidates.push_back(next);
        }
      }
    }
    std::stable_sort(candidates.begin(), candidates.end(), [](const RefBeam& a, const RefBeam& b) { return a.cum > b.cum; });
    if (candidates.size() > size_t(o.beam_width)) candidates.resize(size_t(o.beam_width));
    live = candidates;
    if (live.empty()) break;
    if (o.early_stopping && completed.size() >= size_t(o.beam_width)) {
      live.clear();
      break;
    }
  }
  std::vector<RefBeam> all = completed;
  all.insert(all.end(), live.begin(), live.end());
  std::stable_sort(all.begin(), all.end(), [&](const RefBeam& a, const RefBeam& b) { return score(a) > score(b); });
  if (all.size() > size_t(o.beam_width)) all.resize(size_t(o.beam_width));
  return all;
}

TEST(BeamSearch, MatchesAPlainTranscriptionOfVllmsLoopOnRandomModels) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 400; ++trial) {
    BeamSearchOptions o = options(1 + int(rng() % 4), 1 + int(rng() % 7));
    o.ignore_eos = rng() % 4 == 0;
    o.include_stop_str_in_output = rng() % 2 == 0;
    o.early_stopping = rng() % 4 == 0;
    o.length_penalty = std::vector<double>{-0.5, 0.0, 0.7, 1.0, 2.0}[rng() % 5];
    o.last_prompt_token = rng() % 8 == 0 ? kEos : 9;
    const int vocab = 3 + int(rng() % 10);
    RandomModel model(vocab, rng());
    BeamSearch search(o);
    const auto got = run(search, [&](const std::vector<int32_t>& out) { return model(out); });
    const auto want = reference_search(o, model);
    const std::string label = fmt::format("trial {}: width {}, max_tokens {}, vocab {}", trial, o.beam_width,
                                          o.max_tokens, vocab);
    ASSERT_EQ(got.size(), want.size()) << label;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(ids(got[i]), want[i].tokens) << label << ", beam " << i;
      EXPECT_NEAR(got[i].cum_logprob, want[i].cum, 1e-5) << label;
      EXPECT_EQ(got[i].finish_reason == RequestFinishReason::kStop, want[i].finished) << label;
    }
  }
}

// Wide enough to keep every sequence, a beam search returns all of them, best score first:
// compare with enumerating every continuation of at most 3 tokens over a vocabulary of 3.
TEST(BeamSearch, WithBeamsForEverySequenceItIsABruteForceSearch) {
  for (const double penalty : {0.0, 1.0, 3.0}) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      RandomModel model(3, seed);
      BeamSearchOptions o = options(27, 3);
      o.length_penalty = penalty;
      BeamSearch search(o);
      const auto got = run(search, [&](const std::vector<int32_t>& out) { return model(out); });

      struct Sequence {
        std::vector<int32_t> tokens;
        double cum;
        bool eos;
        double score;
      };
      std::vector<Sequence> all;
      const std::function<void(std::vector<int32_t>, double)> expand = [&](std::vector<int32_t> prefix, double cum) {
        if (prefix.size() == 3) {
          all.push_back({prefix, cum, false, cum / std::pow(double(o.num_prompt_tokens + 3), penalty)});
          return;
        }
        for (const auto& [token, logprob] : model(prefix)) {
          if (token == kEos) {
            const double len = double(o.num_prompt_tokens + int(prefix.size()));
            all.push_back({prefix, cum + logprob, true, (cum + logprob) / std::pow(len, penalty)});
          } else {
            auto longer = prefix;
            longer.push_back(token);
            expand(longer, cum + logprob);
          }
        }
      };
      expand({}, 0.0);
      ASSERT_EQ(all.size(), 15u);  // 8 of 3 tokens, 1 + 2 + 4 ended by EOS
      ASSERT_EQ(got.size(), all.size());
      std::sort(all.begin(), all.end(), [](const Sequence& a, const Sequence& b) { return a.score > b.score; });
      for (size_t i = 0; i < all.size(); ++i) {
        EXPECT_NEAR(got[i].score, all[i].score, 1e-9) << "seed " << seed << ", rank " << i;
        EXPECT_NEAR(got[i].cum_logprob, all[i].cum, 1e-5);
        EXPECT_EQ(got[i].finish_reason == RequestFinishReason::kStop, all[i].eos);
        if (i == 0 || std::fabs(all[i].score - all[i - 1].score) > 1e-9) {
          EXPECT_EQ(ids(got[i]), all[i].tokens);
        }
      }
    }
  }
}

}  // namespace
}  // namespace turbine::server
