// The step plan: what one scheduler step hands the runner, and what the engine gets back per
// request.
//
// SchedulerOutput is a plain value made by Scheduler::schedule(): it holds no pointer into the
// engine's state, so it could be copied to another process (tensor-parallel workers will each
// receive it). The runner keeps one row of state per sequence (keyed by seq_id) and updates it
// from these entries only:
//  - is_new: the runner has no state for this sequence (first admission, resumption after a
//    preemption, or a fork child's first step). Drop any stale row and start from
//    SchedulerOutput::new_sequences[new_sequence], which carries, once, everything the runner
//    needs of the sequence: its prompt, the output it already has, its parameters.
//  - block_table: kReplace gives the whole table (new sequences and copy-on-write rewrites);
//    kAppend gives the block ids to append to the runner's copy. The ids sit in one array of the
//    step, like the tokens (SchedulerOutput::blocks).
//  - its tokens (SchedulerOutput::tokens): exactly the tokens to run, at positions
//    num_computed_tokens, +1, ...; a prefill chunk, a resumed sequence's recomputation, or the one
//    token a decode step feeds back. When a step is scheduled ahead of the previous step's results
//    (Scheduler, "Scheduling ahead"), that token is kInFlightToken: the runner feeds the id the
//    previous step sampled for the sequence from its own (device) memory. Every sequence's tokens
//    sit in one array of the step, so that a decode row costs no allocation of its own.
//  - samples_token: this step reaches the sequence's last known token, so the runner computes
//    logits for its last row and samples one token; otherwise (a prefill chunk that does not end
//    the prompt) it samples nothing.
//  - num_draft_tokens: the last k of its tokens are draft tokens (a guess at the continuation,
//    after its last known token). The runner computes logits for the last k + 1 rows and returns
//    the accepted drafts plus one sampled token (1 to k + 1 tokens, StepTokens); every token it
//    returns is distributed exactly as plain decoding would have sampled it.
//  - block_copies must be applied, in order, before the forward pass.
//  - finished_seq_ids / preempted_seq_ids: drop those sequences' runner state (finished ones
//    finished since the previous step; preempted ones in this step).
// The runner learns a sequence's new tokens from its own samples (it keeps the output history it
// needs, for penalties and bad words), never from the engine.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/kv/block_id.h"
#include "engine/request.h"
#include "engine/sampling_params.h"

namespace turbine {

struct BlockTableUpdate {
  enum class Kind { kReplace, kAppend };
  Kind kind = Kind::kAppend;
  int block_begin = 0;  // its ids: SchedulerOutput::block_ids[block_begin, + num_blocks)
  int num_blocks = 0;
};

// What the runner is told once about a sequence, when it first sees it (is_new): everything it
// needs to run and sample it, so that no later step refers back to the engine's Request. What
// a request will add for the next wave (a LoRA adapter, a grammar) joins RequestParams and so
// reaches the runner here.
struct NewSequence {
  SeqId seq_id = 0;
  int sample_index = 0;                   // which of the request's n samples
  std::vector<int32_t> prompt_token_ids;
  std::vector<int32_t> output_token_ids;  // sampled before this admission (a resumed sequence)
  RequestParams params;                   // validated; a sibling's seed is already offset
};

struct ScheduledSequence {
  SeqId seq_id = 0;
  bool is_new = false;
  int new_sequence = -1;             // is_new: its index in SchedulerOutput::new_sequences
  int num_computed_tokens = 0;       // position of its first token
  int token_begin = 0;               // its tokens: SchedulerOutput::token_ids[token_begin, + num_tokens)
  int num_tokens = 0;
  bool last_token_in_flight = false;  // its last token is kInFlightToken
  BlockTableUpdate block_table;
  bool samples_token = false;
  int num_draft_tokens = 0;          // its last tokens that are drafts (samples_token is then set)
  // Output tokens sampled before this step's (known or in flight): where a seeded random stream
  // and min_tokens stand for this step's (first) sample.
  int num_prior_output_tokens = 0;

