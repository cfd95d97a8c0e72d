#include "engine/scheduler/step_plan_codec.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#include "common/error.h"

namespace turbine {
namespace {

constexpr uint32_t kMagic = 0x54504c4e;  // "TPLN"
constexpr uint32_t kVersion = 3;  // 2: RequestParams::structured and bad_words_token_ids; 3: allowed_token_ids

// A tripwire: a field added to the plan must be added to the codec (and its round-trip test).
// These are the sizes on x86-64 Linux with GCC/Clang, the only targets; update them with the codec.
static_assert(sizeof(ScheduledSequence) == 56, "ScheduledSequence changed: update the step plan codec");
static_assert(sizeof(NewSequence) == 376, "NewSequence changed: update the step plan codec");
static_assert(sizeof(RequestParams) == 312, "RequestParams changed: update the step plan codec");
static_assert(sizeof(SamplingParams) == 96, "SamplingParams changed: update the step plan codec");
static_assert(sizeof(SchedulerOutput) == 184, "SchedulerOutput changed: update the step plan codec");

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) { out_.clear(); }
  template <typename T>
  void put(const T& value) {
    static_assert(std::is_trivially_copyable_v<T>);
    const auto* p = reinterpret_cast<const uint8_t*>(&value);
    out_.insert(out_.end(), p, p + sizeof(T));
  }
  template <typename T>
  void put_vector(const std::vector<T>& values) {
    static_assert(std::is_trivially_copyable_v<T>);
    put(uint64_t(values.size()));
    const auto* p = reinterpret_cast<const uint8_t*>(values.data());
    out_.insert(out_.end(), p, p + values.size() * sizeof(T));
  }
  template <typename T>
  void put_optional(const std::optional<T>& value) {
    put(uint8_t(value.has_value()));
    if (value) put(*value);
  }

 private:
  std::vector<uint8_t>& out_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable_v<T>);
    need(sizeof(T));
    T value;
    std::memcpy(&value, in_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  template <typename T>
  std::vector<T> get_vector() {
    const uint64_t count = get<uint64_t>();
    if (count > (in_.size() - at_) / sizeof(T)) fail("step plan: a list of {} entries runs past the message", count);
    std::vector<T> values(count);
    std::memcpy(values.data(), in_.data() + at_, count * sizeof(T));
    at_ += count * sizeof(T);
    return values;
  }
  template <typename T>
  std::optional<T> get_optional() {
    if (get<uint8_t>() == 0) return std::nullopt;
    return get<T>();
  }
  bool done() const { return at_ == in_.size(); }
  size_t remaining() const { return in_.size() - at_; }

 private:
  void need(size_t bytes) const {
    if (bytes > in_.size() - at_) fail("step plan: the message ends {} bytes early", bytes - (in_.size() - at_));
  }
  std::span<const uint8_t> in_;
  size_t at_ = 0;
};

void put_params(Writer& w, const RequestParams& p) {
  const SamplingParams& s = p.sampling;
  w.put(s.temperature);
  w.put(s.top_k);
  w.put(s.top_p);
  w.put(s.min_p);
  w.put_optional(s.seed);
  w.put(s.logprobs);
  w.put(s.presence_penalty);
  w.put(s.frequency_penalty);
  w.put(s.repetition_penalty);
  w.put(uint64_t(s.logit_bias.size()));
  for (const auto& [id, bias] : s.logit_bias) {
    w.put(id);
    w.put(bias);
  }
  w.put(p.max_tokens);
  w.put(p.min_tokens);
  w.put(uint8_t(p.ignore_eos));
  w.put_vector(p.stop_token_ids);
  w.put(uint64_t(p.bad_words_token_ids.size()));
  for (const std::vector<int32_t>& word : p.bad_words_token_ids) w.put_vector(word);
  w.put_vector(p.allowed_token_ids);
  w.put(p.priority);
  w.put(p.n);
  w.put_optional(p.prompt_logprobs);
  w.put_vector(p.cache_extra_keys);
  w.put(uint8_t(p.structured.has_value()));
  if (p.structured) {
    w.put(uint8_t(p.structured->kind));
    w.put(uint8_t(p.structured->any_whitespace));
    w.put_vector(std::vector<char>(p.structured->source.begin(), p.structured->source.end()));
    w.put_vector(std::vector<char>(p.structured->reasoning_end.begin(), p.structured->reasoning_end.end()));
  }
}

