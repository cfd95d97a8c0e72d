#include "fake_model.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <span>

namespace turbine::testing {
namespace {

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 33);
}

uint64_t hash_string(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// fingerprints[p]: the fake K/V of position p, a function of tokens [0, p] and the extra keys.
std::vector<uint64_t> fingerprints(const Request& request, std::span<const int32_t> tokens) {
  uint64_t h = 0x12345;
  for (uint64_t key : request.params.cache_extra_keys) h = mix(h, key);
  std::vector<uint64_t> out;
  out.reserve(tokens.size());
  for (const int32_t token : tokens) {
    h = mix(h, uint64_t(uint32_t(token)));
    out.push_back(h | 1);  // never 0, which means "never written"
  }
  return out;
}

int32_t token_for(const std::string& id, int sample_index, int position) {
  return int32_t(100 + mix(mix(hash_string(id), uint64_t(sample_index)), uint64_t(position)) % 1000);
}

}  // namespace

int32_t default_next_token(const Request& request, int position) {
  return token_for(request.id, request.sample_index, position);
}

std::vector<int32_t> expected_output(const std::string& id, int sample_index, int prompt_len, int num_tokens) {
  std::vector<int32_t> out;
  for (int k = 0; k < num_tokens; ++k) out.push_back(token_for(id, sample_index, prompt_len + k));
  return out;
}

std::vector<int32_t> make_prompt(int length, uint32_t seed) {
  std::vector<int32_t> prompt;
  for (int i = 0; i < length; ++i) prompt.push_back(int32_t(1000 + mix(seed, uint64_t(i)) % 29000));
  return prompt;
}

FakeModel::FakeModel(const Scheduler& scheduler, int num_blocks, int block_size, TokenFn token_fn)
    : scheduler_(scheduler),
      num_blocks_(num_blocks),
      block_size_(block_size),
      token_fn_(std::move(token_fn)),
      kv_(size_t(num_blocks) * size_t(block_size), 0) {}

