// The scheduler's small decisions, as pure functions so each is unit-tested on its own.
#pragma once

#include <span>

#include "engine/request.h"
#include "engine/scheduler/scheduler_config.h"

namespace turbine {

// Service order: true when `a` should be admitted before `b`. FCFS: earlier arrival first;
// priority: lower priority value first, then earlier arrival. Ties (siblings of one request)
// break by sample index, then seq id, so the order is total.
bool served_before(const Request& a, const Request& b, SchedulingPolicy policy);

// Whom to preempt when a running sequence cannot get blocks: the one served last in the order
// above (lowest priority, latest arrival). `running` must not be empty.
Request* select_preemption_victim(std::span<Request* const> running, SchedulingPolicy policy);

// How many tokens to schedule for `request` this step, starting at token index `start` (its
// num_computed_tokens, plus cache hits for one being admitted), within `token_budget`: all that
// is left, capped by the budget, the long-prefill threshold, and, for a request that must fork
// (n > 1), the fork point (all prompt tokens but the last). May be 0.
int num_tokens_to_schedule(const Request& request, int start, int token_budget, const SchedulerConfig& config);

// Whether the request may take draft tokens now: running, nothing in flight, not about to fork,
// nothing left to compute but its last token.
bool ready_for_drafts(const Request& request);

// How many of the request's draft tokens to schedule after its last token this step, within
// `token_budget` (which the last token also takes): 0 unless ready_for_drafts; else as many
// drafts as it has, capped so that
// the step's tokens fit the budget and the long-prefill threshold, and so that the tokens the
// step may append (the accepted drafts and one more) fit max_tokens and the context.
int num_drafts_to_schedule(const Request& request, int token_budget, const SchedulerConfig& config);

// How many of the tokens [start, end) of the request are prompt tokens.
int prompt_tokens_in(const Request& request, int start, int end);

// The token index where a request with n > 1 forks into its samples.
int fork_point(const Request& request);

// Batch rows (of max_num_seqs) a running request takes: n for one still to fork, so the fork
// never has to wait for rows, else 1.
int num_seats(const Request& request);

}  // namespace turbine