RequestParams get_params(Reader& r) {
  RequestParams p;
  SamplingParams& s = p.sampling;
  s.temperature = r.get<float>();
  s.top_k = r.get<int>();
  s.top_p = r.get<float>();
  s.min_p = r.get<float>();
  s.seed = r.get_optional<uint64_t>();
  s.logprobs = r.get<int>();
  s.presence_penalty = r.get<float>();
  s.frequency_penalty = r.get<float>();
  s.repetition_penalty = r.get<float>();
  const uint64_t num_bias = r.get<uint64_t>();
  for (uint64_t i = 0; i < num_bias; ++i) {
    const int32_t id = r.get<int32_t>();
    s.logit_bias[id] = r.get<float>();
  }
  p.max_tokens = r.get<int>();
  p.min_tokens = r.get<int>();
  p.ignore_eos = r.get<uint8_t>() != 0;
  p.stop_token_ids = r.get_vector<int32_t>();
  const uint64_t num_bad_words = r.get<uint64_t>();
  // Each entry takes at least its 8-byte length, which bounds a corrupt count before allocating.
  if (num_bad_words > r.remaining() / sizeof(uint64_t))
    fail("step plan: {} bad words run past the message", num_bad_words);
  p.bad_words_token_ids.resize(num_bad_words);
  for (std::vector<int32_t>& word : p.bad_words_token_ids) word = r.get_vector<int32_t>();
  p.allowed_token_ids = r.get_vector<int32_t>();
  p.priority = r.get<int>();
  p.n = r.get<int>();
  p.prompt_logprobs = r.get_optional<int>();
  p.cache_extra_keys = r.get_vector<uint64_t>();
  if (r.get<uint8_t>() != 0) {
    structured::ConstraintSpec c;
    const uint8_t kind = r.get<uint8_t>();
    if (kind > uint8_t(structured::ConstraintKind::kGrammar)) fail("step plan: constraint kind {} is unknown", kind);
    c.kind = structured::ConstraintKind(kind);
    c.any_whitespace = r.get<uint8_t>() != 0;
    const std::vector<char> source = r.get_vector<char>();
    c.source.assign(source.begin(), source.end());
    const std::vector<char> reasoning_end = r.get_vector<char>();
    c.reasoning_end.assign(reasoning_end.begin(), reasoning_end.end());
    p.structured = std::move(c);
  }
  return p;
}

}  // namespace

void encode_step_plan(const SchedulerOutput& plan, std::vector<uint8_t>& bytes) {
  Writer w(bytes);
  w.put(kMagic);
  w.put(kVersion);
  w.put(plan.step_id);
  w.put(uint64_t(plan.scheduled.size()));
  for (const ScheduledSequence& s : plan.scheduled) {
    w.put(s.seq_id);
    w.put(uint8_t(s.is_new));
    w.put(s.new_sequence);
    w.put(s.num_computed_tokens);
    w.put(s.token_begin);
    w.put(s.num_tokens);
    w.put(uint8_t(s.last_token_in_flight));
    w.put(uint8_t(s.block_table.kind));
    w.put(s.block_table.block_begin);
    w.put(s.block_table.num_blocks);
    w.put(uint8_t(s.samples_token));
    w.put(s.num_draft_tokens);
    w.put(s.num_prior_output_tokens);
  }
  w.put(plan.num_scheduled_tokens);
  w.put(plan.num_prompt_tokens);
  w.put(uint64_t(plan.new_sequences.size()));
  for (const NewSequence& n : plan.new_sequences) {
    w.put(n.seq_id);
    w.put(n.sample_index);
    w.put_vector(n.prompt_token_ids);
    w.put_vector(n.output_token_ids);
    put_params(w, n.params);
  }
  w.put_vector(plan.token_ids);
  w.put_vector(plan.block_ids);
  w.put_vector(plan.block_copies);
  w.put_vector(plan.finished_seq_ids);
  w.put_vector(plan.preempted_seq_ids);
}

