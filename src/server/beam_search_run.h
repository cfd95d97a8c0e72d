// BeamSearchRun: one prompt's beam search (beam_search.h) against the engine, step by step, the
// way vLLM's OpenAI server runs it on top of its engine: every step submits each live beam as a
// request of its own - the prompt followed by the beam's tokens - for one greedy token with the
// top 2 * n logprobs (more when the response reports more alternatives), and once every beam's
// request of the step has finished, expands them into the next step's beams. The prompts of a
// step share everything up to their last token or so with the previous step's, so the engine's
// prefix cache serves them and each step computes about a block per beam.
//
// The logprobs are the model's own (the engine reports raw logprobs, before temperature or any
// other sampling parameter, as vLLM's default logprobs mode does), so sampling parameters have
// no effect on the search. The steps' requests keep the prompt's priority and prefix-cache keys
// (cache_salt); the first one also brings the prompt's logprobs when the prompt's parameters
// ask for them (completions' echo with logprobs).
//
// When the search is over, `deliver` gets one RequestOutput per beam of the result, best first
// (sample_index 0, 1, ...), each with all of its tokens and its finish reason; an EOS that ended
// a beam is its stop_token_id (vLLM's stop_reason), whether or not it is among the tokens. An
// engine failure is delivered once as an output with `error` set; an abort (or an engine that
// refuses a step's request, e.g. while shutting down) as one output per beam finishing with
// kAbort and no tokens. Exactly one of these happens, once start() has succeeded.
//
// Threads: start() on the caller's; engine sinks on the engine's output thread, where they only
// record the step's token and, when the step is complete, hand the next step to `post` (the I/O
// pool in the server), which expands the beams, submits the next requests or delivers the
// result. abort() from any thread.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/loop/llm_engine.h"
#include "server/beam_search.h"

namespace turbine::server {

class BeamSearchRun : public std::enable_shared_from_this<BeamSearchRun> {
 public:
  using Deliver = std::function<void(const RequestOutput&)>;
  using Post = std::function<void(std::function<void()>)>;

  // `params`: the prompt's planned parameters (priority, cache keys, prompt_logprobs are read
  // from them); `options.num_top_logprobs`: alternatives to report with each token.
  BeamSearchRun(LlmEngine& engine, std::string engine_id, std::vector<int32_t> prompt, const RequestParams& params,
                BeamSearchOptions options, Post post, Deliver deliver);

  // Submits the first step; throws turbine::Error (nothing left in the engine) when the engine
  // refuses it.
  void start();
  // Ends the search: the requests of the step in flight are aborted, and the beams are delivered
  // as aborted. Does nothing once the result is delivered.
  void abort();

  // The parameters of a step's request: one greedy token with `top_logprobs` alternatives, the
  // given parameters' priority and cache keys, and their prompt logprobs on the first step.
  static RequestParams step_params(const RequestParams& params, int top_logprobs, bool first_step);

 private:
  void submit_step();  // the live beams' requests (start() and advance())
  void on_output(int step, size_t beam, const RequestOutput& output);  // engine thread
  void advance();                                                     // posted
  void post_advance();  // once every request of the step has finished
  void deliver_aborted();

  LlmEngine& engine_;
  const std::string engine_id_;
  const std::vector<int32_t> prompt_;
  const RequestParams params_;
  const Post post_;
  const Deliver deliver_;
  BeamSearch search_;  // submit_step() and advance() only: never two at once
  const int beam_width_;
  int top_logprobs_ = 0;  // asked of each step's requests

  std::mutex mutex_;  // guards what follows
  int step_ = 0;      // the step in flight (its requests' ids end in "-{step}-{beam}")
  std::vector<std::string> step_ids_;  // submitted requests of the step in flight
  std::vector<BeamSearch::TopLogprobs> step_tops_;
  std::vector<bool> step_got_token_;
  std::vector<PromptTokenLogprobInfo> prompt_logprobs_;
  int pending_ = 0;  // requests of the step in flight not finished, plus 1 while submitting
  bool aborted_ = false;
  bool refused_ = false;  // the engine refused a request of a later step
  std::string error_;     // an engine failure
  bool delivered_ = false;
};

}  // namespace turbine::server
