#include "runner/generator.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "common/error.h"
#include "runner/kv_cache.h"

namespace turbine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The int32 arrays of one ForwardBatch, staged on the host and copied to the backend.
class StepInputs {
 public:
  StepInputs(Backend& backend, int max_tokens, int max_blocks) : backend_(backend), max_blocks_(max_blocks) {
    device_ = backend.allocate(sizeof(int32_t) * size_t(4 * max_tokens + max_blocks + 8));
  }

  // Tokens [begin, end) of a sequence whose KV starts at slot 0; logits for the last row if asked.
  ForwardBatch build(std::span<const int32_t> tokens, int begin, bool want_logits) {
    const int n = int(tokens.size());
    const int end = begin + n;
    host_.assign(size_t(4 * n + max_blocks_ + 8), 0);
    int32_t* ids = host_.data();
    int32_t* positions = ids + n;
    int32_t* step_lens = positions + n;
    int32_t* slots = step_lens + n;
    int32_t* query_start = slots + n;
    int32_t* seq_lens = query_start + 2;
    int32_t* logits_row = seq_lens + 1;
    int32_t* block_table = logits_row + 1;
    for (int i = 0; i < n; ++i) {
      ids[i] = tokens[i];
      positions[i] = begin + i;
      step_lens[i] = end;
      slots[i] = begin + i;  // block b holds positions [b * block_size, (b + 1) * block_size)
    }
    query_start[0] = 0;
    query_start[1] = n;
    seq_lens[0] = end;
    logits_row[0] = n - 1;
    std::iota(block_table, block_table + max_blocks_, 0);
    backend_.copy_to_device(device_.data(), host_.data(), host_.size() * sizeof(int32_t));

    auto on_device = [&](const int32_t* p) { return static_cast<const int32_t*>(device_.data()) + (p - host_.data()); };
    ForwardBatch b;
    b.num_tokens = n;
    b.token_ids = on_device(ids);
    b.attention.num_seqs = 1;
    b.attention.num_tokens = n;
    b.attention.query_start = on_device(query_start);
    b.attention.seq_lens = on_device(seq_lens);
    b.attention.block_tables = on_device(block_table);
    b.attention.max_blocks_per_seq = max_blocks_;
    b.attention.slot_mapping = on_device(slots);
    b.logits_rows = on_device(logits_row);
    b.num_logits = want_logits ? 1 : 0;
    b.positions_host = positions;
    b.step_lens_host = step_lens;
    return b;
  }

 private:
  Backend& backend_;
  int max_blocks_;
  std::vector<int32_t> host_;
  DeviceBuffer device_;
};

}  // namespace

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
  }
  return "?";
}

Generation Generator::generate(std::span<const int32_t> prompt, const GenerateOptions& options,
                               const std::function<void(const GeneratedToken&)>& on_token) {
  const ModelConfig& config = model_.config();
  const int64_t context = config.context_length();
  if (prompt.empty()) fail("the prompt is empty: give at least one token");
  for (size_t i = 0; i < prompt.size(); ++i)
    if (prompt[i] < 0 || prompt[i] >= config.vocab_size)
      fail("prompt token {} (at index {}) is outside the vocabulary [0, {})", prompt[i], i, config.vocab_size);
  if (int64_t(prompt.size()) >= context)
    fail("the prompt has {} tokens but the model's context length is {} (at least one token must be generated)",
         prompt.size(), context);
  if (options.max_tokens < 1) fail("max tokens must be at least 1, got {}", options.max_tokens);
  if (options.prefill_chunk < 1 || options.block_size < 1) fail("prefill chunk and block size must be positive");
  options.sampling.validate();

  const int prompt_len = int(prompt.size());
  const int max_new = int(std::min<int64_t>(options.max_tokens, context - prompt_len));
  const int total = prompt_len + max_new;
  const int num_blocks = (total + options.block_size - 1) / options.block_size;
  KvCache kv(backend_, config, num_blocks, options.block_size);
  StepInputs inputs(backend_, std::max(options.prefill_chunk, 1), num_blocks);

  DeviceBuffer logits_buffer = backend_.allocate(size_t(config.vocab_size) * dtype_size(backend_.activation_dtype()));
  Tensor logits = logits_buffer.as_tensor(backend_.activation_dtype(), 1, config.vocab_size);
  std::vector<float> host_logits(size_t(config.vocab_size));
  TURBINE_CHECK(backend_.activation_dtype() == DType::kF32, "host sampling expects F32 logits");

  Sampler sampler;
  RandomGenerator rng = RandomGenerator::for_request(options.sampling.seed);
  Generation result;
  result.stats.prompt_tokens = prompt_len;
  const auto start = Clock::now();

  // Prefill in chunks; only the last chunk computes logits.
  for (int begin = 0; begin < prompt_len; begin += options.prefill_chunk) {
    const int n = std::min(options.prefill_chunk, prompt_len - begin);
    const bool last = begin + n == prompt_len;
    ForwardBatch batch = inputs.build(prompt.subspan(begin, n), begin, last);
    model_.forward(batch, kv.view(), logits);
  }

  std::vector<int32_t> next(1);
  Clock::time_point decode_start;
  for (int step = 0; step < max_new; ++step) {
    backend_.copy_to_host(host_logits.data(), logits.data, host_logits.size() * sizeof(float));
    const SampleResult sampled = sampler.sample(host_logits, options.sampling, rng);
    GeneratedToken token{sampled.token, sampled.logprob, sampled.top_logprobs};
    result.tokens.push_back(token);
    if (step == 0) {
      result.stats.prefill_seconds = seconds_since(start);
      decode_start = Clock::now();
    }
    if (on_token) on_token(token);
    const bool is_eos = std::find(config.eos_token_ids.begin(), config.eos_token_ids.end(), token.id) !=
                        config.eos_token_ids.end();
    if (is_eos && !options.ignore_eos) {
      result.finish_reason = FinishReason::kStop;
      break;
    }
    if (step + 1 == max_new) break;  // no forward for a token nobody will sample
    next[0] = token.id;
    ForwardBatch batch = inputs.build(next, prompt_len + step, true);
    model_.forward(batch, kv.view(), logits);
  }
  if (!result.tokens.empty() && result.tokens.size() > 1) result.stats.decode_seconds = seconds_since(decode_start);
  result.stats.generated_tokens = int(result.tokens.size());
  return result;
}

}  // namespace turbine
