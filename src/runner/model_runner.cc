#include "runner/model_runner.h"

#include <algorithm>
#include <chrono>

#include "common/error.h"

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
      overflow_logits_ = DeviceBuffer();
      overflow_logits_ = backend_.allocate(bytes);
    }
    return overflow_logits_.as_tensor(DType::kF32, rows, vocab);
  }
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

bool ModelRunner::run_decode_graph(const SchedulerOutput& output, Tensor& logits) {
  if (!graphs_) return false;
  const int batch = int(output.scheduled.size());
  for (const ScheduledSequence& seq : output.scheduled)
    if (seq.num_scheduled_tokens() != 1 || !seq.samples_token || seq.request->params.prompt_logprobs) return false;
  const int padded = graphs_->padded_size(batch);
  if (padded == 0) return false;
  const int block_size = kv_.block_size();
  const DecodeInputs h = graphs_->host_inputs();
  size_t table_width = 1;
  for (int s = 0; s < batch; ++s) {
    const ScheduledSequence& seq = output.scheduled[size_t(s)];
    const std::vector<BlockId>& table = sequences_.at(seq.seq_id).block_table;
    const int pos = seq.num_computed_tokens;
    TURBINE_CHECK(size_t(pos / block_size) < table.size() && table.size() <= size_t(h.table_stride),
                  "sequence {} at position {} holds {} blocks (stride {})", seq.seq_id, pos, table.size(),
                  h.table_stride);
    h.ids[s] = seq.token_ids[0];
    h.positions[s] = pos;
    h.step_lens[s] = pos + 1;
    h.seq_lens[s] = pos + 1;
    h.slots[s] = table[size_t(pos / block_size)] * block_size + pos % block_size;
    std::copy(table.begin(), table.end(), h.block_tables + size_t(s) * size_t(h.table_stride));
    table_width = std::max(table_width, table.size());
  }
  const ForwardBatch batch_inputs = graphs_->upload(batch, padded, int(table_width));
  Tensor padded_logits = logits_buffer_.as_tensor(DType::kF32, padded, model_.config().vocab_size);
  graphs_->run(padded, [&] { model_.forward(batch_inputs, kv_.view(), padded_logits); });
  logits = padded_logits.slice_rows(0, batch);
  return true;
}

void ModelRunner::update_states(const SchedulerOutput& output) {
  for (SeqId id : output.finished_seq_ids) sequences_.erase(id);
  // A preempted sequence keeps its random stream (seeded ones are re-positioned anyway) but its
  // blocks are gone; its next entry is is_new and replaces the table.
  for (SeqId id : output.preempted_seq_ids)
    if (auto it = sequences_.find(id); it != sequences_.end()) it->second.block_table.clear();
  for (const ScheduledSequence& seq : output.scheduled) {
    SequenceState& state = sequences_[seq.seq_id];
    if (seq.is_new) state.block_table.clear();
    const auto& ids = seq.block_table.block_ids;
    if (seq.block_table.kind == BlockTableUpdate::Kind::kReplace) {
      state.block_table.assign(ids.begin(), ids.end());
    } else {
      state.block_table.insert(state.block_table.end(), ids.begin(), ids.end());
    }
  }
}

