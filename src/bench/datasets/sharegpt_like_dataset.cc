#include "bench/datasets/sharegpt_like_dataset.h"

#include <algorithm>
#include <cmath>

#include "bench/datasets/exact_length_prompt.h"
#include "bench/datasets/text_corpus.h"
#include "common/error.h"

namespace turbine::bench {

LengthPair draw_sharegpt_lengths(std::mt19937_64& rng) {
  using S = ShareGptShape;
  std::lognormal_distribution<double> input(S::kInputMu, S::kInputSigma), output(S::kOutputMu, S::kOutputSigma);
  while (true) {
    LengthPair p;
    p.input = int(std::min(std::round(input(rng)), 1e6));
    p.output = int(std::min(std::round(output(rng)), 1e6));
    if (p.input >= S::kMinLen && p.output >= S::kMinLen && p.input <= S::kMaxPrompt && p.input + p.output <= S::kMaxTotal)
      return p;
  }
}

std::vector<SampleRequest> make_sharegpt_like_dataset(const Tokenizer& tokenizer, const DatasetOptions& o) {
  std::mt19937_64 rng(o.seed);
  const std::string corpus = o.corpus_file ? read_corpus_file(*o.corpus_file) : std::string(builtin_corpus_text());
  const std::vector<std::string> passages = split_passages(corpus);
  // Each passage encoded once, ending in a paragraph break; a prompt is the tokens of consecutive
  // passages from a random one on (wrapping around), cut to its length.
  std::vector<std::vector<int32_t>> encoded;
  std::vector<int32_t> pool;  // corpus tokens, to extend a prompt that came out short
  for (const std::string& p : passages) {
    encoded.push_back(tokenizer.encode(p + "\n\n", false));
    pool.insert(pool.end(), encoded.back().begin(), encoded.back().end());
  }
  if (pool.empty()) fail("the sharegpt-like corpus has no text");
  const int special = num_special_tokens_added(tokenizer);
  std::uniform_int_distribution<size_t> any_passage(0, encoded.size() - 1);

  std::vector<SampleRequest> requests;
  for (int i = 0; i < o.num_prompts; ++i) {
    const LengthPair lengths = draw_sharegpt_lengths(rng);
    const int text_len = std::max(1, lengths.input - special);
    std::vector<int32_t> ids;
    for (size_t p = any_passage(rng); int(ids.size()) < text_len; p = (p + 1) % encoded.size())
      ids.insert(ids.end(), encoded[p].begin(), encoded[p].end());
    ids.resize(size_t(text_len));
    ExactPrompt prompt = decode_to_length(tokenizer, std::move(ids), text_len, pool, rng);
    SampleRequest r;
    r.prompt = std::move(prompt.text);
    r.prompt_len = int(prompt.ids.size());
    r.prompt_ids = std::move(prompt.ids);
    r.expected_output_len = o.output_len ? *o.output_len : lengths.output;
    requests.push_back(std::move(r));
  }
  return requests;
}

}  // namespace turbine::bench
