// FakeModel: a stand-in for the runner and the model, to drive the scheduler for many steps.
//
// Like a real runner it keeps one row per sequence (its block table), updated only from the
// SchedulerOutput protocol (is_new, kReplace / kAppend, finished and preempted ids), and a paged
// KV cache. A slot's "K/V" is a fingerprint of the sequence's tokens up to and including that
// position (and its cache extra keys), because real K/V depends on the whole prefix. Each step:
//   1. applies the block copies, in order;
//   2. writes each scheduled token's fingerprint into its slot;
//   3. "attends": every position the sequence reads must hold the fingerprint its own tokens
//      imply, so a wrong block table, a bad prefix-cache hit, a missed copy-on-write or a block
//      reused while still in use fails the test (as a gtest failure, with the sequence named);
//   4. samples: the token at position p is token_fn(request, p) (by default a hash of the id,
//      sample index and p), so a request's output does not depend on how it was scheduled.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/scheduler/scheduler.h"

namespace turbine::testing {

using TokenFn = std::function<int32_t(const Request& request, int position)>;

// The default sampled token: in [100, 1100), so never one of the small ids tests use as EOS.
int32_t default_next_token(const Request& request, int position);

class FakeModel {
 public:
  // `scheduler` is the oracle: the fake checks each step against its requests (a runner never
  // reads them; the fake checks that the plan alone says what they hold).
  FakeModel(const Scheduler& scheduler, int num_blocks, int block_size, TokenFn token_fn = default_next_token);

  // Runs one step; returns the tokens per scheduled sequence (a sequence with k drafts gets the
  // accepted drafts and one more, as a runner verifies them).
  StepTokens step(const SchedulerOutput& output);

  int num_rows() const { return int(rows_.size()); }
  const std::vector<BlockId>& block_table(SeqId seq_id) const { return rows_.at(seq_id); }

 private:
  uint64_t& slot(BlockId block, int offset) { return kv_[size_t(block) * size_t(block_size_) + size_t(offset)]; }

  const Scheduler& scheduler_;
  int num_blocks_;
  int block_size_;
  TokenFn token_fn_;
  std::unordered_map<SeqId, std::vector<BlockId>> rows_;
  std::unordered_map<SeqId, int32_t> device_tokens_;  // the last step's samples, by sequence
  std::vector<uint64_t> kv_;  // 0: never written
};

// What one sample of one request produced.
struct SampleResult {
  std::vector<int32_t> tokens;
  std::optional<RequestFinishReason> finish_reason;
  std::optional<int32_t> stop_token_id;
  int num_cached_tokens = 0;
  int num_deltas = 0;
};

using RunResults = std::map<std::pair<std::string, int>, SampleResult>;

// Requests these tests give a Scheduler carry an output key (as LlmEngine stamps its sink's
// key) that stands for their id, so that deltas fold back by id. Keys are stable per id.
uint64_t output_key_for_id(const std::string& id);
const std::string& id_of_output_key(uint64_t key);  // fails the test (and returns "?") if unknown

// Per-step checks every driven step gets: the budget, max_num_seqs, token counts and that no
// sequence is scheduled twice.
void check_step_invariants(const SchedulerOutput& output, const SchedulerConfig& config);

// Folds one update's deltas (whose tokens index `sampled`) into `results`, checking each sample's stream.
void fold_deltas(const std::vector<RequestDelta>& deltas, const StepTokens& sampled, RunResults& results);

// One schedule / model / update round; folds the deltas into `results`.
SchedulerOutput drive_step(Scheduler& scheduler, FakeModel& model, RunResults& results);

// Steps until nothing is left (or max_steps, which fails the test), folding into `results`.
// `on_step` sees each output after its update: its Request pointers may dangle by then. With
// `ahead`, each step is scheduled and run before the previous one's update, as the engine
// pipelines steps (Scheduler, "Scheduling ahead"), except where can_schedule_ahead() says no.
// `between_steps` runs after each update (a drafter proposing draft tokens, say).
void run_to_completion(Scheduler& scheduler, FakeModel& model, RunResults& results, int max_steps = 10000,
                       const std::function<void(const SchedulerOutput&)>& on_step = {}, bool ahead = false,
                       const std::function<void(Scheduler&)>& between_steps = {});

// The tokens a request generates with the default token function when nothing stops it early.
std::vector<int32_t> expected_output(const std::string& id, int sample_index, int prompt_len, int num_tokens);

// A prompt of `length` tokens, distinct per seed (ids in [1000, 30000)).
std::vector<int32_t> make_prompt(int length, uint32_t seed);

}  // namespace turbine::testing
