#include "bench/datasets/random_dataset.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "bench/datasets/exact_length_prompt.h"
#include "common/error.h"

namespace turbine::bench {

std::vector<SampleRequest> make_random_dataset(const Tokenizer& tokenizer, const DatasetOptions& o) {
  std::mt19937_64 rng(o.seed);
  const std::vector<int32_t> pool = ordinary_token_ids(tokenizer);
  if (pool.empty()) fail("the tokenizer has no ordinary tokens to make random prompts from");
  const int special = num_special_tokens_added(tokenizer);
  const int prefix_len = *o.prefix_len;
  // The special tokens the server adds count towards --input-len (vLLM: input_len - num_special).
  const int text_len = std::max(1, *o.input_len - special);
  const int input_low = std::max(1, int(std::floor(text_len * (1 - o.range_ratio))));
  const int input_high = std::max(input_low, int(std::ceil(text_len * (1 + o.range_ratio))));
  const int output_low = std::max(1, int(std::floor(*o.output_len * (1 - o.range_ratio))));
  const int output_high = std::max(output_low, int(std::ceil(*o.output_len * (1 + o.range_ratio))));

  std::uniform_int_distribution<size_t> any_token(0, pool.size() - 1);
  std::vector<int32_t> prefix(static_cast<size_t>(prefix_len));
  for (int32_t& id : prefix) id = pool[any_token(rng)];
  std::uniform_int_distribution<int> input_len(input_low, input_high), output_len(output_low, output_high);
  std::vector<int> input_lens(size_t(o.num_prompts)), output_lens(size_t(o.num_prompts));
  std::vector<size_t> offsets(size_t(o.num_prompts));
  for (int& n : input_lens) n = input_len(rng);
  for (int& n : output_lens) n = output_len(rng);
  for (size_t& n : offsets) n = any_token(rng);

  std::vector<SampleRequest> requests;
  requests.reserve(size_t(o.num_prompts));
  for (size_t i = 0; i < size_t(o.num_prompts); ++i) {
    std::vector<int32_t> ids = prefix;
    for (int k = 0; k < input_lens[i]; ++k) ids.push_back(pool[(offsets[i] + i + size_t(k)) % pool.size()]);
    ExactPrompt p = decode_to_length(tokenizer, std::move(ids), prefix_len + input_lens[i], pool, rng);
    SampleRequest r;
    r.prompt = std::move(p.text);
    r.prompt_len = int(p.ids.size());
    r.prompt_ids = std::move(p.ids);
    r.expected_output_len = output_lens[i];
    requests.push_back(std::move(r));
  }
  return requests;
}

}  // namespace turbine::bench
