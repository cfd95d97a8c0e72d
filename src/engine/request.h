// Request: one sequence the engine generates, from submission to its finish.
//
// Who touches what:
//  - The submitter (server thread) builds it: id, prompt, params, an optional stop-string
//    matcher. After submission it must not touch it again: the Request moves into the engine.
//  - RequestQueue stamps arrival_seq; the Scheduler stamps seq_id and owns every "scheduler
//    state" field below. Only the engine thread reads or writes a submitted Request.
//  - KvCacheManager writes block_hashes (a cache of the prefix-cache hash chain) and holds the
//    request's block table itself (KvCacheManager::block_ids(seq_id)).
//
// Tokens: the prompt followed by the output, in one array, because the phase-free scheduler only
// asks "how many of this sequence's tokens have K/V (num_computed_tokens), how many exist
// (num_tokens)". A preempted request keeps its output and recomputes everything on resumption.
//
// n > 1: a request asking for n samples is scheduled as one sequence until its prompt (all but
// the last token) has K/V; it then forks into n sequences that share those KV blocks
// (sample_index 0..n-1, the same id). See Scheduler.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/kv/block_hash.h"
#include "engine/sampling_params.h"
#include "engine/stop_string_matcher.h"
#include "structured/constraint_spec.h"

namespace turbine {

// Engine-wide handle of one sequence (one sample of one request); never reused.
using SeqId = uint64_t;

enum class RequestStatus {
  kWaiting,           // queued, never run
  kRunning,           // admitted: holds KV blocks
  kPreempted,         // was running; blocks freed, back in the waiting queue to recompute
  kFinishedStopped,   // EOS, a stop token or a stop string
  kFinishedLength,    // max_tokens or the model's context length
  kFinishedAborted,   // aborted by the client (or the server on its behalf)
};

// How a finished request ended, as the OpenAI API reports it.
enum class RequestFinishReason { kStop, kLength, kAbort };

std::string_view request_status_name(RequestStatus status);
std::string_view request_finish_reason_name(RequestFinishReason reason);  // "stop", "length", "abort"
bool is_finished(RequestStatus status);
// The finish reason of a finished status; empty for the others.
std::optional<RequestFinishReason> finish_reason_of(RequestStatus status);

// What the client asked for besides the prompt.
struct RequestParams {
  SamplingParams sampling;
  int max_tokens = 16;      // >= 1: most output tokens
  int min_tokens = 0;       // in [0, max_tokens]: EOS, stop tokens and stop strings are ignored before
  bool ignore_eos = false;
  std::vector<int32_t> stop_token_ids;  // finish with "stop" when sampled (and kept in the output)
  // Token sequences the output must not contain (vLLM's bad_words, tokenized by the submitter):
  // at each step, a sequence's last token is banned when the output so far ends with the rest of
  // it, so a one-token sequence is always banned. Only the output is matched, never the prompt.
  std::vector<std::vector<int32_t>> bad_words_token_ids;
  // The only tokens sampling may pick (vLLM's allowed_token_ids); empty: any. The runner masks
  // every sampled position with them, as it masks a structured-output grammar's.
  std::vector<int32_t> allowed_token_ids;
  int priority = 0;         // lower runs first under the priority policy; ignored under FCFS
  int n = 1;                // samples to generate from the one prompt
  // Log-probabilities of the prompt's own tokens (each given the tokens before it), with this
  // many top alternatives, as vLLM's prompt_logprobs; unset: none. Such a request computes its
  // whole prompt (the prefix cache is not used for it).
  std::optional<int> prompt_logprobs;
  // Opaque keys that must match, besides the tokens, for KV to be shared through the prefix
  // cache (LoRA id, multimodal input hashes, a cache salt). Hashed into every block.
  std::vector<uint64_t> cache_extra_keys;
  // Structured output: the output must match this constraint (JSON Schema, regex, grammar,
  // choice); the runner masks every sampled position with it. The engine compiles it at
  // submission (EngineOptions::grammars), so an invalid one fails submit().
  std::optional<structured::ConstraintSpec> structured;