StepTokens FakeModel::step(const SchedulerOutput& output) {
  for (SeqId id : output.finished_seq_ids) rows_.erase(id);
  for (SeqId id : output.preempted_seq_ids) rows_.erase(id);
  for (const BlockCopy& copy : output.block_copies) {
    EXPECT_NE(copy.src, copy.dst);
    for (int o = 0; o < block_size_; ++o) slot(copy.dst, o) = slot(copy.src, o);
  }

  StepTokens sampled;
  sampled.reserve(output.scheduled.size(), output.scheduled.size());
  std::unordered_map<SeqId, int32_t> sampled_now;  // this step's "device" copy of its samples
  for (const ScheduledSequence& entry : output.scheduled) {
    // Ended since the step was scheduled (an abort, or a stop found by the update of the step
    // before it): the engine ignores its result.
    const Request* live = scheduler_.find_sequence(entry.seq_id);
    if (live == nullptr) {
      sampled.end_sequence();
      continue;
    }
    const Request& request = *live;
    SCOPED_TRACE(::testing::Message() << "request " << request.id << "#" << request.sample_index << " (seq "
                                      << entry.seq_id << ")");
    // The row protocol.
    if (entry.is_new) {
      EXPECT_FALSE(rows_.contains(entry.seq_id)) << "a new sequence the runner still has a row for";
      EXPECT_EQ(entry.block_table.kind, BlockTableUpdate::Kind::kReplace);
      // The plan says, once, what the sequence is: its prompt, the output it has, its parameters.
      EXPECT_TRUE(entry.new_sequence >= 0 && size_t(entry.new_sequence) < output.new_sequences.size());
      if (entry.new_sequence >= 0 && size_t(entry.new_sequence) < output.new_sequences.size()) {
        const NewSequence& fresh = output.new_sequence(entry);
        EXPECT_EQ(fresh.seq_id, entry.seq_id);
        EXPECT_EQ(fresh.sample_index, request.sample_index);
        EXPECT_TRUE(std::ranges::equal(fresh.prompt_token_ids, request.prompt_token_ids()));
        EXPECT_TRUE(std::ranges::equal(fresh.output_token_ids, request.output_token_ids()));
        EXPECT_EQ(fresh.params.sampling.seed, request.params.sampling.seed);
        EXPECT_EQ(fresh.params.min_tokens, request.params.min_tokens);
      }
    } else {
      EXPECT_EQ(entry.new_sequence, -1);
      EXPECT_TRUE(rows_.contains(entry.seq_id)) << "a running sequence the runner has no row for";
    }
    std::vector<BlockId>& table = rows_[entry.seq_id];
    switch (entry.block_table.kind) {
      case BlockTableUpdate::Kind::kReplace: table.assign(output.blocks(entry).begin(), output.blocks(entry).end()); break;
      case BlockTableUpdate::Kind::kAppend:
        table.insert(table.end(), output.blocks(entry).begin(), output.blocks(entry).end());
        break;
    }
    // With a sliding window, blocks wholly before the first query's window may be released (null).
    const int window = scheduler_.kv_cache().config().sliding_window;
    const int first_read = window > 0 ? std::max(entry.num_computed_tokens - window + 1, 0) : 0;
    for (size_t b = 0; b < table.size(); ++b) {
      const bool may_be_released = int(b + 1) * block_size_ <= first_read;
      EXPECT_TRUE((table[b] > kNullBlockId || may_be_released) && table[b] < num_blocks_)
          << "block " << table[b] << " at index " << b;
    }

    // The tokens to run are the request's own; a step scheduled ahead ends with the token the
    // previous step sampled, which this fake feeds from its record of that step, as a runner
    // feeds it from device memory; a step with drafts ends with them.
    const int start = entry.num_computed_tokens;
    const int end = start + entry.num_scheduled_tokens();
    const int num_drafts = entry.num_draft_tokens;
    EXPECT_GT(entry.num_scheduled_tokens(), 0);
    EXPECT_TRUE(num_drafts == 0 || (entry.samples_token && !entry.last_token_in_flight));
    std::vector<int32_t> tokens(request.all_token_ids().begin(), request.all_token_ids().end());
    const std::span<const int32_t> scheduled_tokens = output.tokens(entry);
    EXPECT_EQ(entry.last_token_in_flight, !scheduled_tokens.empty() && scheduled_tokens.back() == kInFlightToken);
    if (entry.last_token_in_flight) {
      const auto fed = device_tokens_.find(entry.seq_id);
      EXPECT_NE(fed, device_tokens_.end()) << "an in-flight token the previous step did not sample";
      EXPECT_EQ(end, request.num_tokens() + 1) << "the in-flight token is not the next one";
      tokens.push_back(fed == device_tokens_.end() ? 0 : fed->second);
    }
    if (num_drafts > 0) {
      EXPECT_EQ(end - num_drafts, request.num_tokens()) << "drafts do not follow the last token";
      const auto drafts = scheduled_tokens.last(size_t(num_drafts));
      tokens.insert(tokens.end(), drafts.begin(), drafts.end());
    }
    EXPECT_LE(end, int(tokens.size()));
    if (end > int(tokens.size())) {
      sampled.end_sequence();
      continue;
    }
    EXPECT_TRUE(std::equal(scheduled_tokens.begin(), scheduled_tokens.end(), tokens.begin() + start,
                           [](int32_t scheduled, int32_t own) { return scheduled == kInFlightToken || scheduled == own; }));
    // This step's own sample counts as planned already.
    if (entry.samples_token) {
      EXPECT_EQ(end - num_drafts + 1, request.num_planned_tokens());
    } else {
      EXPECT_LT(end, request.num_planned_tokens());
    }
    EXPECT_GE(int(table.size()) * block_size_, end) << "block table too short";
    if (int(table.size()) * block_size_ < end) {
      sampled.end_sequence();
      continue;
    }

    // Write, then attend over every position some query of the step reads (all of them without a
    // window; from the first query's window start with one).
    const std::vector<uint64_t> expected = fingerprints(request, std::span(tokens).first(size_t(end)));
    for (int p = start; p < end; ++p) slot(table[size_t(p / block_size_)], p % block_size_) = expected[size_t(p)];
    int mismatches = 0;
    for (int p = first_read; p < end; ++p)
      if (slot(table[size_t(p / block_size_)], p % block_size_) != expected[size_t(p)]) ++mismatches;
    EXPECT_EQ(mismatches, 0) << "positions whose K/V belongs to another prefix (context " << end << ")";

    if (entry.samples_token) {
      // Verify the drafts as a runner does: the token at each position is the model's own; keep
      // them while the drafts agree, then the first that differs (or the one after the last draft).
      const int known = end - num_drafts;
      for (int j = 0; j <= num_drafts; ++j) {
        const int32_t token = token_fn_(request, known + j);
        sampled.add(token);
        sampled_now[entry.seq_id] = token;
        if (j < num_drafts && token != tokens[size_t(known + j)]) break;
      }
      if (num_drafts > 0) sampled_now.erase(entry.seq_id);  // never fed: nothing is scheduled ahead of it
    }
    sampled.end_sequence();
  }
  device_tokens_ = std::move(sampled_now);
  return sampled;
}

