// ModelRunner: executes one scheduler step on the model.
//
// It keeps one row of state per live sequence (its block table and random stream), updated only
// from SchedulerOutput (see engine/scheduler/scheduler_output.h for the protocol), turns the
// step into one flat ForwardBatch (prefill chunks and decode tokens mixed), runs the model,
// and samples one token for every sequence whose step reaches its last known token: on the
// device when the backend samples (Backend::supports_sampling; only ids and logprobs come back),
// else on the host from the logits.
//
// Steps may be pipelined: launch() queues a step (its forward pass and its sampling) and returns;
// collect() waits for the oldest launched step's results. One step may be launched ahead of the
// one in flight (Scheduler, "Scheduling ahead"); its kInFlightToken inputs are fed on the device
// from the previous launch's samples (Backend::feed_tokens). Host staging comes in two slots for
// the same reason. On a backend that does not sample (the CPU), launch() does all the work and
// collect() only hands the results over.
//
// A row whose sampling reads its own output (a structured-output grammar's mask, penalties, bad
// words) cannot be sampled before its in-flight token is known. A step launched ahead with such
// a row queues only its forward pass; its sampling (masks filled on the host, constrained
// sequences in parallel) is queued at the end of the previous step's collect(), while the device
// still runs that forward pass. Only the step's sampling waits, never the scheduling.
//
// Only the engine thread uses a ModelRunner.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "common/thread_pool.h"
#include "engine/scheduler/scheduler_output.h"
#include "model/model.h"
#include "runner/decode_graphs.h"
#include "runner/device_sampling_inputs.h"
#include "runner/kv_cache.h"
#include "runner/random_generator.h"
#include "runner/sampler.h"
#include "structured/grammar_compiler.h"
#include "structured/grammar_matcher.h"

namespace turbine {

struct StepResult {
  // Per scheduled sequence, the tokens the step produced (for update_from_output): one for a
  // decode, the accepted drafts plus one for a sequence that verified drafts, none for a prefill
  // chunk that does not end its prompt.
  StepTokens tokens;
  std::vector<SampledToken> samples;  // parallel to tokens.ids, with logprobs
  // Parallel too when some row scored prompt tokens (prompt_logprobs), else empty.
  std::vector<std::vector<PromptTokenLogprob>> prompt_logprobs;
  int num_tokens = 0;                 // tokens the forward pass ran
  double wait_seconds = 0;            // time the host sat blocked on the device (the rest is host work)
};

class ModelRunner {
 public:
  // The runner's host seconds, summed over steps, by kind of work (the time blocked on the
  // device is in none of them): per-row work (state updates, input arrays, sampling rows,
  // results); the backend calls that queue a step, in three groups: uploading the inputs (and
  // feeding in-flight tokens), the forward pass (graph replay, or the eager forward's launches,
  // and block copies), the sampling launch; and collecting a step's samples after the wait.
  struct HostTimes {
    double rows = 0;
    double upload = 0;
    double forward = 0;
    double sampling = 0;
    double collect = 0;
  };

  // `num_blocks` includes the reserved null block 0 (engine/kv/block_id.h).
  ModelRunner(Model& model, Backend& backend, int num_blocks, int block_size);

  // Queues one step. At most one launched step may be uncollected when it is called.
  void launch(const SchedulerOutput& output);
  // Waits for the oldest uncollected step and returns its results.
  StepResult collect();
  // Both, for a step run on its own.
  StepResult execute(const SchedulerOutput& output) {
    launch(output);
    return collect();
  }

  // Sizes the logits buffer for `rows` rows, once (a step wanting more rows gets a separate
  // buffer, so the reserved one never moves: decode graphs write into it).
  void reserve_logits(int rows);
  // Replays decode-only steps of up to max_batch sequences as graphs (decode_graphs.h), when the
  // backend and the model allow it; call after reserve_logits(>= max_batch). Returns whether on.
  bool enable_decode_graphs(int max_batch, int max_model_len);
  // Captures the graph of every decode size up front (DecodeGraphs::capture_all) so that serving
  // never stalls on a capture; returns how many it captured (0 without graphs). Call before the
  // first launch.
  int capture_decode_graphs();