  int num_scheduled_tokens() const { return num_tokens; }
};

struct SchedulerOutput {
  uint64_t step_id = 0;  // 1, 2, ... in schedule() order; updates must come in the same order
  std::vector<ScheduledSequence> scheduled;  // sampled tokens come back in this order
  int num_scheduled_tokens = 0;              // sum over `scheduled`
  int num_prompt_tokens = 0;                 // of those, prompt tokens (not output ones recomputed)
  // What the is_new entries' sequences are (an entry unscheduled again in the same step may leave
  // its NewSequence behind: read them only through the entries).
  std::vector<NewSequence> new_sequences;
  std::vector<int32_t> token_ids;            // the scheduled sequences' tokens (ranges may be unused)
  std::vector<BlockId> block_ids;            // their block table updates' ids (likewise)
  std::vector<BlockCopy> block_copies;
  std::vector<SeqId> finished_seq_ids;
  std::vector<SeqId> preempted_seq_ids;

  bool empty() const { return scheduled.empty(); }
  std::span<const int32_t> tokens(const ScheduledSequence& seq) const {
    return std::span<const int32_t>(token_ids).subspan(size_t(seq.token_begin), size_t(seq.num_tokens));
  }
  const NewSequence& new_sequence(const ScheduledSequence& seq) const {
    return new_sequences[size_t(seq.new_sequence)];
  }
  std::span<const BlockId> blocks(const ScheduledSequence& seq) const {
    return std::span<const BlockId>(block_ids).subspan(size_t(seq.block_table.block_begin),
                                                       size_t(seq.block_table.num_blocks));
  }
};

// A token id that no step sampled (an abort's delta, an unset result).
inline constexpr int32_t kNoSampledToken = -1;
// Placeholder in ScheduledSequence::token_ids for the token the previous step is still sampling.
inline constexpr int32_t kInFlightToken = -2;

// One sampled token with its logprob and the top alternatives the request asked for.
struct SampledToken {
  int32_t token = kNoSampledToken;
  float logprob = 0.0f;
  std::vector<std::pair<int32_t, float>> top_logprobs;  // best first; params.logprobs of them
};

// The logprob of prompt token `position` given the tokens before it (RequestParams::prompt_logprobs).
struct PromptTokenLogprob {
  int position = 0;
  int32_t token = 0;
  float logprob = 0.0f;
  std::vector<std::pair<int32_t, float>> top_logprobs;
};

// The tokens a step produced, per scheduled sequence, in SchedulerOutput::scheduled's order:
// none for a prefill chunk that does not end its prompt, one for a decode, 1 to k + 1 for a
// sequence that verified k draft tokens (the accepted drafts, then the token sampled after them).
struct StepTokens {
  std::vector<int32_t> ids;      // every sequence's tokens, one sequence after another
  std::vector<int> offsets{0};   // sequence i's are ids[offsets[i], offsets[i + 1])

  size_t num_sequences() const { return offsets.size() - 1; }
  std::span<const int32_t> of(size_t i) const {
    return std::span<const int32_t>(ids).subspan(size_t(offsets[i]), size_t(offsets[i + 1] - offsets[i]));
  }
  void reserve(size_t sequences, size_t tokens) {
    offsets.reserve(sequences + 1);
    ids.reserve(tokens);
  }
  void add(int32_t id) { ids.push_back(id); }
  void end_sequence() { offsets.push_back(int(ids.size())); }
};

// What one step did to one request sample, for the stream sinks. No member allocates: at
// hundreds of rows a step, the engine thread makes and another thread frees these.
struct RequestDelta {
  uint64_t output_key = 0;  // the request's Request::output_key (all its samples share it)
  int sample_index = 0;
  SeqId seq_id = 0;
  // The tokens appended this step (a stop token included; none for aborts):
  // StepTokens::ids[token_begin, + num_new_tokens) of the step's tokens, where the step's samples
  // (with their logprobs) sit too. Fewer than the sequence got when a stop came first.
  int token_begin = 0;
  int num_new_tokens = 0;
  std::optional<RequestFinishReason> finish_reason;  // set on the sample's last delta
  std::optional<int32_t> stop_token_id;  // the stop token id that finished it (EOS is not reported)
  int num_prompt_tokens = 0;
  int num_cached_tokens = 0;  // prompt tokens served by the prefix cache (0 if never admitted)
  int num_output_tokens = 0;  // output length so far

  bool has_new_token() const { return num_new_tokens > 0; }
};

}  // namespace turbine