void check_step_invariants(const SchedulerOutput& output, const SchedulerConfig& config) {
  int total = 0;
  std::set<SeqId> seen;
  for (const ScheduledSequence& entry : output.scheduled) {
    total += entry.num_scheduled_tokens();
    EXPECT_TRUE(seen.insert(entry.seq_id).second) << "sequence " << entry.seq_id << " scheduled twice";
    if (config.long_prefill_token_threshold > 0) {
      EXPECT_LE(entry.num_scheduled_tokens(), config.long_prefill_token_threshold);
    }
  }
  EXPECT_EQ(total, output.num_scheduled_tokens);
  EXPECT_LE(output.num_scheduled_tokens, config.max_num_batched_tokens);
  EXPECT_LE(int(output.scheduled.size()), config.max_num_seqs);
}


namespace {

struct OutputKeys {
  std::mutex mutex;
  std::unordered_map<std::string, uint64_t> by_id;
  std::deque<std::string> ids;  // ids[key - 1]; a deque keeps the strings in place
};

OutputKeys& output_keys() {
  static OutputKeys keys;
  return keys;
}

}  // namespace

uint64_t output_key_for_id(const std::string& id) {
  OutputKeys& keys = output_keys();
  std::lock_guard lock(keys.mutex);
  const auto [it, added] = keys.by_id.emplace(id, keys.ids.size() + 1);
  if (added) keys.ids.push_back(id);
  return it->second;
}

const std::string& id_of_output_key(uint64_t key) {
  static const std::string unknown = "?";
  OutputKeys& keys = output_keys();
  std::lock_guard lock(keys.mutex);
  EXPECT_TRUE(key >= 1 && key <= keys.ids.size()) << "a delta with an output key no request had: " << key;
  return key >= 1 && key <= keys.ids.size() ? keys.ids[size_t(key - 1)] : unknown;
}

void fold_deltas(const std::vector<RequestDelta>& deltas, const StepTokens& sampled, RunResults& results) {
  for (const RequestDelta& delta : deltas) {
    const std::string& id = id_of_output_key(delta.output_key);
    SampleResult& result = results[{id, delta.sample_index}];
    EXPECT_FALSE(result.finish_reason.has_value()) << id << " got a delta after finishing";
    EXPECT_LE(size_t(delta.token_begin + delta.num_new_tokens), sampled.ids.size());
    for (int t = 0; t < delta.num_new_tokens; ++t) result.tokens.push_back(sampled.ids[size_t(delta.token_begin + t)]);
    EXPECT_EQ(int(result.tokens.size()), delta.num_output_tokens);
    result.finish_reason = delta.finish_reason;
    result.stop_token_id = delta.stop_token_id;
    result.num_cached_tokens = delta.num_cached_tokens;
    ++result.num_deltas;
  }
}

SchedulerOutput drive_step(Scheduler& scheduler, FakeModel& model, RunResults& results) {
  SchedulerOutput output = scheduler.schedule();
  check_step_invariants(output, scheduler.config());
  const StepTokens sampled = model.step(output);
  fold_deltas(scheduler.update_from_output(output, sampled), sampled, results);
  return output;
}

void run_to_completion(Scheduler& scheduler, FakeModel& model, RunResults& results, int max_steps,
                       const std::function<void(const SchedulerOutput&)>& on_step, bool ahead,
                       const std::function<void(Scheduler&)>& between_steps) {
  struct InFlight {
    SchedulerOutput output;
    StepTokens sampled;
  };
  std::optional<InFlight> in_flight;
  auto finish_in_flight = [&] {
    fold_deltas(scheduler.update_from_output(in_flight->output, in_flight->sampled), in_flight->sampled, results);
    if (on_step && !in_flight->output.empty()) on_step(in_flight->output);
    in_flight.reset();
    if (between_steps) between_steps(scheduler);
  };
  int steps = 0;
  while (scheduler.has_unfinished_requests() || in_flight) {
    if (::testing::Test::HasFatalFailure()) {
      if (in_flight) finish_in_flight();
      break;
    }
    if (in_flight && !scheduler.can_schedule_ahead()) {
      finish_in_flight();
      continue;
    }
    if (++steps > max_steps) {
      ADD_FAILURE() << "still unfinished after " << max_steps << " steps";
      if (in_flight) finish_in_flight();
      break;
    }
    InFlight next{scheduler.schedule(), {}};
    check_step_invariants(next.output, scheduler.config());
    next.sampled = model.step(next.output);
    if (in_flight) finish_in_flight();
    in_flight = std::move(next);
    // An empty step has nothing to overlap: the engine updates it at once too.
    if (!ahead || in_flight->output.empty()) finish_in_flight();
  }
}

}  // namespace turbine::testing