  // Where sequences with a structured-output constraint (RequestParams::structured) get their
  // compiled grammar; null: such a sequence is an error (the engine refuses them at submit).
  void set_grammar_compiler(std::shared_ptr<structured::GrammarCompiler> grammars) { grammars_ = std::move(grammars); }

  const KvCache& kv_cache() const { return kv_; }
  const HostTimes& host_times() const { return host_times_; }
  size_t num_sequences() const { return sequences_.size(); }

 private:
  struct SequenceState {
    std::vector<BlockId> block_table;
    std::optional<RandomGenerator> rng;  // unseeded requests keep their OS-seeded stream here
    // Where its newest sample went: the launch number and the row among that launch's samples.
    uint64_t sampled_launch = 0;
    int sampled_row = -1;
    // What the runner keeps of the sequence, taken from its NewSequence (adopt()) so that a step's
    // rows never go back to the engine: its parameters, its device sampling row (the per-step
    // draw and list ranges aside), whether that row needs per-token adjustments (penalties or
    // logit_bias), the ids it suppresses before min_tokens, and its bad words.
    bool has_params = false;
    SamplingParams sampling;
    SamplingRow sampling_row;
    bool needs_adjustments = false;
    int min_tokens = 0;
    std::vector<int32_t> suppressed_before_min_tokens;  // EOS (unless ignore_eos) and stop ids
    std::vector<std::vector<int32_t>> bad_words;         // bad_words.h
    std::optional<int> prompt_logprobs;
    int num_prompt_tokens = 0;
    // The output, kept only for a sequence whose sampling reads it (keeps_history: penalties, bad
    // words), and the prompt for one with penalties or that scores its prompt: the runner appends
    // its own samples.
    bool keeps_history = false;
    std::vector<int32_t> prompt;
    std::vector<int32_t> output;
    // Structured output: the grammar's progress over the output (advanced by every kept token),
    // which masks each sampled position. Null: unconstrained.
    std::unique_ptr<structured::GrammarMatcher> grammar;
    // allowed_token_ids as a token bitmask (empty: none), and whether it allows only ids that
    // min_tokens suppresses.
    std::vector<uint32_t> allowed_mask;
    bool allowed_only_stops = false;
  };

  // What update_states() found about the step being launched.
  struct StepShape {
    bool decode_only = false;         // every row one token that samples, none with prompt logprobs
    bool any_prompt_logprobs = false;  // some row scores prompt tokens (the host path samples)
  };

  // What collect() needs of a launched step.
  struct LaunchedStep {
    bool on_device = false;           // its samples come from Backend::collect_sampled
    // Per scheduled sequence: its (first) row among the samples, or -1; a sequence verifying k
    // drafts has k + 1 rows, one per position.
    std::vector<int> sampling_row;
    // The draft tokens being verified: sequence i's are drafts[draft_offsets[i], [i + 1]); both
    // empty in a step without drafts.
    std::vector<int32_t> drafts;
    std::vector<int> draft_offsets;
    std::vector<int> num_logprobs;    // per scheduled sequence: top logprobs wanted
    std::vector<SeqId> seq_ids;       // per scheduled sequence
    std::vector<int> history_rows;    // scheduled sequences that keep their output (device samples)
    std::vector<int> grammar_rows;    // scheduled sequences whose grammar advances by the samples (device)
    StepResult result;                // complete already when the host sampled
  };

