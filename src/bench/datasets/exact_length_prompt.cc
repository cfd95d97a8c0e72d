#include "bench/datasets/exact_length_prompt.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace turbine::bench {

std::vector<int32_t> ordinary_token_ids(const Tokenizer& tokenizer) {
  std::vector<int32_t> ids;
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id)
    if (tokenizer.is_valid_id(id) && !tokenizer.is_special(id)) ids.push_back(id);
  return ids;
}

int num_special_tokens_added(const Tokenizer& tokenizer) {
  const std::string probe = "hello";
  return int(tokenizer.encode(probe, true).size()) - int(tokenizer.encode(probe, false).size());
}

namespace {

// A short string that adds exactly one token to the end of any text: a new word, so it cannot
// merge with what comes before it in a tokenizer that splits words at spaces.
std::optional<std::string> one_token_filler(const Tokenizer& tokenizer) {
  for (const char* candidate : {" a", " the", " x", " I", "."}) {
    bool ok = true;
    for (const char* before : {"word", "word.", "\xef\xbf\xbd", "1"}) {
      const std::string base = before;
      if (tokenizer.encode(base + candidate, false).size() != tokenizer.encode(base, false).size() + 1) ok = false;
    }
    if (ok) return std::string(candidate);
  }
  return std::nullopt;
}

}  // namespace

ExactPrompt decode_to_length(const Tokenizer& tokenizer, std::vector<int32_t> ids, int target,
                             std::span<const int32_t> pool, std::mt19937_64& rng, int max_rounds) {
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  std::string best_text;
  size_t best_distance = SIZE_MAX;
  for (int round = 0; round <= max_rounds; ++round) {
    std::string text = tokenizer.decode(ids, /*skip_special_tokens=*/false);
    ids = tokenizer.encode(text, /*add_special_tokens=*/false);
    const size_t distance = size_t(std::abs(int(ids.size()) - target));
    if (distance < best_distance) {
      best_distance = distance;
      best_text = std::move(text);
    }
    if (distance == 0) break;
    if (int(ids.size()) < target) {
      while (int(ids.size()) < target) ids.push_back(pool[pick(rng)]);
    } else {
      ids.resize(size_t(target));
    }
  }
  // vLLM stops here. Random byte-fallback tokens can keep it from converging: a cut through a
  // replacement character's bytes decodes to another replacement character, three tokens again.
  // Then cut back until the text is not too long and top it up a word at a time.
  if (best_distance != 0 && target >= 0) {
    std::vector<int32_t> best_ids = tokenizer.encode(best_text, false);
    size_t cut = std::min(best_ids.size(), size_t(target));
    std::string text;
    size_t count = 0;
    while (true) {
      text = tokenizer.decode(std::span(best_ids).first(cut), false);
      count = tokenizer.encode(text, false).size();
      if (count <= size_t(target) || cut == 0) break;
      --cut;
    }
    if (const std::optional<std::string> filler = one_token_filler(tokenizer)) {
      for (int n = 0; count < size_t(target) && n < 2 * target; ++n) {
        text += *filler;
        count = tokenizer.encode(text, false).size();
      }
    }
    if (size_t(std::abs(int(count) - target)) < best_distance) best_text = std::move(text);
  }
  ExactPrompt out;
  out.ids = tokenizer.encode(best_text, true);
  out.text = std::move(best_text);
  return out;
}

}  // namespace turbine::bench