  // Checks every field, `sampling` included (token ids against the vocabulary); throws
  // turbine::Error naming the first bad one. LlmEngine::submit calls it, once per request: the
  // one place parameters are validated (the server's parser checks only what it parses).
  void validate(int64_t vocab_size) const;
  // The part of validate() about banned tokens: bad_words_token_ids (non-empty, in the
  // vocabulary, not beside a structured-output constraint), allowed_token_ids (in the vocabulary,
  // beside neither bad words nor a constraint), and what bad words and stop tokens
  // (before min_tokens) may ban at one step, which must leave at least half the vocabulary: a
  // step must always have a token to sample.
  void validate_banned_tokens(int64_t vocab_size) const;

  // Whether sampling reads the tokens generated so far (penalties, bad words): the runner keeps
  // such a sequence's output, and no step is scheduled ahead while its token is in flight.
  bool reads_output_tokens() const {
    return sampling.repetition_enabled() || sampling.presence_or_frequency_enabled() || !bad_words_token_ids.empty();
  }
};

struct Request {
  Request(std::string id, std::vector<int32_t> prompt_token_ids, RequestParams params);

  // A sibling sample of `parent` for n > 1: the same id, prompt, output so far and params (a set
  // seed becomes seed + sample_index so siblings differ), its own matcher. Scheduler state is
  // left at defaults for the caller to fill.
  static std::unique_ptr<Request> make_sibling(const Request& parent, int sample_index);

  // ---- Identity and parameters: set before submission, then read-only.
  std::string id;
  RequestParams params;
  int sample_index = 0;
  std::unique_ptr<StopStringMatcher> stop_strings;  // null: no stop strings
  std::chrono::steady_clock::time_point arrival_time = std::chrono::steady_clock::now();
  uint64_t arrival_seq = 0;  // submission order, stamped by RequestQueue
  // The submitter's handle for the request's outputs, copied into every RequestDelta (an id
  // string would cost each delta an allocation): LlmEngine stamps its OutputDispatcher key.
  uint64_t output_key = 0;
  SeqId seq_id = 0;          // stamped by the Scheduler on entry

  // ---- Scheduler state (engine thread).
  RequestStatus status = RequestStatus::kWaiting;
  // Tokens whose K/V are in the cache or being written by a scheduled step: advanced when a step
  // is scheduled, so that the next step can be scheduled before this one's results are back.
  int num_computed_tokens = 0;
  // Output tokens being sampled by scheduled steps whose results have not come back (0, 1, or 2
  // while a step is scheduled ahead of the one in flight). The next step feeds such a token
  // from the device (kInFlightToken in its token_ids); it joins token_ids at the update.
  int num_in_flight_tokens = 0;
  // Draft tokens (a drafter's guess at the continuation, not yet verified) proposed for the
  // next step (Scheduler::set_draft_tokens), and those of the step in flight: it schedules them
  // after the last token, the runner verifies them, and the update keeps the accepted ones and
  // rolls the rest back (Scheduler, "Draft tokens").
  std::vector<int32_t> draft_token_ids;
  int num_in_flight_drafts = 0;
  int num_cached_tokens = -1;   // prompt tokens the prefix cache served at first admission; -1 before
  int num_preemptions = 0;
  bool fork_pending = false;      // n > 1 and not forked yet
  bool runner_has_state = false;  // the runner has seen it since its last admission
  std::optional<int32_t> stop_token_id;  // the stop token (not EOS) that finished it

  // ---- Written by KvCacheManager only: hash of each full block of all_token_ids().
  std::vector<BlockHash> block_hashes;

  // ---- Tokens.
  std::span<const int32_t> all_token_ids() const { return token_ids_; }
  std::span<const int32_t> prompt_token_ids() const { return all_token_ids().first(size_t(num_prompt_tokens_)); }
  std::span<const int32_t> output_token_ids() const { return all_token_ids().subspan(size_t(num_prompt_tokens_)); }
  int num_tokens() const { return int(token_ids_.size()); }
  int num_prompt_tokens() const { return num_prompt_tokens_; }
  int num_output_tokens() const { return num_tokens() - num_prompt_tokens_; }
  // Tokens known or being sampled: what the scheduler plans against.
  int num_planned_tokens() const { return num_tokens() + num_in_flight_tokens; }
  void append_output_token(int32_t token_id) { token_ids_.push_back(token_id); }

 private:
  std::vector<int32_t> token_ids_;
  int num_prompt_tokens_ = 0;
};

}  // namespace turbine