  // Applies the step's state updates, looks each row's state up once (step_states_) and returns
  // the step's shape.
  StepShape update_states(const SchedulerOutput& output);
  // The row of the previous launch's samples that feeds `seq`'s kInFlightToken, or -1 when it
  // has none.
  int feed_source(const ScheduledSequence& seq, const SequenceState& state) const;
  ForwardBatch build_batch(const SchedulerOutput& output, int num_logits);
  // Feeds in-flight tokens into the uploaded ids (sources[i] < 0: none), when there are any.
  void feed_in_flight_tokens(int32_t* device_ids, const int32_t* device_sources, int n, bool any);
  // Whether some sampling row of the step being launched needs the token of the uncollected step
  // before it (its grammar's mask or its penalties read it): then the step's sampling is deferred.
  bool samples_need_previous_step(const SchedulerOutput& output) const;
  // The deferred sampling of the step launched ahead, at the end of the previous step's collect().
  void run_deferred_sampling();
  // Fills token_bitmask_ with every masked sampling row's mask (mask_first_,
  // mask_keeps_stops_): a grammar's (sequences in parallel on mask_pool_) or allowed_token_ids'.
  void fill_token_masks(const SchedulerOutput& output, int32_t mask_words);
  // Samples on the host (prompt-logprob steps, backends that do not sample): all of it now.
  void sample_on_host(const SchedulerOutput& output, const Tensor& logits, int num_logits, LaunchedStep& step);
  // Takes what the runner keeps of a sequence from its NewSequence.
  void adopt(SequenceState& state, const NewSequence& fresh) const;
  // Rows of this step whose logits score a prompt token: [first, first + count) of the sequence's rows.
  static std::pair<int, int> prompt_logprob_rows(const ScheduledSequence& seq, const SequenceState& state);
  // Samples position `j` of the sequence's step (j > 0: after its first j draft tokens, taken as
  // accepted), from that position's logits.
  // `keep_stops`: the row's grammar allows only stop tokens, which min_tokens must not suppress
  // (the sampler needs one finite logit).
  SampledToken sample(const ScheduledSequence& seq, SequenceState& state, std::span<const int32_t> drafts, int j,
                      std::span<const float> logits, bool keep_stops = false);
  // Fills `mask` with the sequence's grammar mask at its current position; returns whether it
  // allows only stop tokens (the grammar is complete).
  bool fill_grammar_mask(SequenceState& state, std::span<uint32_t> mask);
  // The sequence's draft tokens in this step's output.
  static std::span<const int32_t> drafts_of(const SchedulerOutput& output, const ScheduledSequence& seq);
  // Queues sampling of every sampling row of `logits` (one per sequence with samples_token, in
  // order, no prompt-logprob rows) through Backend::sample_async.
  void sample_on_device(const SchedulerOutput& output, const Tensor& logits, LaunchedStep& step);
  // The sequence's random stream, positioned for this step's sample at position j (a seeded
  // stream is a function of the output length, so the draws match plain decoding's).
  RandomGenerator& random_stream(const ScheduledSequence& seq, SequenceState& state, int j = 0);
  // The ids masked for the sample at position j: EOS and stop ids before min_tokens, and what the
  // bad words ban after `output` (the output and drafts before j). Lives until the next call.
  std::span<const int32_t> suppressed_ids(const ScheduledSequence& seq, const SequenceState& state,
                                          std::span<const int32_t> output, int j);
  // The sampling view of the sequence at position j: its output, then drafts[0, j) (kept in
  // draft_history_ when j > 0), and the ids suppressed there (none with `keep_stops`: the row's
  // grammar allows only stop tokens); the spans live until the next call.
  SamplingContext sampling_context(const ScheduledSequence& seq, const SequenceState& state,
                                   std::span<const int32_t> drafts, int j, bool keep_stops = false);
  // How many of a sequence's samples (one per position, k + 1 for k drafts) it keeps: the
  // samples up to and including the first that differs from the draft after it (all k + 1 when
  // every draft matched). Sample j was drawn as if drafts[0, j) had been accepted, which they were
  // exactly when every sample before it matched, so each kept token is plain decoding's.
  static int accepted_count(std::span<const int32_t> sampled, std::span<const int32_t> drafts);
  // Records where each sampling sequence's token went, for the next launch to feed.
  void remember_samples(const SchedulerOutput& output, const LaunchedStep& step, const int32_t* sampled, int count);
  // A sequence verifying drafts is never fed from this step (no step is scheduled ahead of it):
  // it keeps no row to feed from.
  void remember_row(const ScheduledSequence& seq, SequenceState& state, int sampling_row) {
    state.sampled_launch = num_launches_;
    state.sampled_row = seq.num_draft_tokens == 0 ? sampling_row : -1;
  }
  // Logits memory for `rows` rows: the reserved buffer, or the overflow one for larger steps.
  Tensor logits_for(int rows);
  // Whether this step (decode-only, by its shape) fits a graph size; then runs it and returns true.
  bool run_decode_graph(const SchedulerOutput& output, const StepShape& shape, Tensor& logits);

