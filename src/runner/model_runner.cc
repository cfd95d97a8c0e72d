#include "runner/model_runner.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <mutex>

#include "backend/token_bitmask.h"
#include "common/error.h"
#include "runner/bad_words.h"

namespace turbine {
namespace {

// Adds the time from construction to stop() to `total`: how long the host sat blocked on the
// device (the rest of a step is host work, which the engine reports per step).
class WaitTimer {
 public:
  explicit WaitTimer(double& total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~WaitTimer() { stop(); }
  void stop() {
    if (stopped_) return;
    stopped_ = true;
    total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  double& total_;
  std::chrono::steady_clock::time_point start_;
  bool stopped_ = false;
};

}  // namespace

void ModelRunner::lap(double HostTimes::*bucket) {
  const auto now = std::chrono::steady_clock::now();
  host_times_.*bucket += std::chrono::duration<double>(now - lap_start_).count();
  lap_start_ = now;
}

void ModelRunner::restart_lap() { lap_start_ = std::chrono::steady_clock::now(); }

ModelRunner::ModelRunner(Model& model, Backend& backend, int num_blocks, int block_size)
    : model_(model), backend_(backend), kv_(backend, model.config(), num_blocks, block_size) {}

void ModelRunner::reserve_logits(int rows) {
  TURBINE_CHECK(!graphs_, "reserve_logits after decode graphs were enabled");
  rows = std::max(rows, 1);
  if (rows <= logits_rows_) return;
  logits_buffer_ = DeviceBuffer();  // free first: the old buffer is never needed again
  logits_buffer_ = backend_.allocate(size_t(rows) * size_t(model_.config().vocab_size) * sizeof(float));
  logits_rows_ = rows;
}

Tensor ModelRunner::logits_for(int rows) {
  const int64_t vocab = model_.config().vocab_size;
  if (rows <= logits_rows_) return logits_buffer_.as_tensor(DType::kF32, rows, vocab);
  if (graphs_) {
    const size_t bytes = size_t(rows) * size_t(vocab) * sizeof(float);
    if (overflow_logits_.bytes() < bytes) {
      backend_.synchronize();  // a step in flight may still read the old buffer
      overflow_logits_ = DeviceBuffer();
      overflow_logits_ = backend_.allocate(bytes);
    }
    return overflow_logits_.as_tensor(DType::kF32, rows, vocab);
  }
  backend_.synchronize();  // as above
  reserve_logits(rows);
  return logits_buffer_.as_tensor(DType::kF32, rows, vocab);
}

bool ModelRunner::enable_decode_graphs(int max_batch, int max_model_len) {
  if (!backend_.supports_graphs() || !model_.graph_capturable() || max_batch <= 0) return false;
  max_batch = std::min(max_batch, kMaxDecodeGraphBatch);
  reserve_logits(max_batch);
  const int stride = (max_model_len + kv_.block_size() - 1) / kv_.block_size();
  graphs_ = std::make_unique<DecodeGraphs>(backend_, max_batch, stride);
  return true;
}

int ModelRunner::capture_decode_graphs() {
  if (!graphs_) return 0;
  TURBINE_CHECK(launched_.empty(), "capture_decode_graphs with a step in flight");
  graph_tables_stale_ = true;  // the captures' uploads overwrite the device tables
  return graphs_->capture_all([&](const ForwardBatch& batch) {
    Tensor logits = logits_buffer_.as_tensor(DType::kF32, batch.num_tokens, model_.config().vocab_size);
    model_.forward(batch, kv_.view(), logits);
  });
}

bool ModelRunner::run_decode_graph(const SchedulerOutput& output, const StepShape& shape, Tensor& logits) {
  if (!graphs_ || !shape.decode_only) return false;
  const int batch = int(output.scheduled.size());
  const int padded = graphs_->padded_size(batch);
  if (padded == 0) return false;
  const int block_size = kv_.block_size();
  const DecodeInputs h = graphs_->host_inputs();
  size_t table_width = 1;
  bool any_feed = false;
  bool same_rows = !graph_tables_stale_ && padded == graph_table_padded_ && size_t(batch) == graph_table_rows_.size();
  for (int s = 0; s < batch; ++s) {
    const ScheduledSequence& seq = output.scheduled[size_t(s)];
    same_rows = same_rows && graph_table_rows_[size_t(s)] == seq.seq_id;
    const std::vector<BlockId>& table = step_states_[size_t(s)]->block_table;
    const int pos = seq.num_computed_tokens;
    TURBINE_CHECK(size_t(pos / block_size) < table.size() && table.size() <= size_t(h.table_stride),
                  "sequence {} at position {} holds {} blocks (stride {})", seq.seq_id, pos, table.size(),
                  h.table_stride);
    const int source = feed_source(seq, *step_states_[size_t(s)]);
    h.ids[s] = source >= 0 ? 0 : output.token_ids[size_t(seq.token_begin)];
    h.feed[s] = source;
    any_feed |= source >= 0;
    h.positions[s] = pos;
    h.step_lens[s] = pos + 1;
    h.seq_lens[s] = pos + 1;
    h.slots[s] = table[size_t(pos / block_size)] * block_size + pos % block_size;
    std::copy(table.begin(), table.end(), h.block_tables + size_t(s) * size_t(h.table_stride));
    table_width = std::max(table_width, table.size());
  }
  // Block tables change only when a row gains a block or the rows change: most decode steps
  // reuse the device copy and skip the strided copy.
  const bool copy_tables = !same_rows || table_width > graph_table_width_;
  if (copy_tables) {
    graph_table_rows_.resize(size_t(batch));
    for (int s = 0; s < batch; ++s) graph_table_rows_[size_t(s)] = output.scheduled[size_t(s)].seq_id;
    graph_table_padded_ = padded;
    graph_table_width_ = table_width;
    graph_tables_stale_ = false;
  }
  lap(&HostTimes::rows);
  const ForwardBatch batch_inputs = graphs_->upload(batch, padded, int(table_width), copy_tables);
  feed_in_flight_tokens(graphs_->device_ids(), graphs_->device_feed(), batch, any_feed);
  lap(&HostTimes::upload);
  Tensor padded_logits = logits_buffer_.as_tensor(DType::kF32, padded, model_.config().vocab_size);
  graphs_->run(padded, [&] { model_.forward(batch_inputs, kv_.view(), padded_logits); });
  logits = padded_logits.slice_rows(0, batch);
  lap(&HostTimes::forward);
  return true;
}

void ModelRunner::adopt(SequenceState& state, const NewSequence& fresh) const {
  const RequestParams& params = fresh.params;
  state.has_params = true;
  state.sampling = params.sampling;
  state.sampling_row = DeviceSamplingInputs::row_of(params.sampling);
  state.needs_adjustments = DeviceSamplingInputs::needs_adjustments(params.sampling);
  state.min_tokens = params.min_tokens;
  state.suppressed_before_min_tokens.clear();
  if (!params.ignore_eos) state.suppressed_before_min_tokens = model_.config().eos_token_ids;
  state.suppressed_before_min_tokens.insert(state.suppressed_before_min_tokens.end(), params.stop_token_ids.begin(),
                                            params.stop_token_ids.end());
  state.bad_words = params.bad_words_token_ids;
  state.prompt_logprobs = params.prompt_logprobs;
  state.num_prompt_tokens = int(fresh.prompt_token_ids.size());
  state.keeps_history = params.reads_output_tokens();
  const bool penalised = params.sampling.repetition_enabled() || params.sampling.presence_or_frequency_enabled();
  state.prompt.clear();
  state.output.clear();
  if (penalised || state.prompt_logprobs) state.prompt = fresh.prompt_token_ids;
  if (state.keeps_history) state.output = fresh.output_token_ids;
  state.allowed_mask.clear();
  state.allowed_only_stops = false;
  if (!params.allowed_token_ids.empty()) {
    state.allowed_mask.assign(size_t(token_bitmask_words(model_.config().vocab_size)), 0);
    for (const int32_t id : params.allowed_token_ids) allow_token(state.allowed_mask, id);
    // Allowed only what min_tokens would suppress: the suppression gives way (the sampler needs a
    // finite logit), as it does for a grammar that allows only stop tokens.
    state.allowed_only_stops = std::ranges::all_of(params.allowed_token_ids, [&](int32_t id) {
      return std::ranges::find(state.suppressed_before_min_tokens, id) != state.suppressed_before_min_tokens.end();
    });
  }
  state.grammar.reset();
  if (params.structured) {
    if (!grammars_) fail("sequence {} asks for structured output but the runner has no grammar compiler", fresh.seq_id);
    state.grammar = std::make_unique<structured::GrammarMatcher>(grammars_->get(*params.structured));
    // A resumed or forked sequence: the grammar catches up with the output it already has.
    for (const int32_t id : fresh.output_token_ids) state.grammar->accept_token(id);
  }
}

bool ModelRunner::fill_grammar_mask(SequenceState& state, std::span<uint32_t> mask) {
  const int allowed = state.grammar->fill_mask(mask);
  const auto stops = state.grammar->grammar().vocabulary().stop_ids();
  if (!state.grammar->can_end()) return false;
  int stops_allowed = 0;
  for (const int32_t id : stops) stops_allowed += token_allowed(mask, id) ? 1 : 0;
  return allowed == stops_allowed;
}

ModelRunner::StepShape ModelRunner::update_states(const SchedulerOutput& output) {
  for (SeqId id : output.finished_seq_ids) sequences_.erase(id);
  // A preempted sequence keeps its random stream (seeded ones are re-positioned anyway) but its
  // blocks are gone; its next entry is is_new and replaces the table.
  for (SeqId id : output.preempted_seq_ids)
    if (auto it = sequences_.find(id); it != sequences_.end()) it->second.block_table.clear();
  StepShape shape;
  shape.decode_only = !output.scheduled.empty();
  step_states_.clear();
  step_states_.reserve(output.scheduled.size());
  for (const ScheduledSequence& seq : output.scheduled) {
    SequenceState& state = sequences_[seq.seq_id];
    step_states_.push_back(&state);
    if (seq.is_new) {
      state.block_table.clear();
      adopt(state, output.new_sequence(seq));
    }
    TURBINE_CHECK(state.has_params, "sequence {} is not new but the runner has no state for it", seq.seq_id);
    const std::span<const BlockId> ids = output.blocks(seq);
    if (seq.block_table.kind == BlockTableUpdate::Kind::kReplace) {
      state.block_table.assign(ids.begin(), ids.end());
      graph_tables_stale_ = true;
    } else if (!ids.empty()) {
      state.block_table.insert(state.block_table.end(), ids.begin(), ids.end());
      graph_tables_stale_ = true;
    }
    shape.decode_only &= seq.num_scheduled_tokens() == 1 && seq.samples_token && !state.prompt_logprobs;
    shape.any_prompt_logprobs |= prompt_logprob_rows(seq, state).second > 0;
  }
  return shape;
}

ForwardBatch ModelRunner::build_batch(const SchedulerOutput& output, int num_logits) {
  const int num_seqs = int(output.scheduled.size());
  const int num_tokens = output.num_scheduled_tokens;
  const int block_size = kv_.block_size();
  size_t max_blocks = 1;
  for (const SequenceState* state : step_states_) max_blocks = std::max(max_blocks, state->block_table.size());

  // One host array, sliced: ids, feed sources, positions, step lens, slots [num_tokens each],
  // query_start [num_seqs + 1], seq_lens [num_seqs], logits rows [num_logits], block tables
  // [num_seqs x max].
  const size_t total = size_t(5 * num_tokens + 2 * num_seqs + 1 + num_logits) + size_t(num_seqs) * max_blocks;
  const size_t bytes = total * sizeof(int32_t);
  DeviceBuffer& staging = host_inputs_[host_slot_];
  host_slot_ ^= 1;
  if (staging.bytes() < bytes) {
    staging = DeviceBuffer();  // its last copy was collected: the device is done with it
    staging = backend_.allocate_host(bytes * 2);
  }
  int32_t* const base = static_cast<int32_t*>(staging.data());
  std::fill(base, base + total, 0);
  int32_t* ids = base;
  int32_t* feed = ids + num_tokens;
  int32_t* positions = feed + num_tokens;
  int32_t* step_lens = positions + num_tokens;
  int32_t* slots = step_lens + num_tokens;
  int32_t* query_start = slots + num_tokens;
  int32_t* seq_lens = query_start + num_seqs + 1;
  int32_t* logits_rows = seq_lens + num_seqs;
  int32_t* block_tables = logits_rows + num_logits;

  int row = 0, logit = 0;
  bool any_feed = false;
  for (int s = 0; s < num_seqs; ++s) {
    const ScheduledSequence& seq = output.scheduled[size_t(s)];
    const std::vector<BlockId>& table = step_states_[size_t(s)]->block_table;
    const int n = seq.num_scheduled_tokens();
    const int end = seq.num_computed_tokens + n;
    TURBINE_CHECK(size_t((end + block_size - 1) / block_size) <= table.size(),
                  "sequence {} needs {} tokens of KV but holds {} blocks", seq.seq_id, end, table.size());
    query_start[s] = row;
    seq_lens[s] = end;
    const int source = feed_source(seq, *step_states_[size_t(s)]);  // feeds the last token, if any
    any_feed |= source >= 0;
    const std::span<const int32_t> tokens = output.tokens(seq);
    for (int j = 0; j < n; ++j, ++row) {
      const int pos = seq.num_computed_tokens + j;
      const bool fed = source >= 0 && j == n - 1;
      ids[row] = fed ? 0 : tokens[size_t(j)];
      feed[row] = fed ? source : -1;
      positions[row] = pos;
      step_lens[row] = end;
      slots[row] = table[size_t(pos / block_size)] * block_size + pos % block_size;
    }
    const auto [first, count] = prompt_logprob_rows(seq, *step_states_[size_t(s)]);
    for (int j = 0; j < count; ++j) logits_rows[logit++] = query_start[s] + first + j;
    if (seq.samples_token)
      for (int j = seq.num_draft_tokens; j >= 0; --j) logits_rows[logit++] = row - 1 - j;
    std::copy(table.begin(), table.end(), block_tables + size_t(s) * max_blocks);
  }
  query_start[num_seqs] = row;
  lap(&HostTimes::rows);

  if (device_inputs_.bytes() < bytes) {
    backend_.synchronize();  // the step in flight may still read the old buffer
    device_inputs_ = DeviceBuffer();
    device_inputs_ = backend_.allocate(bytes * 2);
  }
  backend_.copy_to_device_async(device_inputs_.data(), base, bytes);
  auto on_device = [&](const int32_t* p) { return static_cast<int32_t*>(device_inputs_.data()) + (p - base); };
  feed_in_flight_tokens(on_device(ids), on_device(feed), num_tokens, any_feed);
  lap(&HostTimes::upload);
  ForwardBatch b;
  b.num_tokens = num_tokens;
  b.token_ids = on_device(ids);
  b.positions = on_device(positions);
  b.attention.num_seqs = num_seqs;
  b.attention.num_tokens = num_tokens;
  b.attention.query_start = on_device(query_start);
  b.attention.seq_lens = on_device(seq_lens);
  b.attention.block_tables = on_device(block_tables);
  b.attention.max_blocks_per_seq = int(max_blocks);
  b.attention.slot_mapping = on_device(slots);
  b.logits_rows = on_device(logits_rows);
  b.num_logits = num_logits;
  b.positions_host = positions;
  b.step_lens_host = step_lens;
  return b;
}

std::pair<int, int> ModelRunner::prompt_logprob_rows(const ScheduledSequence& seq, const SequenceState& state) {
  if (!state.prompt_logprobs) return {0, 0};
  // Row j (position c + j) scores prompt token c + j + 1, which must exist in the prompt.
  const int c = seq.num_computed_tokens;
  const int last_scoring_position = state.num_prompt_tokens - 2;
  const int count = std::min(seq.num_scheduled_tokens(), last_scoring_position - c + 1);
  return {0, std::max(count, 0)};
}

RandomGenerator& ModelRunner::random_stream(const ScheduledSequence& seq, SequenceState& state, int j) {
  if (const auto& seed = state.sampling.seed) {
    // A seeded stream is a pure function of (seed, tokens sampled so far): each non-greedy
    // sample takes one double (two 32-bit words), so resuming after preemption is exact.
    if (!state.rng) state.rng.emplace(*seed);
    state.rng->seek(uint64_t(2) * uint64_t(seq.num_prior_output_tokens + j));
  } else if (!state.rng) {
    state.rng.emplace(RandomGenerator::from_entropy());
  }
  return *state.rng;
}

std::span<const int32_t> ModelRunner::suppressed_ids(const ScheduledSequence& seq, const SequenceState& state,
                                                     std::span<const int32_t> output, int j) {
  // Before min_tokens, EOS (unless ignore_eos) and stop tokens are masked so that the output
  // really has min_tokens tokens before a stop (vLLM's rule; stop_conditions.h is the backstop).
  const bool before_min_tokens = seq.num_prior_output_tokens + j < state.min_tokens;
  if (state.bad_words.empty()) {
    if (before_min_tokens) return state.suppressed_before_min_tokens;
    return {};
  }
  step_suppressed_.clear();
  if (before_min_tokens) step_suppressed_ = state.suppressed_before_min_tokens;
  append_banned_by_bad_words(state.bad_words, output, step_suppressed_);
  return step_suppressed_;
}

SamplingContext ModelRunner::sampling_context(const ScheduledSequence& seq, const SequenceState& state,
                                              std::span<const int32_t> drafts, int j, bool keep_stops) {
  std::span<const int32_t> output = state.output;
  if (j > 0 && state.keeps_history) {
    draft_history_.assign(state.output.begin(), state.output.end());
    draft_history_.insert(draft_history_.end(), drafts.begin(), drafts.begin() + j);
    output = draft_history_;
  }
  // A grammar that allows only stop tokens wins over min_tokens (the sampler needs a finite logit).
  if (keep_stops) return SamplingContext{state.prompt, output, {}};
  return SamplingContext{state.prompt, output, suppressed_ids(seq, state, output, j)};
}

SampledToken ModelRunner::sample(const ScheduledSequence& seq, SequenceState& state, std::span<const int32_t> drafts,
                                 int j, std::span<const float> logits, bool keep_stops) {
  RandomGenerator& rng = random_stream(seq, state, j);
  const SampleResult r = sampler_.sample(logits, state.sampling, sampling_context(seq, state, drafts, j, keep_stops), rng);
  return {r.token, r.logprob, r.top_logprobs};
}

std::span<const int32_t> ModelRunner::drafts_of(const SchedulerOutput& output, const ScheduledSequence& seq) {
  return output.tokens(seq).last(size_t(seq.num_draft_tokens));
}

int ModelRunner::accepted_count(std::span<const int32_t> sampled, std::span<const int32_t> drafts) {
  int kept = 1;
  while (kept <= int(drafts.size()) && sampled[size_t(kept - 1)] == drafts[size_t(kept - 1)]) ++kept;
  return kept;
}

static_assert(kMaxLogprobs <= kMaxDeviceLogprobs, "a device sampler must return every logprob a request may ask for");

void ModelRunner::fill_token_masks(const SchedulerOutput& output, int32_t mask_words) {
  const size_t n = output.scheduled.size();
  mask_first_.assign(n, -1);
  grammar_jobs_.clear();
  int rows = 0;
  for (size_t i = 0; i < n; ++i) {
    const ScheduledSequence& seq = output.scheduled[i];
    const SequenceState& state = *step_states_[i];
    if (!seq.samples_token || (!state.grammar && state.allowed_mask.empty())) continue;
    mask_first_[i] = rows;
    rows += 1 + seq.num_draft_tokens;
    if (state.grammar) grammar_jobs_.push_back(int(i));
  }
  token_bitmask_.resize(size_t(rows) * size_t(mask_words));  // every row is written below
  mask_keeps_stops_.assign(size_t(rows), 0);
  if (rows == 0) return;
  // allowed_token_ids: the same mask at every position (never beside a grammar: RequestParams).
  for (size_t i = 0; i < n; ++i) {
    const SequenceState& state = *step_states_[i];
    if (mask_first_[i] < 0 || state.grammar) continue;
    for (int j = 0; j <= output.scheduled[i].num_draft_tokens; ++j) {
      const size_t row = size_t(mask_first_[i] + j);
      std::ranges::copy(state.allowed_mask, token_bitmask_.begin() + ptrdiff_t(row * size_t(mask_words)));
      mask_keeps_stops_[row] = state.allowed_only_stops ? 1 : 0;
    }
  }
  if (grammar_jobs_.empty()) return;
  // One sequence's positions in order: position j is masked as if drafts[0, j) were accepted; a
  // draft the grammar refuses can never be matched by the (masked) sample before it, so later
  // positions are never kept and keep the mask before it.
  auto fill_sequence = [&](size_t i) {
    const ScheduledSequence& seq = output.scheduled[i];
    SequenceState& state = *step_states_[i];
    const std::span<const int32_t> drafts = drafts_of(output, seq);
    int tentative = 0;
    for (int j = 0; j <= seq.num_draft_tokens; ++j) {
      if (j > 0 && tentative == j - 1 && state.grammar->accept_token(drafts[size_t(j - 1)])) ++tentative;
      const size_t row = size_t(mask_first_[i] + j);
      const std::span<uint32_t> mask(token_bitmask_.data() + row * size_t(mask_words), size_t(mask_words));
      mask_keeps_stops_[row] = fill_grammar_mask(state, mask) ? 1 : 0;
    }
    state.grammar->rollback(tentative);
  };
  // Sequences in parallel (each matcher is its own; a grammar they share computes its token
  // tables once), so that a batch of constrained rows costs about its slowest mask, not their sum.
  if (grammar_jobs_.size() < 2) {
    fill_sequence(size_t(grammar_jobs_[0]));
    return;
  }
  if (!mask_pool_) mask_pool_ = std::make_unique<ThreadPool>(std::clamp(ThreadPool::default_thread_count() / 2, 2, 8));
  std::mutex failure_mutex;
  std::exception_ptr failure;
  mask_pool_->parallel_for(int64_t(grammar_jobs_.size()), [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      try {
        fill_sequence(size_t(grammar_jobs_[size_t(k)]));
      } catch (...) {
        std::lock_guard lock(failure_mutex);
        if (!failure) failure = std::current_exception();
      }
    }
  });
  if (failure) std::rethrow_exception(failure);
}

void ModelRunner::sample_on_device(const SchedulerOutput& output, const Tensor& logits, LaunchedStep& step) {
  device_sampling_.clear();
  const int32_t mask_words = token_bitmask_words(model_.config().vocab_size);
  fill_token_masks(output, mask_words);
  for (size_t i = 0; i < output.scheduled.size(); ++i) {
    const ScheduledSequence& seq = output.scheduled[i];
    if (!seq.samples_token) continue;
    SequenceState& state = *step_states_[i];
    const std::span<const int32_t> drafts = drafts_of(output, seq);
    // One row per position: the last token's, then each draft's, each sampled as plain decoding
    // would at that output length (the same single draw the host sampler makes, none when
    // greedy, so a seeded request consumes its stream identically on either path).
    const bool greedy = state.sampling_row.temperature < kGreedyTemperatureEpsilon;
    for (int j = 0; j <= seq.num_draft_tokens; ++j) {
      const double uniform = greedy ? 0.0 : random_stream(seq, state, j).next_double();
      const int32_t mask_row = mask_first_[i] < 0 ? -1 : mask_first_[i] + j;
      const bool keep_stops = mask_row >= 0 && mask_keeps_stops_[size_t(mask_row)] != 0;
      if (!state.needs_adjustments && state.bad_words.empty() &&
          (keep_stops || seq.num_prior_output_tokens + j >= state.min_tokens)) {
        // Nothing per token and nothing suppressed: the row is the request's constant one.
        device_sampling_.add_plain_row(state.sampling_row, uniform);
      } else {
        device_sampling_.add_row(state.sampling, sampling_context(seq, state, drafts, j, keep_stops), uniform);
      }
      device_sampling_.rows.back().bitmask_row = mask_row;
    }
    remember_row(seq, state, step.sampling_row[i]);
  }
  TURBINE_CHECK(int64_t(device_sampling_.rows.size()) == logits.rows, "{} sampling rows for {} rows of logits",
                device_sampling_.rows.size(), logits.rows);
  lap(&HostTimes::rows);
  const int32_t* sampled = backend_.sample_async({logits, device_sampling_.rows, device_sampling_.adjustments,
                                                   device_sampling_.suppressed, token_bitmask_,
                                                   token_bitmask_.empty() ? 0 : mask_words});
  lap(&HostTimes::sampling);
  step.on_device = true;
  last_sampled_ = sampled;
  last_num_sampled_ = int(logits.rows);
}

void ModelRunner::sample_on_host(const SchedulerOutput& output, const Tensor& logits, int num_logits,
                                 LaunchedStep& step) {
  const int64_t vocab = model_.config().vocab_size;
  StepResult& result = step.result;
  lap(&HostTimes::forward);
  WaitTimer wait(result.wait_seconds);
  host_logits_.resize(size_t(num_logits) * size_t(vocab));
  backend_.copy_to_host(host_logits_.data(), logits.data, host_logits_.size() * sizeof(float));
  wait.stop();
  restart_lap();
  int row = 0;
  auto next_row = [&] { return std::span<const float>(host_logits_.data() + size_t(row++) * size_t(vocab), size_t(vocab)); };
  // Each sampling row's token, at its row (rows of drafts past the first rejection stay 0), so
  // that the next step can feed them from backend memory as it feeds device samples.
  std::vector<int32_t> row_tokens;
  for (size_t i = 0; i < output.scheduled.size(); ++i) {
    const ScheduledSequence& seq = output.scheduled[i];
    SequenceState& state = *step_states_[i];
    const auto [first, count] = prompt_logprob_rows(seq, state);
    for (int j = 0; j < count; ++j) {
      const std::span<const float> row_logits = next_row();
      const int position = seq.num_computed_tokens + first + j + 1;
      const int32_t token = state.prompt[size_t(position)];
      const LogSoftmaxStats stats = log_softmax_stats(row_logits);
      result.prompt_logprobs[i].push_back({position, token, stats.logprob(row_logits[size_t(token)]),
                                           top_logprobs(row_logits, stats, *state.prompt_logprobs)});
    }
    if (seq.samples_token) {
      // Position by position, while the drafts are accepted.
      const std::span<const int32_t> drafts = drafts_of(output, seq);
      const size_t first_row = row_tokens.size();
      row_tokens.resize(first_row + drafts.size() + 1, 0);
      for (int j = 0; j <= int(drafts.size()); ++j) {
        const std::span<float> row_logits(host_logits_.data() + size_t(row + j) * size_t(vocab), size_t(vocab));
        bool keep_stops = false;
        if (state.grammar) {
          // Masked in place before the sampler, so its logprobs describe the masked row (as on
          // the device, and as vLLM applies its grammar bitmask before sampling).
          token_bitmask_.resize(size_t(token_bitmask_words(vocab)));
          keep_stops = fill_grammar_mask(state, token_bitmask_);
          apply_token_bitmask(row_logits, token_bitmask_);
        } else if (!state.allowed_mask.empty()) {
          keep_stops = state.allowed_only_stops;
          apply_token_bitmask(row_logits, state.allowed_mask);
        }
        SampledToken s = sample(seq, state, drafts, j, row_logits, keep_stops);
        // Every sample up to the first rejected draft is kept; the grammar advances with each, so
        // the next position's mask sees the draft this one matched.
        if (state.grammar) state.grammar->accept_token(s.token);
        const bool rejects_draft = j < int(drafts.size()) && s.token != drafts[size_t(j)];
        row_tokens[first_row + size_t(j)] = s.token;
        result.tokens.add(s.token);
        result.samples.push_back(std::move(s));
        if (rejects_draft) break;
      }
      row += int(drafts.size()) + 1;
    }
    result.tokens.end_sequence();
    if (seq.samples_token && state.keeps_history) {
      const std::span<const int32_t> kept = result.tokens.of(i);
      state.output.insert(state.output.end(), kept.begin(), kept.end());
    }
  }
  const size_t bytes = std::max<size_t>(row_tokens.size(), 1) * sizeof(int32_t);
  if (host_sampled_.bytes() < bytes) host_sampled_ = backend_.allocate(bytes * 2);
  lap(&HostTimes::rows);
  backend_.copy_to_device(host_sampled_.data(), row_tokens.data(), row_tokens.size() * sizeof(int32_t));
  lap(&HostTimes::sampling);
  remember_samples(output, step, static_cast<const int32_t*>(host_sampled_.data()), int(row_tokens.size()));
  lap(&HostTimes::rows);
}

void ModelRunner::remember_samples(const SchedulerOutput& output, const LaunchedStep& step, const int32_t* sampled,
                                   int count) {
  last_sampled_ = sampled;
  last_num_sampled_ = count;
  for (size_t i = 0; i < output.scheduled.size(); ++i)
    if (step.sampling_row[i] >= 0)
      remember_row(output.scheduled[i], *step_states_[i], step.sampling_row[i]);
}

int ModelRunner::feed_source(const ScheduledSequence& seq, const SequenceState& state) const {
  if (!seq.last_token_in_flight) return -1;
  // The token in flight is the previous launch's sample for this sequence, nothing older.
  TURBINE_CHECK(state.sampled_launch + 1 == num_launches_ && state.sampled_row >= 0 &&
                    state.sampled_row < last_num_sampled_ && last_sampled_ != nullptr,
                "sequence {}: its in-flight token is not among the previous step's samples", seq.seq_id);
  return state.sampled_row;
}

void ModelRunner::feed_in_flight_tokens(int32_t* device_ids, const int32_t* device_sources, int n, bool any) {
  if (any) backend_.feed_tokens(device_ids, device_sources, n, last_sampled_, last_num_sampled_);
}

void ModelRunner::launch(const SchedulerOutput& output) {
  TURBINE_CHECK(launched_.size() < 2, "launch with two steps uncollected");
  restart_lap();
  const StepShape shape = update_states(output);
  ++num_launches_;
  LaunchedStep& step = launched_.emplace_back();
  const size_t n = output.scheduled.size();
  StepResult& result = step.result;
  result.tokens.reserve(n, n);
  result.samples.reserve(n);
  if (shape.any_prompt_logprobs) result.prompt_logprobs.resize(n);
  step.sampling_row.assign(n, -1);
  step.num_logprobs.assign(n, 0);
  step.seq_ids.resize(n);
  int num_sampling_rows = 0;
  for (size_t i = 0; i < n; ++i) {
    const ScheduledSequence& seq = output.scheduled[i];
    step.seq_ids[i] = seq.seq_id;
    step.num_logprobs[i] = step_states_[i]->sampling_row.num_logprobs;
    if (seq.samples_token) {
      step.sampling_row[i] = num_sampling_rows;
      num_sampling_rows += 1 + seq.num_draft_tokens;
    }
    if (seq.samples_token && step_states_[i]->keeps_history) step.history_rows.push_back(int(i));
    if (seq.samples_token && step_states_[i]->grammar) step.grammar_rows.push_back(int(i));
    if (seq.num_draft_tokens > 0 && step.draft_offsets.empty()) step.draft_offsets.assign(i + 1, 0);
    if (!step.draft_offsets.empty()) {
      const std::span<const int32_t> drafts = drafts_of(output, seq);
      step.drafts.insert(step.drafts.end(), drafts.begin(), drafts.end());
      step.draft_offsets.push_back(int(step.drafts.size()));
    }
  }
  if (output.empty()) {
    last_sampled_ = nullptr;
    last_num_sampled_ = 0;
    lap(&HostTimes::rows);
    return;
  }
  lap(&HostTimes::rows);

  if (!output.block_copies.empty()) {
    std::vector<int32_t> pairs;
    for (const BlockCopy& c : output.block_copies) pairs.insert(pairs.end(), {c.src, c.dst});
    for (KvCacheLayer& layer : kv_.view().layers)
      backend_.copy_kv_blocks(layer, pairs.data(), int(output.block_copies.size()), kv_.block_size());
    lap(&HostTimes::forward);
  }

  Tensor logits;
  int num_logits = 0;
  result.num_tokens = output.num_scheduled_tokens;
  if (run_decode_graph(output, shape, logits)) {
    num_logits = int(logits.rows);
  } else {
    for (size_t i = 0; i < output.scheduled.size(); ++i) {
      const ScheduledSequence& seq = output.scheduled[i];
      num_logits += (seq.samples_token ? 1 + seq.num_draft_tokens : 0) + prompt_logprob_rows(seq, *step_states_[i]).second;
    }
    const ForwardBatch batch = build_batch(output, num_logits);
    logits = logits_for(num_logits);
    model_.forward(batch, kv_.view(), logits);
    lap(&HostTimes::forward);
  }

  // On a backend that samples, only ids and logprobs come back (even a step with nothing to
  // sample queues an empty sample, so that collect() waits for the step's work and the staging
  // it read); a step with prompt_logprobs rows (which need whole rows on the host) takes the
  // host path.
  if (num_logits > 0 && samples_need_previous_step(output)) {
    // The masks (or penalties) of some row need its token in flight: sampling waits for the
    // previous step's collect(), while the device runs this step's forward pass.
    deferred_ = DeferredSampling{output, logits, num_logits, !backend_.supports_sampling() || shape.any_prompt_logprobs};
    lap(&HostTimes::rows);
  } else if (backend_.supports_sampling() && !shape.any_prompt_logprobs) {
    sample_on_device(output, logits.slice_rows(0, num_logits), step);
  } else if (num_logits > 0) {
    sample_on_host(output, logits, num_logits, step);
  } else {
    lap(&HostTimes::forward);
    WaitTimer wait(result.wait_seconds);
    backend_.synchronize();  // nothing sampled: wait here, as the host path would have
    wait.stop();
    restart_lap();
    for (size_t i = 0; i < n; ++i) result.tokens.end_sequence();
    remember_samples(output, step, nullptr, 0);
    lap(&HostTimes::rows);
  }
}

StepResult ModelRunner::collect() {
  TURBINE_CHECK(!launched_.empty(), "collect without a launched step");
  restart_lap();
  LaunchedStep step = std::move(launched_.front());
  launched_.pop_front();
  StepResult result = std::move(step.result);
  if (!step.on_device) {
    lap(&HostTimes::collect);
    return result;
  }
  lap(&HostTimes::collect);
  WaitTimer wait(result.wait_seconds);
  const DeviceSamplingResult r = backend_.collect_sampled();
  wait.stop();
  restart_lap();
  for (size_t i = 0; i < step.seq_ids.size(); ++i) {
    const int first_row = step.sampling_row[i];
    if (first_row >= 0) {
      const std::span<const int32_t> drafts =
          step.draft_offsets.empty()
              ? std::span<const int32_t>()
              : std::span<const int32_t>(step.drafts).subspan(size_t(step.draft_offsets[i]),
                                                               size_t(step.draft_offsets[i + 1] - step.draft_offsets[i]));
      const int kept = accepted_count(r.tokens.subspan(size_t(first_row), drafts.size() + 1), drafts);
      for (int row = first_row; row < first_row + kept; ++row) {
        const int32_t token = r.tokens[size_t(row)];
        if (token < 0)
          fail("sequence {}: the model produced no finite logit to sample from (NaN or infinite activations)",
               step.seq_ids[i]);
        SampledToken& s = result.samples.emplace_back();
        s.token = token;
        s.logprob = r.logprobs[size_t(row)];
        for (int j = 0; j < step.num_logprobs[i] && !r.top_ids.empty(); ++j) {
          const size_t at = size_t(row) * kMaxDeviceLogprobs + size_t(j);
          if (r.top_ids[at] < 0) break;
          s.top_logprobs.emplace_back(r.top_ids[at], r.top_logprobs[at]);
        }
        result.tokens.add(token);
      }
    }
    result.tokens.end_sequence();
  }
  // Sequences that keep their output step in order (no launch between this step's and its
  // collect), so their state is still here unless the engine ended them.
  for (const int i : step.history_rows) {
    auto it = sequences_.find(step.seq_ids[size_t(i)]);
    if (it == sequences_.end()) continue;
    const std::span<const int32_t> kept = result.tokens.of(size_t(i));
    it->second.output.insert(it->second.output.end(), kept.begin(), kept.end());
  }
  // Constrained sequences step in order too (no step is scheduled ahead of their token).
  for (const int i : step.grammar_rows) {
    auto it = sequences_.find(step.seq_ids[size_t(i)]);
    if (it == sequences_.end() || !it->second.grammar) continue;
    for (const int32_t token : result.tokens.of(size_t(i))) it->second.grammar->accept_token(token);
  }
  lap(&HostTimes::collect);
  if (deferred_) run_deferred_sampling();
  return result;
}

bool ModelRunner::samples_need_previous_step(const SchedulerOutput& output) const {
  // Only a step launched ahead of one whose samples are still on the device can lack a token:
  // host sampling advances grammars and histories as it samples.
  if (launched_.size() < 2 || !launched_.front().on_device) return false;
  for (size_t i = 0; i < output.scheduled.size(); ++i) {
    const ScheduledSequence& seq = output.scheduled[i];
    const SequenceState& state = *step_states_[i];
    if (seq.samples_token && seq.last_token_in_flight && (state.grammar || state.keeps_history)) return true;
  }
  return false;
}

void ModelRunner::run_deferred_sampling() {
  // The step launched ahead is now the only one uncollected, and no launch came in between, so
  // step_states_ and the previous launch's bookkeeping are still its own.
  TURBINE_CHECK(launched_.size() == 1, "deferred sampling with {} steps uncollected", launched_.size());
  DeferredSampling deferred = std::move(*deferred_);
  deferred_.reset();
  restart_lap();
  if (deferred.on_host) {
    sample_on_host(deferred.output, deferred.logits, deferred.num_logits, launched_.front());
  } else {
    sample_on_device(deferred.output, deferred.logits.slice_rows(0, deferred.num_logits), launched_.front());
  }
}

}  // namespace turbine