SchedulerOutput decode_step_plan(std::span<const uint8_t> bytes) {
  Reader r(bytes);
  if (r.get<uint32_t>() != kMagic) fail("step plan: not a step plan message");
  if (const uint32_t version = r.get<uint32_t>(); version != kVersion)
    fail("step plan: version {}, this build reads {}", version, kVersion);
  SchedulerOutput plan;
  plan.step_id = r.get<uint64_t>();
  const uint64_t num_scheduled = r.get<uint64_t>();
  if (num_scheduled > bytes.size()) fail("step plan: {} sequences in a {}-byte message", num_scheduled, bytes.size());
  plan.scheduled.resize(num_scheduled);
  for (ScheduledSequence& s : plan.scheduled) {
    s.seq_id = r.get<SeqId>();
    s.is_new = r.get<uint8_t>() != 0;
    s.new_sequence = r.get<int>();
    s.num_computed_tokens = r.get<int>();
    s.token_begin = r.get<int>();
    s.num_tokens = r.get<int>();
    s.last_token_in_flight = r.get<uint8_t>() != 0;
    const uint8_t kind = r.get<uint8_t>();
    if (kind > uint8_t(BlockTableUpdate::Kind::kAppend)) fail("step plan: block table update kind {}", kind);
    s.block_table.kind = BlockTableUpdate::Kind(kind);
    s.block_table.block_begin = r.get<int>();
    s.block_table.num_blocks = r.get<int>();
    s.samples_token = r.get<uint8_t>() != 0;
    s.num_draft_tokens = r.get<int>();
    s.num_prior_output_tokens = r.get<int>();
  }
  plan.num_scheduled_tokens = r.get<int>();
  plan.num_prompt_tokens = r.get<int>();
  const uint64_t num_new = r.get<uint64_t>();
  if (num_new > bytes.size()) fail("step plan: {} new sequences in a {}-byte message", num_new, bytes.size());
  plan.new_sequences.resize(num_new);
  for (NewSequence& n : plan.new_sequences) {
    n.seq_id = r.get<SeqId>();
    n.sample_index = r.get<int>();
    n.prompt_token_ids = r.get_vector<int32_t>();
    n.output_token_ids = r.get_vector<int32_t>();
    n.params = get_params(r);
  }
  plan.token_ids = r.get_vector<int32_t>();
  plan.block_ids = r.get_vector<BlockId>();
  plan.block_copies = r.get_vector<BlockCopy>();
  plan.finished_seq_ids = r.get_vector<SeqId>();
  plan.preempted_seq_ids = r.get_vector<SeqId>();
  if (!r.done()) fail("step plan: trailing bytes after the plan");
  // Every range an entry names must lie in the plan's arrays (a runner indexes them unchecked).
  for (const ScheduledSequence& s : plan.scheduled) {
    const bool tokens_ok = s.token_begin >= 0 && s.num_tokens >= 0 &&
                           size_t(s.token_begin) + size_t(s.num_tokens) <= plan.token_ids.size();
    const bool blocks_ok = s.block_table.block_begin >= 0 && s.block_table.num_blocks >= 0 &&
                           size_t(s.block_table.block_begin) + size_t(s.block_table.num_blocks) <= plan.block_ids.size();
    const bool new_ok = !s.is_new || (s.new_sequence >= 0 && size_t(s.new_sequence) < plan.new_sequences.size());
    const bool drafts_ok = s.num_draft_tokens >= 0 && s.num_draft_tokens < std::max(s.num_tokens, 1);
    if (!tokens_ok || !blocks_ok || !new_ok || !drafts_ok)
      fail("step plan: sequence {} names ranges outside the plan", s.seq_id);
  }
  return plan;
}

}  // namespace turbine
