#include "server/beam_search_run.h"

#include <algorithm>

#include "common/error.h"

namespace turbine::server {

BeamSearchRun::BeamSearchRun(LlmEngine& engine, std::string engine_id, std::vector<int32_t> prompt,
                             const RequestParams& params, BeamSearchOptions options, Post post, Deliver deliver)
    : engine_(engine),
      engine_id_(std::move(engine_id)),
      prompt_(std::move(prompt)),
      params_(params),
      post_(std::move(post)),
      deliver_(std::move(deliver)),
      search_(options),
      beam_width_(options.beam_width) {
  top_logprobs_ = std::max(search_.num_candidates(), options.num_top_logprobs);
}

RequestParams BeamSearchRun::step_params(const RequestParams& params, int top_logprobs, bool first_step) {
  RequestParams p;
  p.sampling.temperature = 0.0f;  // which token the step samples does not matter: its logprobs do
  p.sampling.logprobs = top_logprobs;
  p.max_tokens = 1;
  p.ignore_eos = true;
  p.priority = params.priority;
  p.cache_extra_keys = params.cache_extra_keys;
  if (first_step) p.prompt_logprobs = params.prompt_logprobs;
  return p;
}

void BeamSearchRun::start() {
  try {
    submit_step();
  } catch (...) {
    std::lock_guard lock(mutex_);
    delivered_ = true;  // the caller answers for it: nothing is delivered
    throw;
  }
}

void BeamSearchRun::submit_step() {
  const size_t beams = search_.num_live();
  int step = 0;
  {
    std::lock_guard lock(mutex_);
    step = step_;
    step_ids_.clear();
    step_tops_.assign(beams, {});
    step_got_token_.assign(beams, false);
    pending_ = int(beams) + 1;  // the extra one until every request is submitted
  }
  const RequestParams params = step_params(params_, top_logprobs_, step == 0);
  std::weak_ptr<BeamSearchRun> weak = weak_from_this();
  for (size_t b = 0; b < beams; ++b) {
    std::vector<int32_t> tokens = prompt_;
    const std::vector<int32_t> output = search_.live_tokens(b);
    tokens.insert(tokens.end(), output.begin(), output.end());
    std::string id = fmt::format("{}-{}-{}", engine_id_, step, b);
    try {
      engine_.submit(std::make_unique<Request>(id, std::move(tokens), params),
                     [weak, step, b](const RequestOutput& out) {
                       if (auto self = weak.lock()) self->on_output(step, b, out);
                     });
    } catch (const Error&) {
      if (step == 0) throw;  // only one request: nothing else is in the engine
      // A later step: the beams are delivered as aborted once the requests already in finish.
      std::vector<std::string> submitted;
      {
        std::lock_guard lock(mutex_);
        refused_ = true;
        pending_ -= int(beams - b);
        submitted = step_ids_;
      }
      for (const std::string& s : submitted) engine_.abort(s);
      break;
    }
    bool abort_it = false;
    {
      std::lock_guard lock(mutex_);
      step_ids_.push_back(id);
      abort_it = aborted_;
    }
    if (abort_it) engine_.abort(id);
  }
  bool complete = false;
  {
    std::lock_guard lock(mutex_);
    complete = --pending_ == 0;
  }
  if (complete) post_advance();
}

void BeamSearchRun::on_output(int step, size_t beam, const RequestOutput& output) {
  bool complete = false;
  {
    std::lock_guard lock(mutex_);
    if (step != step_ || beam >= step_tops_.size()) return;
    if (!output.error.empty() && error_.empty()) error_ = output.error;
    if (!output.prompt_logprobs.empty()) prompt_logprobs_ = output.prompt_logprobs;
    if (!output.new_tokens.empty()) {
      step_tops_[beam] = output.new_tokens.front().top_logprobs;
      step_got_token_[beam] = true;
    }
    complete = output.finish_reason && --pending_ == 0;
  }
  if (complete) post_advance();
}

void BeamSearchRun::post_advance() {
  post_([self = shared_from_this()] { self->advance(); });
}

void BeamSearchRun::advance() {
  std::vector<BeamSearch::TopLogprobs> tops;
  std::string error;
  bool aborted = false;
  {
    std::lock_guard lock(mutex_);
    if (delivered_) return;
    aborted = aborted_ || refused_ ||
              std::find(step_got_token_.begin(), step_got_token_.end(), false) != step_got_token_.end();
    error = error_;
    tops = std::move(step_tops_);
    step_tops_.clear();
    if (!error.empty() || aborted) delivered_ = true;
  }
  if (!error.empty()) {
    RequestOutput out;
    out.finish_reason = RequestFinishReason::kAbort;
    out.error = std::move(error);
    deliver_(out);
    return;
  }
  if (aborted) {
    deliver_aborted();
    return;
  }

  search_.step(tops);
  if (!search_.done()) {
    {
      std::lock_guard lock(mutex_);
      ++step_;
    }
    submit_step();
    return;
  }

  std::vector<PromptTokenLogprobInfo> prompt_logprobs;
  {
    std::lock_guard lock(mutex_);
    if (delivered_) return;
    delivered_ = true;
    prompt_logprobs = std::move(prompt_logprobs_);
  }
  std::vector<BeamSearchResult> results = search_.result();
  for (int i = 0; i < beam_width_; ++i) {
    RequestOutput out;
    out.sample_index = i;
    out.num_prompt_tokens = int(prompt_.size());
    if (size_t(i) < results.size()) {
      BeamSearchResult& r = results[size_t(i)];
      out.new_tokens = std::move(r.tokens);
      out.finish_reason = r.finish_reason;
      out.stop_token_id = r.eos_token;
    } else {
      out.finish_reason = RequestFinishReason::kAbort;  // fewer beams than asked for (a tiny vocabulary)
    }
    out.num_output_tokens = int(out.new_tokens.size());
    if (i == 0) out.prompt_logprobs = std::move(prompt_logprobs);
    deliver_(out);
  }
}

void BeamSearchRun::deliver_aborted() {
  for (int i = 0; i < beam_width_; ++i) {
    RequestOutput out;
    out.sample_index = i;
    out.num_prompt_tokens = int(prompt_.size());
    out.finish_reason = RequestFinishReason::kAbort;
    deliver_(out);
  }
}

void BeamSearchRun::abort() {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mutex_);
    if (aborted_ || delivered_) return;
    aborted_ = true;
    ids = step_ids_;
  }
  for (const std::string& id : ids) engine_.abort(id);
}

}  // namespace turbine::server
