#include "server/generation_job.h"

#include <algorithm>

#include "common/error.h"
#include "server/api_error.h"
#include "server/detokenizing_stop_matcher.h"
#include "server/response_json.h"
#include "server/sse.h"

namespace turbine::server {
namespace {

double seconds(GenerationJob::Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

GenerationJob::GenerationJob(GenerationPlan plan, const GenerationServices& services,
                             std::shared_ptr<HttpExchange> exchange, const HttpRequest& request,
                             Clock::time_point arrival)
    : plan_(std::move(plan)),
      services_(services),
      exchange_(std::move(exchange)),
      method_(request.method),
      path_(request.path),
      client_(request.remote_address),
      arrival_(arrival) {}

void GenerationJob::start() {
  const Tokenizer& tokenizer = services_.model.tokenizer;
  for (size_t i = 0; i < plan_.prompts.size(); ++i) {
    const PlannedPrompt& planned = plan_.prompts[i];
    PromptState prompt;
    prompt.engine_id = plan_.prompts.size() == 1 ? plan_.engine_id : fmt::format("{}-{}", plan_.engine_id, i);
    prompt.text_config = std::make_shared<const TextStreamConfig>(
        tokenizer, plan_.skip_special_tokens, planned.token_ids, plan_.stop, plan_.include_stop_str_in_output);
    prompt.num_prompt_tokens = planned.token_ids.size();
    prompt.min_tokens = planned.params.min_tokens;
    prompt.samples_left = plan_.n;
    for (int s = 0; s < plan_.n; ++s) {
      Choice choice(prompt.text_config,
                    LogprobsBuilder(plan_.logprobs, plan_.top_logprobs, &tokenizer, 0, plan_.tokens_as_ids));
      // Echo without logprobs goes out at once; with them it waits for the prompt's logprobs.
      if (plan_.echo && plan_.logprobs == LogprobsFormat::kNone) choice.pending_text = planned.text;
      choice.echo_pending = plan_.echo && plan_.logprobs != LogprobsFormat::kNone;
      if (plan_.endpoint == ApiEndpoint::kChatCompletions) {
        auto shaper = std::make_shared<ChatOutputShaper>(plan_, plan_.tools);
        if (shaper->active()) choice.shaper = std::move(shaper);
      }
      // Chat's echo: a stream sends it alone, right after the role (vLLM); else the content starts
      // with it (after shaping, when the reply is shaped).
      if (!plan_.chat_echo.empty()) {
        if (plan_.stream) {
          choice.chat_echo_pending = true;
        } else if (!choice.shaper) {
          choice.pending_text = plan_.chat_echo;
        }
      }
      choices_.push_back(std::move(choice));
    }
    if (plan_.beam_search) prompt.beam_search = make_beam_search(i, planned, prompt.engine_id);
    prompts_.push_back(std::move(prompt));
  }

  // The tracker holds the job until finish(): engine sinks and I/O callbacks only hold weak or
  // temporary references, so a job can never outlive its bookkeeping.
  auto self = shared_from_this();
  try {
    ticket_ = services_.tracker.admit(plan_.num_choices(), [self] { self->abort_engine_requests(); });
  } catch (const ApiError& e) {
    // A request too large to ever fit (400): name the field the client sent that made it so,
    // the prompt list when n was left at 1.
    if (e.status() != 400) throw;
    throw ApiError(e.status(), e.what(), plan_.n == 1 && plan_.prompts.size() > 1 ? "prompt" : "n", e.code());
  }
  size_t submitted = 0;
  try {
    for (; submitted < prompts_.size(); ++submitted) {
      if (prompts_[submitted].beam_search) {
        prompts_[submitted].beam_search->start();
        continue;
      }
      const PlannedPrompt& planned = plan_.prompts[submitted];
      auto request = std::make_unique<Request>(prompts_[submitted].engine_id, planned.token_ids, planned.params);
      if (!plan_.stop.empty())
        request->stop_strings = std::make_unique<DetokenizingStopMatcher>(prompts_[submitted].text_config);
      std::weak_ptr<GenerationJob> weak = self;
      services_.engine.submit(std::move(request), [weak, index = submitted](const RequestOutput& output) {
        if (auto job = weak.lock()) job->on_engine_output(index, output);
      });
    }
  } catch (const Error& e) {
    // The client is told the request failed, so none of it may keep running.
    for (size_t i = 0; i < submitted; ++i) abort_prompt(prompts_[i]);
    services_.tracker.finish(*ticket_);
    if (services_.tracker.shutting_down()) throw ApiError(503, "the server is shutting down", {}, "shutting_down");
    throw ApiError(400, e.what(), {}, "invalid_value");
  }

  std::weak_ptr<GenerationJob> weak = self;
  exchange_->set_disconnect_handler([weak] {
    if (auto job = weak.lock()) job->on_client_gone();
  });
  if (plan_.stream) exchange_->start_stream(200, "text/event-stream");
  {
    std::lock_guard lock(mutex_);
    started_ = true;
    if (busy_ || (queued_.empty() && !plan_.stream)) return;
    busy_ = true;  // a stream drains at once: its first chunks (role, echo) go out before any token
  }
  exchange_->post([self] { self->drain(); });
}

void GenerationJob::on_engine_output(size_t prompt, const RequestOutput& output) {
  {
    std::lock_guard lock(mutex_);
    queued_.push_back(Delta{prompt, output, Clock::now()});
    if (!started_ || busy_) return;
    busy_ = true;
  }
  exchange_->post([self = shared_from_this()] { self->drain(); });
}

void GenerationJob::drain() {
  while (true) {
    std::vector<Delta> deltas;
    bool gone = false;
    {
      std::lock_guard lock(mutex_);
      deltas.swap(queued_);
      gone = client_gone_;
    }
    for (const Delta& delta : deltas) apply(delta);
    const bool done = all_finished();
    if (!response_sent_ && gone && done) {
      response_sent_ = true;
      finish();
    } else if (!response_sent_ && !gone && plan_.stream) {
      std::string data = build_stream_chunks(done);
      if (done) {
        // The job ends when the last byte is out, so shutdown waits for it.
        response_sent_ = true;
        write(std::move(data));
        exchange_->end_stream([self = shared_from_this()](bool) { self->finish(); });
        return;
      }
      if (!data.empty()) {
        write(std::move(data));  // on_write_done() drains again
        return;
      }
    } else if (!response_sent_ && !gone && done) {
      response_sent_ = true;
      send_whole_response();  // finish() once it is sent
    }
    std::lock_guard lock(mutex_);
    if (queued_.empty()) {
      busy_ = false;
      return;
    }
  }
}

void GenerationJob::apply(const Delta& delta) {
  PromptState& prompt = prompts_.at(delta.prompt);
  const RequestOutput& out = delta.output;
  const size_t first_choice = delta.prompt * size_t(plan_.n);
  TURBINE_CHECK(out.sample_index >= 0 && out.sample_index < plan_.n, "sample index {} out of range", out.sample_index);
  Choice& choice = choices_[first_choice + size_t(out.sample_index)];

  if (!out.error.empty()) {
    // The engine failed: it reports once per request, whatever n is. End every sample.
    if (engine_error_.empty()) engine_error_ = out.error;
    for (int s = 0; s < plan_.n; ++s)
      if (!choices_[first_choice + size_t(s)].finish_reason)
        finish_choice(choices_[first_choice + size_t(s)], prompt, RequestFinishReason::kAbort, std::nullopt, delta.at);
    return;
  }
  if (choice.finish_reason) return;
  if (!out.prompt_logprobs.empty()) prompt.prompt_logprobs = out.prompt_logprobs;  // once per request
  if (choice.echo_pending && (!out.new_tokens.empty() || !prompt.prompt_logprobs.empty()))
    append_echo(choice, delta.prompt);

  if (!out.new_tokens.empty()) {
    const size_t k = out.new_tokens.size();
    if (!prompt.first_token_seen) {
      prompt.first_token_seen = true;
      const double ttft = seconds(delta.at - arrival_);
      services_.metrics.time_to_first_token.observe(ttft);
      services_.metrics.add_prompt_tokens(prompt.num_prompt_tokens);
      if (!ttft_seconds_) ttft_seconds_ = ttft;
    }
    services_.metrics.add_generation_tokens(k);
    if (choice.last_token_at) {
      const double gap = seconds(delta.at - *choice.last_token_at) / double(k);
      for (size_t i = 0; i < k; ++i) services_.metrics.inter_token_latency.observe(gap);
    }
    choice.last_token_at = delta.at;
    append_tokens(choice, prompt, out);
  }

  if (out.finish_reason) {
    finish_choice(choice, prompt, *out.finish_reason, out.stop_token_id, delta.at);
    // Aborted before its samples forked, a request reports only sample 0: the others never
    // existed in the engine (see Scheduler::abort_samples), so they end here too.
    const bool nothing_generated = std::all_of(choices_.begin() + std::ptrdiff_t(first_choice),
                                               choices_.begin() + std::ptrdiff_t(first_choice) + plan_.n,
                                               [](const Choice& c) { return c.num_tokens == 0; });
    if (*out.finish_reason == RequestFinishReason::kAbort && out.sample_index == 0 && nothing_generated &&
        prompt.num_prompt_tokens >= 2) {
      for (int s = 1; s < plan_.n; ++s)
        if (!choices_[first_choice + size_t(s)].finish_reason)
          finish_choice(choices_[first_choice + size_t(s)], prompt, RequestFinishReason::kAbort, std::nullopt,
                        delta.at);
    }
  }
}

void GenerationJob::append_tokens(Choice& choice, const PromptState& prompt, const RequestOutput& out) {
  const auto& eos = services_.model.eos_token_ids;
  for (size_t i = 0; i < out.new_tokens.size(); ++i) {
    const GeneratedTokenInfo& token = out.new_tokens[i];
    ++choice.num_tokens;
    const bool may_stop = choice.num_tokens >= prompt.min_tokens;
    // The token that ended the sample as a stop token or EOS is counted but not shown (vLLM).
    const bool last = i + 1 == out.new_tokens.size();
    // (A beam that an EOS ended names it as its stop token, but keeps it among its tokens only
    // with include_stop_str_in_output.)
    const bool stop_token = last && out.finish_reason == RequestFinishReason::kStop &&
                            (out.stop_token_id == token.token ||
                             (!plan_.ignore_eos && may_stop && std::ranges::find(eos, token.token) != eos.end()));
    choice.pending_text += choice.text.push(token.token, may_stop, /*visible=*/!stop_token);
    choice.logprobs.add(token);
  }
}

void GenerationJob::append_echo(Choice& choice, size_t prompt_index) {
  choice.echo_pending = false;
  const std::vector<int32_t>& ids = plan_.prompts[prompt_index].token_ids;
  std::vector<const PromptTokenLogprobInfo*> by_position(ids.size(), nullptr);
  for (const PromptTokenLogprobInfo& info : prompts_[prompt_index].prompt_logprobs)
    if (info.position >= 0 && size_t(info.position) < ids.size()) by_position[size_t(info.position)] = &info;
  for (size_t i = 0; i < ids.size(); ++i) choice.logprobs.add_prompt_token(ids[i], by_position[i]);
  choice.pending_text.insert(0, plan_.prompts[prompt_index].text);
}

void GenerationJob::finish_choice(Choice& choice, PromptState& prompt, RequestFinishReason reason,
                                  std::optional<int32_t> stop_token_id, Clock::time_point at) {
  choice.pending_text += choice.text.finish(choice.num_tokens >= prompt.min_tokens);
  choice.finish_reason = reason;
  if (choice.text.stopped()) {
    choice.finish_reason = RequestFinishReason::kStop;  // also when the stop string completed in the flush
    choice.stop_reason = *choice.text.matched_stop();
  } else if (stop_token_id) {
    choice.stop_reason = *stop_token_id;
  }
  services_.metrics.count_finished(*choice.finish_reason);
  if (--prompt.samples_left == 0) services_.metrics.e2e_request_latency.observe(seconds(at - arrival_));
}

Json GenerationJob::shaped_finish_reason(const Choice& c) {
  // Tool calls made by the model's choice (auto, required) finish with "tool_calls", as OpenAI's
  // and vLLM's do; a length cut stays "length".
  if (c.finish_reason == RequestFinishReason::kStop && c.shaper && c.shaper->reports_tool_calls()) return "tool_calls";
  return finish_reason_json(c.finish_reason);
}

std::string GenerationJob::build_stream_chunks(bool all_finished) {
  std::string out;
  if (stream_done_) return out;
  const bool chat = plan_.endpoint == ApiEndpoint::kChatCompletions;
  const bool usage_field = plan_.stream_options.include_usage || plan_.stream_options.continuous_usage_stats;
  auto chunk_usage = [&]() -> Json {
    if (plan_.stream_options.continuous_usage_stats) return usage_json(prompt_token_total(), completion_token_total());
    return usage_field ? Json(nullptr) : Json(Json::value_t::discarded);
  };
  for (size_t i = 0; i < choices_.size(); ++i) {
    Choice& c = choices_[i];
    if (chat && !c.role_sent) {
      c.role_sent = true;
      Json choice = chat_delta_choice_json(int(i), "assistant", "", nullptr, nullptr, nullptr);
      append_sse_event(out, dump_json(response_json(plan_, true, Json::array({std::move(choice)}), chunk_usage())));
    }
    if (c.chat_echo_pending) {
      c.chat_echo_pending = false;
      Json choice = chat_delta_choice_json(int(i), std::nullopt, plan_.chat_echo, nullptr, nullptr, nullptr);
      append_sse_event(out, dump_json(response_json(plan_, true, Json::array({std::move(choice)}), chunk_usage())));
    }
    const bool finishing = c.finish_reason && !c.finish_sent;
    if (c.pending_text.empty() && c.logprobs.empty() && !finishing) continue;
    // stream_interval: after the first chunk with tokens, a choice's tokens go out in groups of
    // at least that many; its last chunk goes at once (vLLM).
    const bool first_tokens = c.num_tokens_sent == 0;
    if (!finishing && !first_tokens && c.num_tokens - c.num_tokens_sent < plan_.stream_interval) continue;
    c.num_tokens_sent = c.num_tokens;
    if (chat && c.shaper) {
      ShapedDelta shaped = c.shaper->feed(c.pending_text, finishing);
      c.pending_text.clear();
      Json logprobs = c.logprobs.take();
      if (shaped.empty() && logprobs.is_null() && !finishing) continue;
      Json reason = finishing ? shaped_finish_reason(c) : Json(nullptr);
      Json stop_reason = finishing ? c.stop_reason : Json(nullptr);
      append_sse_event(out, dump_json(response_json(plan_, true,
                                                    Json::array({chat_shaped_delta_choice_json(int(i), shaped, std::move(logprobs),
                                                                                               std::move(reason),
                                                                                               std::move(stop_reason))}),
                                                    chunk_usage())));
      if (finishing) c.finish_sent = true;
      continue;
    }
    Json logprobs = c.logprobs.take();
    Json reason = finishing ? finish_reason_json(c.finish_reason) : Json(nullptr);
    Json stop_reason = finishing ? c.stop_reason : Json(nullptr);
    Json choice = chat ? chat_delta_choice_json(int(i), std::nullopt,
                                                c.pending_text.empty() && finishing ? std::nullopt
                                                                                    : std::optional(c.pending_text),
                                                std::move(logprobs), std::move(reason), std::move(stop_reason))
                       : completion_choice_json(int(i), c.pending_text, std::move(logprobs), std::move(reason),
                                                std::move(stop_reason));
    append_sse_event(out, dump_json(response_json(plan_, true, Json::array({std::move(choice)}), chunk_usage())));
    c.pending_text.clear();
    if (finishing) c.finish_sent = true;
  }
  if (all_finished) {
    if (!engine_error_.empty()) append_sse_event(out, ApiError(500, engine_error_, {}, "engine_error").to_json());
    if (plan_.stream_options.include_usage)
      append_sse_event(out, dump_json(response_json(plan_, true, Json::array(),
                                                    usage_json(prompt_token_total(), completion_token_total()))));
    out += kSseDone;
    stream_done_ = true;
  }
  return out;
}

void GenerationJob::send_whole_response() {
  if (!engine_error_.empty()) {
    const ApiError error(500, "generation failed: " + engine_error_, {}, "engine_error");
    exchange_->send(HttpResponse{error.status(), "application/json", error.to_json(), {}},
                    [self = shared_from_this()](bool) { self->finish(); });
    return;
  }
  const bool chat = plan_.endpoint == ApiEndpoint::kChatCompletions;
  Json choices = Json::array();
  for (size_t i = 0; i < choices_.size(); ++i) {
    Choice& c = choices_[i];
    Json reason = finish_reason_json(c.finish_reason);
    if (chat && c.shaper) {
      ShapedMessage message = c.shaper->whole(c.pending_text);
      if (!plan_.chat_echo.empty()) message.content = plan_.chat_echo + message.content.value_or("");
      choices.push_back(chat_message_choice_json(int(i), std::move(message), c.logprobs.take(), shaped_finish_reason(c),
                                                 c.stop_reason));
      continue;
    }
    choices.push_back(chat ? chat_message_choice_json(int(i), std::move(c.pending_text), c.logprobs.take(),
                                                      std::move(reason), c.stop_reason)
                           : completion_choice_json(int(i), std::move(c.pending_text), c.logprobs.take(),
                                                    std::move(reason), c.stop_reason));
  }
  const Json body = response_json(plan_, false, std::move(choices),
                                  usage_json(prompt_token_total(), completion_token_total()));
  exchange_->send(HttpResponse{200, "application/json", dump_json(body), {}},
                  [self = shared_from_this()](bool) { self->finish(); });
}

void GenerationJob::write(std::string data) {
  exchange_->write(std::move(data), [self = shared_from_this()](bool ok) { self->on_write_done(ok); });
}

void GenerationJob::on_write_done(bool ok) {
  if (!ok) on_client_gone();
  drain();  // busy_ is still set for this job: this continues the drain the write paused
}

void GenerationJob::on_client_gone() {
  {
    std::lock_guard lock(mutex_);
    if (client_gone_) return;
    client_gone_ = true;
  }
  abort_engine_requests();
}

void GenerationJob::abort_engine_requests() {
  for (const PromptState& prompt : prompts_) abort_prompt(prompt);
}

void GenerationJob::abort_prompt(const PromptState& prompt) {
  if (prompt.beam_search) {
    prompt.beam_search->abort();
  } else {
    services_.engine.abort(prompt.engine_id);
  }
}

std::shared_ptr<BeamSearchRun> GenerationJob::make_beam_search(size_t index, const PlannedPrompt& planned,
                                                               const std::string& engine_id) {
  BeamSearchOptions options;
  options.beam_width = plan_.n;
  options.max_tokens = planned.params.max_tokens;
  options.ignore_eos = plan_.ignore_eos;
  options.include_stop_str_in_output = plan_.include_stop_str_in_output;
  options.length_penalty = plan_.beam_search->length_penalty;
  options.early_stopping = plan_.beam_search->early_stopping;
  options.eos_token_ids = services_.model.eos_token_ids;
  options.num_prompt_tokens = int(planned.token_ids.size());
  options.last_prompt_token = planned.token_ids.back();
  options.num_top_logprobs = plan_.logprobs == LogprobsFormat::kNone ? 0 : plan_.top_logprobs;
  std::weak_ptr<GenerationJob> weak = weak_from_this();
  return std::make_shared<BeamSearchRun>(
      services_.engine, engine_id, planned.token_ids, planned.params, std::move(options),
      [exchange = exchange_](std::function<void()> task) { exchange->post(std::move(task)); },
      [weak, index](const RequestOutput& output) {
        if (auto job = weak.lock()) job->on_engine_output(index, output);
      });
}

bool GenerationJob::all_finished() const {
  return std::all_of(choices_.begin(), choices_.end(), [](const Choice& c) { return c.finish_reason.has_value(); });
}

int64_t GenerationJob::prompt_token_total() const {
  int64_t total = 0;
  for (const PromptState& p : prompts_) total += int64_t(p.num_prompt_tokens);
  return total;
}

int64_t GenerationJob::completion_token_total() const {
  int64_t total = 0;
  for (const Choice& c : choices_) total += c.num_tokens;
  return total;
}

void GenerationJob::finish() {
  // Runs once (response_sent_ guards every caller), on an I/O thread, after all choices finished:
  // the choices are no longer written to.
  bool gone = false;
  {
    std::lock_guard lock(mutex_);
    gone = client_gone_;
  }
  AccessLogEntry entry;
  entry.method = method_;
  entry.path = path_;
  entry.status = gone ? 499 : engine_error_.empty() ? 200 : 500;  // 499: nginx's "client closed request"
  entry.client = client_;
  entry.total_seconds = seconds(Clock::now() - arrival_);
  entry.id = plan_.id;
  entry.prompt_tokens = prompt_token_total();
  entry.output_tokens = completion_token_total();
  entry.ttft_seconds = ttft_seconds_;
  for (const Choice& c : choices_) {
    if (!entry.finish_reasons.empty()) entry.finish_reasons += ',';
    entry.finish_reasons += request_finish_reason_name(*c.finish_reason);
  }
  services_.access_log.write(entry);
  services_.tracker.finish(*ticket_);  // drops the tracker's reference; the caller holds another
}

}  // namespace turbine::server
