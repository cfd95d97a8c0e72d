// Scheduler: decides, step by step, which tokens of which sequences run, under a token budget.
//
// There are no prefill and decode phases. Every sequence has num_computed_tokens (tokens with
// K/V) catching up with num_tokens (prompt + output); each step schedules some of the gap. That
// one rule covers chunked prefill (a long prompt takes several steps), prefix-cache hits (they
// start num_computed_tokens ahead) and recomputation after preemption.
//
// One step, schedule():
//  1. drain_queue: new requests join the waiting queue; aborts finish their request at once, in
//     any state, freeing its blocks.
//  2. fork_ready_requests: an n > 1 request whose prompt (all but its last token) has K/V forks
//     into n sequences sharing those blocks; each then computes the last prompt token itself
//     (the shared partial block is copied on write) and samples its own continuation.
//  3. schedule_running: running sequences, decodes (one pending token) before prefill chunks.
//     When one cannot get blocks, the running sequence served last (lowest priority, latest
//     arrival) is preempted (blocks freed, num_computed_tokens = 0, back to the waiting queue
//     ahead of later arrivals) and the allocation retried; a sequence may have to preempt itself.
//  4. schedule_waiting: admit waiting requests in service order (FCFS or priority) with their
//     cached prefix, while budget, batch rows (max_num_seqs) and blocks last. Skipped in a step
//     that preempted: memory is short, so admitting would only preempt again. A request that
//     does not fit blocks the ones behind it, which keeps the order fair.
// Scheduling a sequence advances its num_computed_tokens at once (its K/V is being written) and,
// when the step samples, counts the token as in flight (Request::num_in_flight_tokens). Then the
// runner executes the SchedulerOutput, and update_from_output() appends the sampled tokens,
// caches newly full blocks, applies the stop conditions (stop_conditions.h), frees finished
// sequences and returns what changed per request.
//
// Scheduling ahead: the engine may call schedule() once more before the previous step's
// update_from_output(), so the host prepares step N+1 while the device runs step N. A sequence
// whose token is still in flight then decodes kInFlightToken (the runner feeds the id from the
// device). Two rules keep this exact: a sequence whose in-flight token certainly ends it
// (max_tokens, the context) is not scheduled again, and no step is scheduled ahead while an
// in-flight sequence verifies drafts (can_schedule_ahead()). A sequence that samples with
// penalties, bad words or a structured-output grammar, which read the token in flight, is
// scheduled ahead too: the runner defers only that step's sampling until the token is known
// (ModelRunner, "deferred"). A sequence that a stop or an abort ends meanwhile wastes its row of
// the step already scheduled: its result is ignored and its K/V writes land, in stream order,
// before any later step reuses the blocks. Preemption keeps the in-flight token: it arrives at
// the update like any other.
//
// Draft tokens (speculative decoding): between steps the engine may give a running sequence
// draft tokens (set_draft_tokens: a guess at its continuation, from a drafter). The next step
// schedules its last token plus as many drafts as fit (num_drafts_to_schedule), allocating KV
// slots for all of them and advancing num_computed_tokens past them; the runner verifies them
// and returns the accepted drafts plus one more token. The update appends those (stopping early
// at a stop condition) and rolls the rest back: num_computed_tokens goes back by the rejected
// count and the blocks past it are released (KvCacheManager::truncate), so the pool, the block
// tables and the prefix cache (which only ever hashes known tokens) stay exact. No step is
// scheduled ahead while a sequence's drafts are in flight (how many tokens come back is not
// known until then); a sequence with a token in flight takes no drafts.
//
// Threads: add_request() and abort_request() may be called from any thread (they go through the
// RequestQueue). Everything else, and every Request once submitted, belongs to the engine thread,
// which must call update_from_output() once for each schedule(), in order, even for an empty
// output, with at most one update outstanding when it calls schedule().
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/kv/kv_cache_manager.h"
#include "engine/request.h"
#include "engine/request_queue.h"
#include "engine/scheduler/scheduler_config.h"
#include "engine/scheduler/scheduler_output.h"
#include "engine/scheduler/waiting_queue.h"