  // Adds the host time since the previous lap to `bucket` (a lap starts each launch and collect).
  void lap(double HostTimes::*bucket);
  void restart_lap();  // drops the time since the previous lap (a wait on the device)

  Model& model_;
  Backend& backend_;
  HostTimes host_times_;
  std::chrono::steady_clock::time_point lap_start_;
  KvCache kv_;
  Sampler sampler_;
  std::unordered_map<SeqId, SequenceState> sequences_;
  // The state of each row of the step being launched, looked up once by update_states() (map
  // nodes do not move, and nothing is erased until the next launch).
  std::vector<SequenceState*> step_states_;

  // Staging of the step's int32 inputs on the host (two slots, used in turn), and their copy in
  // backend memory.
  DeviceBuffer host_inputs_[2];
  int host_slot_ = 0;
  DeviceBuffer device_inputs_;
  // The previous launch's samples in backend memory (for feeding), and their count.
  uint64_t num_launches_ = 0;
  const int32_t* last_sampled_ = nullptr;
  int last_num_sampled_ = 0;
  DeviceBuffer host_sampled_;  // the host sampler's tokens, copied to backend memory
  std::deque<LaunchedStep> launched_;
  DeviceBuffer logits_buffer_;
  int logits_rows_ = 0;
  DeviceBuffer overflow_logits_;
  std::unique_ptr<DecodeGraphs> graphs_;
  // Whose block tables the graphs' device inputs hold (rows in order, the padded size and the
  // copied width), and whether any sequence's table changed since (in any step, eager ones
  // too), so that a decode step with the same rows and no table change skips the copy.
  std::vector<SeqId> graph_table_rows_;
  int graph_table_padded_ = 0;
  size_t graph_table_width_ = 0;
  bool graph_tables_stale_ = true;
  std::vector<float> host_logits_;
  std::vector<int32_t> draft_history_;  // sampling_context's output + drafts, for a drafted position
  std::vector<int32_t> step_suppressed_;  // suppressed_ids' list when bad words add to it
  DeviceSamplingInputs device_sampling_;  // reused every step
  std::shared_ptr<structured::GrammarCompiler> grammars_;
  std::vector<uint32_t> token_bitmask_;  // a step's grammar masks, one row per masked position
  std::vector<int> mask_first_;     // per scheduled sequence: its first mask row, or -1
  std::vector<uint8_t> mask_keeps_stops_;  // per mask row: the mask allows only stop tokens
  std::vector<int> grammar_jobs_;           // the scheduled sequences whose grammar fills their masks
  std::unique_ptr<ThreadPool> mask_pool_;   // made on the first step with two constrained rows

  // A launched step whose sampling waits for the previous step's samples (launch(), "deferred").
  // It keeps its own copy of the step: a worker's decoded plan does not outlive launch().
  struct DeferredSampling {
    SchedulerOutput output;
    Tensor logits;
    int num_logits = 0;
    bool on_host = false;
  };
  std::optional<DeferredSampling> deferred_;
};

}  // namespace turbine