ForwardBatch ModelRunner::build_batch(const SchedulerOutput& output, int num_logits) {
  const int num_seqs = int(output.scheduled.size());
  const int num_tokens = output.num_scheduled_tokens;
  const int block_size = kv_.block_size();
  size_t max_blocks = 1;
  for (const ScheduledSequence& seq : output.scheduled)
    max_blocks = std::max(max_blocks, sequences_.at(seq.seq_id).block_table.size());

  // One host array, sliced: ids, positions, step lens, slots [num_tokens each], query_start
  // [num_seqs + 1], seq_lens [num_seqs], logits rows [num_logits], block tables [num_seqs x max].
  const size_t total = size_t(4 * num_tokens + 2 * num_seqs + 1 + num_logits) + size_t(num_seqs) * max_blocks;
  host_inputs_.assign(total, 0);
  int32_t* ids = host_inputs_.data();
  int32_t* positions = ids + num_tokens;
  int32_t* step_lens = positions + num_tokens;
  int32_t* slots = step_lens + num_tokens;
  int32_t* query_start = slots + num_tokens;
  int32_t* seq_lens = query_start + num_seqs + 1;
  int32_t* logits_rows = seq_lens + num_seqs;
  int32_t* block_tables = logits_rows + num_logits;

  int row = 0, logit = 0;
  for (int s = 0; s < num_seqs; ++s) {
    const ScheduledSequence& seq = output.scheduled[size_t(s)];
    const std::vector<BlockId>& table = sequences_.at(seq.seq_id).block_table;
    const int n = seq.num_scheduled_tokens();
    const int end = seq.num_computed_tokens + n;
    TURBINE_CHECK(size_t((end + block_size - 1) / block_size) <= table.size(),
                  "sequence {} needs {} tokens of KV but holds {} blocks", seq.seq_id, end, table.size());
    query_start[s] = row;
    seq_lens[s] = end;
    for (int j = 0; j < n; ++j, ++row) {
      const int pos = seq.num_computed_tokens + j;
      ids[row] = seq.token_ids[size_t(j)];
      positions[row] = pos;
      step_lens[row] = end;
      slots[row] = table[size_t(pos / block_size)] * block_size + pos % block_size;
    }
    const auto [first, count] = prompt_logprob_rows(seq);
    for (int j = 0; j < count; ++j) logits_rows[logit++] = query_start[s] + first + j;
    if (seq.samples_token) logits_rows[logit++] = row - 1;
    std::copy(table.begin(), table.end(), block_tables + size_t(s) * max_blocks);
  }
  query_start[num_seqs] = row;

  const size_t bytes = total * sizeof(int32_t);
  if (device_inputs_.bytes() < bytes) device_inputs_ = backend_.allocate(bytes * 2);
  backend_.copy_to_device(device_inputs_.data(), host_inputs_.data(), bytes);
  auto on_device = [&](const int32_t* p) {
    return static_cast<const int32_t*>(device_inputs_.data()) + (p - host_inputs_.data());
  };
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

std::pair<int, int> ModelRunner::prompt_logprob_rows(const ScheduledSequence& seq) {
  if (!seq.request->params.prompt_logprobs) return {0, 0};
  // Row j (position c + j) scores prompt token c + j + 1, which must exist in the prompt.
  const int c = seq.num_computed_tokens;
  const int last_scoring_position = seq.request->num_prompt_tokens() - 2;
  const int count = std::min(seq.num_scheduled_tokens(), last_scoring_position - c + 1);
  return {0, std::max(count, 0)};
}

RandomGenerator& ModelRunner::random_stream(const ScheduledSequence& seq) {
  const Request& request = *seq.request;
  SequenceState& state = sequences_.at(seq.seq_id);
  if (const auto& seed = request.params.sampling.seed) {
    // A seeded stream is a pure function of (seed, tokens sampled so far): each non-greedy
    // sample takes one double (two 32-bit words), so resuming after preemption is exact.
    if (!state.rng) state.rng.emplace(*seed);
    state.rng->seek(uint64_t(2) * uint64_t(request.num_output_tokens()));
  } else if (!state.rng) {
    state.rng.emplace(RandomGenerator::from_entropy());
  }
  return *state.rng;
}

std::vector<int32_t> ModelRunner::suppressed_ids(const Request& request) const {
  // Before min_tokens, EOS (unless ignore_eos) and stop tokens are masked so that the output
  // really has min_tokens tokens before a stop (vLLM's rule; stop_conditions.h is the backstop).
  std::vector<int32_t> suppressed;
  if (request.num_output_tokens() < request.params.min_tokens) {
    if (!request.params.ignore_eos) suppressed = model_.config().eos_token_ids;
    const std::vector<int32_t>& stop_ids = request.params.stop_token_ids;
    suppressed.insert(suppressed.end(), stop_ids.begin(), stop_ids.end());
  }
  return suppressed;
}

SampledToken ModelRunner::sample(const ScheduledSequence& seq, std::span<const float> logits) {
  const Request& request = *seq.request;
  RandomGenerator& rng = random_stream(seq);
  const std::vector<int32_t> suppressed = suppressed_ids(request);
  const SamplingContext context{request.prompt_token_ids(), request.output_token_ids(), suppressed};
  const SampleResult r = sampler_.sample(logits, request.params.sampling, context, rng);
  return {r.token, r.logprob, r.top_logprobs};
}

static_assert(kMaxLogprobs <= kMaxDeviceLogprobs, "a device sampler must return every logprob a request may ask for");

void ModelRunner::sample_on_device(const SchedulerOutput& output, const Tensor& logits, StepResult& result) {
  device_sampling_.clear();
  for (const ScheduledSequence& seq : output.scheduled) {
    if (!seq.samples_token) continue;
    const Request& request = *seq.request;
    const SamplingParams& params = request.params.sampling;
    // The same single draw the host sampler makes (none when greedy), so a seeded request
    // consumes its stream identically on either path.
    const double uniform = params.is_greedy() ? 0.0 : random_stream(seq).next_double();
    const std::vector<int32_t> suppressed = suppressed_ids(request);
    const SamplingContext context{request.prompt_token_ids(), request.output_token_ids(), suppressed};
    device_sampling_.add_row(params, context, uniform);
  }
  TURBINE_CHECK(int64_t(device_sampling_.rows.size()) == logits.rows, "{} sampling rows for {} rows of logits",
                device_sampling_.rows.size(), logits.rows);
  WaitTimer wait(result.wait_seconds);
  const DeviceSamplingResult r =
      backend_.sample({logits, device_sampling_.rows, device_sampling_.adjustments, device_sampling_.suppressed});
  wait.stop();
  int row = 0;
  for (size_t i = 0; i < output.scheduled.size(); ++i) {
    const ScheduledSequence& seq = output.scheduled[i];
    if (!seq.samples_token) continue;
    const int32_t token = r.tokens[size_t(row)];
    if (token < 0)
      fail("sequence {}: the model produced no finite logit to sample from (NaN or infinite activations)", seq.seq_id);
    SampledToken& s = result.samples[i];
    s.token = token;
    s.logprob = r.logprobs[size_t(row)];
    const int wanted = seq.request->params.sampling.logprobs;
    for (int j = 0; j < wanted && !r.top_ids.empty(); ++j) {
      const size_t at = size_t(row) * kMaxDeviceLogprobs + size_t(j);
      if (r.top_ids[at] < 0) break;
      s.top_logprobs.emplace_back(r.top_ids[at], r.top_logprobs[at]);
    }
    result.token_ids[i] = token;
    ++row;
  }
}

StepResult ModelRunner::execute(const SchedulerOutput& output) {
  update_states(output);
  StepResult result;
  result.token_ids.assign(output.scheduled.size(), kNoSampledToken);
  result.samples.resize(output.scheduled.size());
  result.prompt_logprobs.resize(output.scheduled.size());
  if (output.empty()) return result;

  if (!output.block_copies.empty()) {
    std::vector<int32_t> pairs;
    for (const BlockCopy& c : output.block_copies) pairs.insert(pairs.end(), {c.src, c.dst});
    for (KvCacheLayer& layer : kv_.view().layers)
      backend_.copy_kv_blocks(layer, pairs.data(), int(output.block_copies.size()), kv_.block_size());
  }

  const int64_t vocab = model_.config().vocab_size;
  Tensor logits;
  int num_logits = 0;
  result.num_tokens = output.num_scheduled_tokens;
  if (run_decode_graph(output, logits)) {
    num_logits = int(logits.rows);
  } else {
    for (const ScheduledSequence& seq : output.scheduled)
      num_logits += int(seq.samples_token) + prompt_logprob_rows(seq).second;
    const ForwardBatch batch = build_batch(output, num_logits);
    logits = logits_for(num_logits);
    model_.forward(batch, kv_.view(), logits);
  }
  if (num_logits == 0) return result;

  // On a backend that samples, only ids and logprobs come back; a step with prompt_logprobs
  // rows (which need whole rows on the host) takes the host path.
  const bool any_prompt_logprobs = std::any_of(output.scheduled.begin(), output.scheduled.end(),
                                               [](const ScheduledSequence& s) { return prompt_logprob_rows(s).second > 0; });
  if (backend_.supports_sampling() && !any_prompt_logprobs) {
    sample_on_device(output, logits, result);
    return result;
  }

  WaitTimer wait(result.wait_seconds);
  host_logits_.resize(size_t(num_logits) * size_t(vocab));
  backend_.copy_to_host(host_logits_.data(), logits.data, host_logits_.size() * sizeof(float));
  wait.stop();
  int row = 0;
  auto next_row = [&] { return std::span<const float>(host_logits_.data() + size_t(row++) * size_t(vocab), size_t(vocab)); };
  for (size_t i = 0; i < output.scheduled.size(); ++i) {
    const ScheduledSequence& seq = output.scheduled[i];
    const auto [first, count] = prompt_logprob_rows(seq);
    for (int j = 0; j < count; ++j) {
      const std::span<const float> row_logits = next_row();
      const int position = seq.num_computed_tokens + first + j + 1;
      const int32_t token = seq.request->prompt_token_ids()[size_t(position)];
      const LogSoftmaxStats stats = log_softmax_stats(row_logits);
      result.prompt_logprobs[i].push_back({position, token, stats.logprob(row_logits[size_t(token)]),
                                           top_logprobs(row_logits, stats, *seq.request->params.prompt_logprobs)});
    }
    if (!seq.samples_token) continue;
    result.samples[i] = sample(seq, next_row());
    result.token_ids[i] = result.samples[i].token;
  }
  return result;
}

}  // namespace turbine