namespace turbine {

struct SchedulerStats {
  int num_running = 0;
  int num_waiting = 0;
  double kv_cache_usage = 0.0;
  PrefixCacheStats prefix_cache;
  uint64_t num_preemptions = 0;  // cumulative
};

class Scheduler {
 public:
  // Throws turbine::Error for bad limits, or when the KV cache cannot hold one max_model_len
  // sequence.
  Scheduler(const SchedulerConfig& config, const KvCacheConfig& kv_config);

  // ---- Any thread.
  // Checks the request against the limits (throws turbine::Error, e.g. a prompt that leaves no
  // room in the context) and queues it. SamplingParams are the submitter's to validate.
  void add_request(std::unique_ptr<Request> request);
  // Aborts every sample of the request with this id, whatever its state, at the next step.
  void abort_request(std::string id);
  // The inbox itself, for the engine loop's wait_for_work() and close().
  RequestQueue& queue() { return queue_; }

  // ---- Engine thread.
  SchedulerOutput schedule();
  // Whether schedule() may run before the outstanding step's update: false while a sequence with
  // a token in flight verifies drafts.
  bool can_schedule_ahead() const;
  // `sampled.of(i)` are the tokens the step produced for output.scheduled[i] (StepTokens). Returns
  // one delta per sample that got tokens or finished, including aborts processed by the last
  // schedule(); a delta's tokens index `sampled.ids`.
  std::vector<RequestDelta> update_from_output(const SchedulerOutput& output, const StepTokens& sampled);
  // Gives a sequence draft tokens for its next step (replacing any it had). Returns false, and
  // keeps none, for a sequence that is gone or not ready for drafts (ready_for_drafts).
  bool set_draft_tokens(SeqId seq_id, std::span<const int32_t> draft_token_ids);
  // The live sequences that may take drafts now (ready_for_drafts), in admission order.
  std::vector<const Request*> sequences_ready_for_drafts() const;

  bool has_unfinished_requests() const { return !sequences_.empty() || queue_.has_events(); }
  int num_running() const { return int(running_.size()); }
  int num_waiting() const { return waiting_.size(); }
  // A live sequence, or null.
  const Request* find_sequence(SeqId seq_id) const;
  const KvCacheManager& kv_cache() const { return kv_; }
  const SchedulerConfig& config() const { return config_; }
  SchedulerStats stats() const;

 private:
  struct Step {
    SchedulerOutput output;
    int token_budget = 0;
    bool preempted_any = false;
  };

  void drain_queue();
  void enqueue_new_request(std::unique_ptr<Request> request);
  void abort_samples(const std::string& id);
  void fork_ready_requests();
  void schedule_running(Step& step);
  void schedule_waiting(Step& step);
  void preempt(Request& victim, Step& step);
  void unschedule(Request& request, Step& step);
  void add_to_step(Request& request, int num_tokens, int num_drafts, const SlotAllocation& slots, Step& step);
  Request& register_sequence(std::unique_ptr<Request> request);
  // Frees the sequence's blocks and forgets it (the Request is destroyed).
  void finish(Request& request, RequestStatus status);
  RequestDelta make_delta(const Request& request) const;
  int seats_in_use() const;

  SchedulerConfig config_;
  KvCacheManager kv_;
  RequestQueue queue_;
  std::unordered_map<SeqId, std::unique_ptr<Request>> sequences_;  // every live sequence
  std::unordered_map<std::string, std::vector<SeqId>> samples_by_id_;
  std::vector<Request*> running_;  // in admission order
  WaitingQueue waiting_;
  SeqId next_seq_id_ = 1;
  std::vector<SeqId> finished_since_last_step_;
  std::vector<RequestDelta> abort_deltas_;  // from the last drain, returned by update_from_output
  uint64_t num_scheduled_steps_ = 0;  // step ids handed out
  uint64_t num_updated_steps_ = 0;    // step ids updated (in order)
  uint64_t num_preemptions_ = 0;
};

}  // namespace turbine
