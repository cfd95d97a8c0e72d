#include "engine/scheduler/scheduler.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "common/error.h"
#include "engine/scheduler/scheduling_rules.h"
#include "engine/scheduler/stop_conditions.h"

namespace turbine {

Scheduler::Scheduler(const SchedulerConfig& config, const KvCacheConfig& kv_config)
    : config_((config.validate(), config)), kv_(kv_config), waiting_(config.policy) {
  const int usable = kv_.pool().num_usable_blocks();
  // One sequence alone must always fit: its whole context, or with a sliding window the window
  // plus a step's tokens (and a block the window starts inside).
  int needed = kv_.blocks_for_tokens(config_.max_model_len);
  if (const int window = kv_.config().sliding_window; window > 0)
    needed = std::min(needed, kv_.blocks_for_tokens(window + config_.max_num_batched_tokens) + 1);
  if (needed > usable)
    fail("the KV cache holds {} tokens ({} usable blocks of {}), fewer than max_model_len = {}: lower "
         "max_model_len or give the cache more memory",
         int64_t(usable) * kv_.block_size(), usable, kv_.block_size(), config_.max_model_len);
}

// ---- Any thread.

void Scheduler::add_request(std::unique_ptr<Request> request) {
  TURBINE_CHECK(request != nullptr);
  TURBINE_CHECK(request->status == RequestStatus::kWaiting && request->num_output_tokens() == 0 &&
                    request->seq_id == 0,
                "only a fresh request can be submitted");
  const int prompt_len = request->num_prompt_tokens();
  if (prompt_len == 0) fail("request '{}': the prompt is empty", request->id);
  if (prompt_len >= config_.max_model_len)
    fail("request '{}': the prompt has {} tokens but the context length is {} (at least one token must be "
         "generated)",
         request->id, prompt_len, config_.max_model_len);
  for (int i = 0; i < prompt_len; ++i)
    if (request->prompt_token_ids()[size_t(i)] < 0)
      fail("request '{}': prompt token {} (at index {}) is negative", request->id,
           request->prompt_token_ids()[size_t(i)], i);
  if (request->params.n > config_.max_num_seqs)
    fail("request '{}': n = {} exceeds max_num_seqs = {}", request->id, request->params.n, config_.max_num_seqs);
  queue_.submit(std::move(request));
}

void Scheduler::abort_request(std::string id) { queue_.abort(std::move(id)); }

// ---- Bookkeeping.

const Request* Scheduler::find_sequence(SeqId seq_id) const {
  auto it = sequences_.find(seq_id);
  return it == sequences_.end() ? nullptr : it->second.get();
}

SchedulerStats Scheduler::stats() const {
  return SchedulerStats{num_running(), num_waiting(), kv_.usage(), kv_.pool().prefix_cache_stats(), num_preemptions_};
}

Request& Scheduler::register_sequence(std::unique_ptr<Request> request) {
  request->seq_id = next_seq_id_++;
  Request& ref = *request;
  samples_by_id_[ref.id].push_back(ref.seq_id);
  sequences_.emplace(ref.seq_id, std::move(request));
  return ref;
}

void Scheduler::finish(Request& request, RequestStatus status) {
  TURBINE_CHECK(is_finished(status));
  request.status = status;
  waiting_.remove(&request);
  std::erase(running_, &request);
  kv_.free(request);
  finished_since_last_step_.push_back(request.seq_id);
  auto samples = samples_by_id_.find(request.id);
  TURBINE_CHECK(samples != samples_by_id_.end());
  std::erase(samples->second, request.seq_id);
  if (samples->second.empty()) {
    queue_.release_id(request.id);
    samples_by_id_.erase(samples);
  }
  sequences_.erase(request.seq_id);  // destroys `request`
}

RequestDelta Scheduler::make_delta(const Request& request) const {
  RequestDelta delta;
  delta.output_key = request.output_key;
  delta.sample_index = request.sample_index;
  delta.seq_id = request.seq_id;
  delta.num_prompt_tokens = request.num_prompt_tokens();
  delta.num_cached_tokens = std::max(request.num_cached_tokens, 0);
  delta.num_output_tokens = request.num_output_tokens();
  return delta;
}

int Scheduler::seats_in_use() const {
  int seats = 0;
  for (const Request* request : running_) seats += num_seats(*request);
  return seats;
}

// ---- One step.

bool Scheduler::can_schedule_ahead() const {
  return std::ranges::none_of(running_, [](const Request* r) {
    return r->num_in_flight_tokens > 0 && r->num_in_flight_drafts > 0;
  });
}

SchedulerOutput Scheduler::schedule() {
  const uint64_t outstanding = num_scheduled_steps_ - num_updated_steps_;
  TURBINE_CHECK(outstanding == 0 || (outstanding == 1 && can_schedule_ahead()),
                "schedule() with {} updates outstanding", outstanding);
  Step step;
  step.output.step_id = ++num_scheduled_steps_;
  step.token_budget = config_.max_num_batched_tokens;
  drain_queue();
  step.output.finished_seq_ids = std::exchange(finished_since_last_step_, {});
  fork_ready_requests();
  // Sized once: at hundreds of rows, growing it step by step was a good part of the host time.
  step.output.scheduled.reserve(std::min(size_t(config_.max_num_seqs), running_.size() + waiting_.size()));
  step.output.token_ids.reserve(size_t(config_.max_num_batched_tokens));  // the budget bounds it
  step.output.block_ids.reserve(step.output.scheduled.capacity());  // a decode step appends at most one each
  schedule_running(step);
  schedule_waiting(step);
  step.output.block_copies = kv_.take_block_copies();
  return std::move(step.output);
}

void Scheduler::drain_queue() {
  for (RequestQueue::Event& event : queue_.drain()) {
    switch (event.kind) {
      case RequestQueue::Event::Kind::kSubmit: enqueue_new_request(std::move(event.request)); break;
      case RequestQueue::Event::Kind::kAbort: abort_samples(event.id); break;
    }
  }
}

void Scheduler::enqueue_new_request(std::unique_ptr<Request> request) {
  const int n = request->params.n;
  // A one-token prompt has no K/V to share before its first sample: its samples start apart.
  request->fork_pending = n > 1 && request->num_prompt_tokens() >= 2;
  Request& first = register_sequence(std::move(request));
  waiting_.push(&first);
  if (n > 1 && !first.fork_pending) {
    for (int index = 1; index < n; ++index) waiting_.push(&register_sequence(Request::make_sibling(first, index)));
  }
}

void Scheduler::abort_samples(const std::string& id) {
  auto samples = samples_by_id_.find(id);
  if (samples == samples_by_id_.end()) return;  // finished already, or never existed
  const std::vector<SeqId> seq_ids = samples->second;
  for (SeqId seq_id : seq_ids) {
    Request& request = *sequences_.at(seq_id);
    RequestDelta delta = make_delta(request);
    delta.finish_reason = RequestFinishReason::kAbort;
    abort_deltas_.push_back(std::move(delta));
    finish(request, RequestStatus::kFinishedAborted);
  }
}

void Scheduler::fork_ready_requests() {
  for (size_t i = 0, count = running_.size(); i < count; ++i) {
    Request& parent = *running_[i];
    if (!parent.fork_pending || parent.num_computed_tokens < fork_point(parent)) continue;
    TURBINE_CHECK(parent.num_computed_tokens == fork_point(parent));
    parent.fork_pending = false;
    for (int index = 1; index < parent.params.n; ++index) {
      Request& child = register_sequence(Request::make_sibling(parent, index));
      child.status = RequestStatus::kRunning;
      child.num_computed_tokens = parent.num_computed_tokens;
      child.num_cached_tokens = parent.num_cached_tokens;
      kv_.fork(parent, child);
      running_.push_back(&child);
    }
  }
}

void Scheduler::schedule_running(Step& step) {
  // Decodes first: each costs one token and keeps a stream flowing; prefill chunks share the rest.
  std::vector<Request*> order;
  order.reserve(running_.size());
  const auto is_decode = [](const Request* r) { return r->num_planned_tokens() - r->num_computed_tokens == 1; };
  std::ranges::copy_if(running_, std::back_inserter(order), is_decode);
  std::ranges::copy_if(running_, std::back_inserter(order), [&](const Request* r) { return !is_decode(r); });

  for (Request* request : order) {
    if (step.token_budget == 0) break;
    if (request->status != RequestStatus::kRunning) continue;  // preempted earlier in this step
    if (request->num_in_flight_tokens > 0 && in_flight_token_ends(*request, config_)) continue;
    const int num_drafts = num_drafts_to_schedule(*request, step.token_budget, config_);
    const int num_tokens =
        num_tokens_to_schedule(*request, request->num_computed_tokens, step.token_budget, config_) + num_drafts;
    if (num_tokens == 0) continue;
    std::optional<SlotAllocation> slots;
    while (!(slots = kv_.allocate_slots(*request, num_tokens))) {
      Request* victim = select_preemption_victim(running_, config_.policy);
      preempt(*victim, step);
      if (victim == request) break;
    }
    if (slots) add_to_step(*request, num_tokens, num_drafts, *slots, step);
  }
}

void Scheduler::schedule_waiting(Step& step) {
  if (step.preempted_any) return;
  int seats = seats_in_use();
  while (!waiting_.empty() && step.token_budget > 0) {
    Request& request = *waiting_.front();
    if (seats + num_seats(request) > config_.max_num_seqs) break;
    // Preempted while its last token was in flight: it resumes once that token is known.
    if (request.num_in_flight_tokens > 0) break;
    // A request that will fork keeps its last two prompt tokens to compute, so it reaches the
    // fork point (all but the last token) by computing at least one.
    // Prompt logprobs need the logits of every prompt position, so such a request uses no cache.
    const int max_hit_tokens = request.params.prompt_logprobs ? 0
                               : request.fork_pending      ? fork_point(request) - 1
                                                           : std::numeric_limits<int>::max();
    const ComputedBlocks computed = kv_.get_computed_blocks(request, max_hit_tokens);
    const int num_tokens = num_tokens_to_schedule(request, computed.num_tokens, step.token_budget, config_);
    TURBINE_CHECK(num_tokens > 0);
    const std::optional<SlotAllocation> slots = kv_.allocate_slots(request, num_tokens, computed);
    if (!slots) break;
    waiting_.pop_front();
    request.status = RequestStatus::kRunning;
    request.num_computed_tokens = computed.num_tokens;
    if (request.num_cached_tokens < 0) request.num_cached_tokens = computed.num_tokens;
    running_.push_back(&request);
    seats += num_seats(request);
    add_to_step(request, num_tokens, /*num_drafts=*/0, *slots, step);
  }
}

void Scheduler::preempt(Request& victim, Step& step) {
  kv_.free(victim);
  victim.draft_token_ids.clear();  // it recomputes first; a drafter proposes again once it runs
  victim.status = RequestStatus::kPreempted;
  victim.num_computed_tokens = 0;
  victim.runner_has_state = false;
  ++victim.num_preemptions;
  ++num_preemptions_;
  std::erase(running_, &victim);
  waiting_.push(&victim);
  unschedule(victim, step);
  step.output.preempted_seq_ids.push_back(victim.seq_id);
  step.preempted_any = true;
}

void Scheduler::unschedule(Request& request, Step& step) {
  auto& scheduled = step.output.scheduled;
  auto it = std::ranges::find(scheduled, request.seq_id, &ScheduledSequence::seq_id);
  if (it == scheduled.end()) return;
  request.num_in_flight_tokens -= int(it->samples_token);
  request.num_in_flight_drafts = 0;
  step.token_budget += it->num_scheduled_tokens();
  step.output.num_scheduled_tokens -= it->num_scheduled_tokens();
  step.output.num_prompt_tokens -= prompt_tokens_in(request, it->num_computed_tokens, it->num_computed_tokens + it->num_tokens);
  scheduled.erase(it);
}

void Scheduler::add_to_step(Request& request, int num_tokens, int num_drafts, const SlotAllocation& slots,
                            Step& step) {
  ScheduledSequence entry;
  entry.seq_id = request.seq_id;
  entry.is_new = !request.runner_has_state;
  if (entry.is_new) {
    entry.new_sequence = int(step.output.new_sequences.size());
    NewSequence& fresh = step.output.new_sequences.emplace_back();
    fresh.seq_id = request.seq_id;
    fresh.sample_index = request.sample_index;
    const auto prompt = request.prompt_token_ids();
    const auto output = request.output_token_ids();
    fresh.prompt_token_ids.assign(prompt.begin(), prompt.end());
    fresh.output_token_ids.assign(output.begin(), output.end());
    fresh.params = request.params;
  }
  entry.num_computed_tokens = request.num_computed_tokens;
  // Known tokens, then (scheduling ahead) the one the step in flight samples, fed on the device,
  // or the draft tokens to verify.
  const int end = request.num_computed_tokens + num_tokens;
  const int known_end = std::min(end - num_drafts, request.num_tokens());
  TURBINE_CHECK(num_drafts == 0 || (known_end == request.num_tokens() && end - known_end == num_drafts &&
                                    num_drafts <= int(request.draft_token_ids.size())),
                "sequence {}: drafts scheduled before its last token", request.seq_id);
  TURBINE_CHECK(num_drafts > 0 || (end - known_end <= 1 && end - known_end <= request.num_in_flight_tokens),
                "sequence {}: scheduled past its tokens", request.seq_id);
  const auto tokens = request.all_token_ids().subspan(size_t(request.num_computed_tokens),
                                                      size_t(known_end - request.num_computed_tokens));
  std::vector<int32_t>& step_tokens = step.output.token_ids;
  entry.token_begin = int(step_tokens.size());
  entry.num_tokens = num_tokens;
  step_tokens.insert(step_tokens.end(), tokens.begin(), tokens.end());
  entry.last_token_in_flight = num_drafts == 0 && end > known_end;
  if (entry.last_token_in_flight) step_tokens.push_back(kInFlightToken);
  step_tokens.insert(step_tokens.end(), request.draft_token_ids.begin(), request.draft_token_ids.begin() + num_drafts);
  entry.num_draft_tokens = num_drafts;
  entry.samples_token = end - num_drafts == request.num_planned_tokens();
  request.draft_token_ids.clear();  // taken by this step, or stale once the sequence moves on
  request.num_in_flight_drafts = num_drafts;
  entry.num_prior_output_tokens = request.num_output_tokens() + request.num_in_flight_tokens;
  const bool replace = entry.is_new || slots.table_rewritten;
  entry.block_table.kind = replace ? BlockTableUpdate::Kind::kReplace : BlockTableUpdate::Kind::kAppend;
  entry.block_table.block_begin = int(step.output.block_ids.size());
  if (replace || slots.num_appended_blocks > 0) {  // most decode steps append nothing
    const auto table = kv_.block_ids(request.seq_id);
    const auto ids = replace ? table : table.last(size_t(slots.num_appended_blocks));
    entry.block_table.num_blocks = int(ids.size());
    step.output.block_ids.insert(step.output.block_ids.end(), ids.begin(), ids.end());
  }
  request.runner_has_state = true;
  step.output.num_prompt_tokens += prompt_tokens_in(request, request.num_computed_tokens, end);
  request.num_computed_tokens = end;
  request.num_in_flight_tokens += int(entry.samples_token);
  step.token_budget -= num_tokens;
  step.output.num_scheduled_tokens += num_tokens;
  step.output.scheduled.push_back(std::move(entry));
}

// ---- After the step.

std::vector<RequestDelta> Scheduler::update_from_output(const SchedulerOutput& output, const StepTokens& sampled) {
  TURBINE_CHECK(output.step_id == num_updated_steps_ + 1 && output.step_id <= num_scheduled_steps_,
                "update_from_output() for step {} after step {} (of {} scheduled)", output.step_id,
                num_updated_steps_, num_scheduled_steps_);
  ++num_updated_steps_;
  TURBINE_CHECK(sampled.num_sequences() == output.scheduled.size(), "tokens for {} sequences, {} scheduled",
                sampled.num_sequences(), output.scheduled.size());
  std::vector<RequestDelta> deltas = std::exchange(abort_deltas_, {});
  deltas.reserve(deltas.size() + output.scheduled.size());
  for (size_t i = 0; i < output.scheduled.size(); ++i) {
    const ScheduledSequence& entry = output.scheduled[i];
    auto it = sequences_.find(entry.seq_id);
    // Gone: aborted, or stopped by the previous step's token, after this step was scheduled.
    if (it == sequences_.end()) continue;
    Request& request = *it->second;
    // A sequence preempted since (a step scheduled ahead) still takes its token: it is the right
    // continuation, and its recomputation will include it.
    const bool running = request.status == RequestStatus::kRunning;
    TURBINE_CHECK(running || request.status == RequestStatus::kPreempted, "sequence {} is {} during its step",
                  entry.seq_id, request_status_name(request.status));
    const std::span<const int32_t> tokens = sampled.of(i);
    if (!entry.samples_token) {
      TURBINE_CHECK(tokens.empty(), "sequence {} got tokens from a step that samples none", entry.seq_id);
      if (running) {
        kv_.cache_computed_blocks(request);
        kv_.release_out_of_window_blocks(request);
      }
      continue;
    }
    TURBINE_CHECK(!tokens.empty() && int(tokens.size()) <= entry.num_draft_tokens + 1,
                  "sequence {}: {} tokens from a step with {} drafts", entry.seq_id, tokens.size(),
                  entry.num_draft_tokens);
    TURBINE_CHECK(request.num_in_flight_tokens > 0, "sequence {} has no token in flight", entry.seq_id);
    --request.num_in_flight_tokens;
    request.num_in_flight_drafts = 0;
    // Rejected drafts: their K/V positions are not the sequence's.
    const int rejected = entry.num_draft_tokens - (int(tokens.size()) - 1);
    if (rejected > 0 && running) {
      request.num_computed_tokens -= rejected;
      kv_.truncate(request);
    }
    RequestDelta delta = make_delta(request);
    delta.token_begin = sampled.offsets[i];
    std::optional<StopVerdict> verdict;
    for (const int32_t token : tokens) {
      TURBINE_CHECK(token >= 0, "no token sampled for sequence {}", entry.seq_id);
      request.append_output_token(token);
      ++delta.num_new_tokens;
      if ((verdict = check_stop(request, config_))) break;  // the tokens after a stop are dropped
    }
    if (running) {
      kv_.cache_computed_blocks(request);
      if (!verdict) kv_.release_out_of_window_blocks(request);
    }
    delta.num_output_tokens = request.num_output_tokens();
    if (verdict) {
      delta.finish_reason = finish_reason_of(verdict->status);
      delta.stop_token_id = verdict->stop_token_id;
      request.stop_token_id = verdict->stop_token_id;
    }
    deltas.push_back(std::move(delta));
    if (verdict) finish(request, verdict->status);
  }
  return deltas;
}

bool Scheduler::set_draft_tokens(SeqId seq_id, std::span<const int32_t> draft_token_ids) {
  auto it = sequences_.find(seq_id);
  if (it == sequences_.end()) return false;
  Request& request = *it->second;
  request.draft_token_ids.clear();
  if (!ready_for_drafts(request)) return false;
  for (const int32_t id : draft_token_ids) TURBINE_CHECK(id >= 0, "sequence {}: draft token {}", seq_id, id);
  request.draft_token_ids.assign(draft_token_ids.begin(), draft_token_ids.end());
  return true;
}

std::vector<const Request*> Scheduler::sequences_ready_for_drafts() const {
  std::vector<const Request*> ready;
  for (const Request* r : running_)
    if (ready_for_drafts(*r)) ready.push_back(r);
  return ready;
}

}  // namespace turbine
