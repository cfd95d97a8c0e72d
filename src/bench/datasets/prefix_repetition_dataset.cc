#include "bench/datasets/prefix_repetition_dataset.h"

#include <algorithm>
#include <random>

#include "bench/datasets/exact_length_prompt.h"
#include "common/error.h"

namespace turbine::bench {

std::vector<SampleRequest> make_prefix_repetition_dataset(const Tokenizer& tokenizer, const DatasetOptions& o) {
  std::mt19937_64 rng(o.seed);
  const std::vector<int32_t> pool = ordinary_token_ids(tokenizer);
  if (pool.empty()) fail("the tokenizer has no ordinary tokens to make random prompts from");
  std::uniform_int_distribution<size_t> any_token(0, pool.size() - 1);
  auto random_ids = [&](int n) {
    std::vector<int32_t> ids(static_cast<size_t>(n));
    for (int32_t& id : ids) id = pool[any_token(rng)];
    return ids;
  };
  // Each prefix is made to round-trip on its own first, so every request of a group starts with
  // the same tokens (what the prefix cache can reuse).
  std::vector<std::vector<int32_t>> prefixes;
  for (int p = 0; p < o.num_prefixes; ++p) {
    const ExactPrompt prefix = decode_to_length(tokenizer, random_ids(*o.prefix_len), *o.prefix_len, pool, rng);
    prefixes.push_back(tokenizer.encode(prefix.text, false));
  }
  std::vector<SampleRequest> requests;
  for (int i = 0; i < o.num_prompts; ++i) {
    std::vector<int32_t> ids = prefixes[size_t(i % o.num_prefixes)];
    const std::vector<int32_t> suffix = random_ids(*o.input_len);
    ids.insert(ids.end(), suffix.begin(), suffix.end());
    const int target = *o.prefix_len + *o.input_len;
    ExactPrompt p = decode_to_length(tokenizer, std::move(ids), target, pool, rng);
    SampleRequest r;
    r.prompt = std::move(p.text);
    r.prompt_len = int(p.ids.size());
    r.prompt_ids = std::move(p.ids);
    r.expected_output_len = *o.output_len;
    requests.push_back(std::move(r));
  }
  std::shuffle(requests.begin(), requests.end(), rng);
  return requests;
}

}  // namespace turbine::bench
