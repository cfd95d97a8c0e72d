// UnigramModel: SentencePiece's unigram language model, as Hugging Face's `Unigram` runs it.
//
// tokenize() finds the most probable segmentation with Viterbi over the lattice of vocabulary
// entries (a trie prefix search at each character). A character no entry covers gets the unk
// score (lowest score minus 10); consecutive unknown characters are fused into one unk piece,
// which byte_fallback then turns into <0xXX> tokens when all of them exist, else the unk id.
// Ties keep the earliest-found path, matching Hugging Face. Stateless, so thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/byte_trie.h"
#include "tokenizer/model.h"
#include "tokenizer/vocabulary.h"

namespace turbine::tokenizer {

class UnigramModel final : public Model {
 public:
  // `pieces` are (token, log probability) in id order.
  UnigramModel(const std::vector<std::pair<std::string, double>>& pieces,
               std::optional<int32_t> unk_id, bool byte_fallback, std::string_view where);

  static std::unique_ptr<UnigramModel> from_json(const Json& config, std::string_view where);

  void tokenize(std::string_view word, std::vector<int32_t>& ids) const override;
  std::optional<int32_t> token_to_id(std::string_view token) const override {
    return vocabulary_.find(token);
  }
  const std::string* id_to_token(int32_t id) const override { return vocabulary_.token(id); }
  int32_t id_limit() const override { return vocabulary_.id_limit(); }
  size_t size() const override { return vocabulary_.size(); }

 private:
  Vocabulary vocabulary_;
  std::vector<double> scores_;
  ByteTrie trie_;
  int32_t unk_id_ = -1;
  bool byte_fallback_ = false;
  double unk_score_ = 0;
  std::string where_;
};

}  // namespace turbine::tokenizer
