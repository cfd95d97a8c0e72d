// Model: turns one pre-tokenized word into token ids (BPE, Unigram).
//
// Implementations are immutable after loading except for internal caches, which are
// synchronized; tokenize() may be called from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/json_fields.h"

namespace turbine::tokenizer {

class Model {
 public:
  virtual ~Model() = default;

  // Appends the ids of `word` (non-empty valid UTF-8) to `ids`.
  virtual void tokenize(std::string_view word, std::vector<int32_t>& ids) const = 0;

  virtual std::optional<int32_t> token_to_id(std::string_view token) const = 0;
  // The token text of `id`, or nullptr if the model has no such id.
  virtual const std::string* id_to_token(int32_t id) const = 0;
  // One more than the largest id of the model's own vocabulary.
  virtual int32_t id_limit() const = 0;
  // Number of vocabulary entries (Hugging Face's get_vocab_size, which numbers added tokens).
  virtual size_t size() const = 0;
};

// Builds the model from the "model" object of tokenizer.json. Supported types: BPE, Unigram.
// Anything else is a turbine::Error naming the type.
std::unique_ptr<Model> make_model(const Json& config, std::string_view where);

}  // namespace turbine::tokenizer
