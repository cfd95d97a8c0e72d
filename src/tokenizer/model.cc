#include "tokenizer/model.h"

#include "tokenizer/bpe_model.h"
#include "tokenizer/unigram_model.h"

namespace turbine::tokenizer {

std::unique_ptr<Model> make_model(const Json& config, std::string_view where) {
  std::string type;
  if (optional_field(config, "type") != nullptr) {
    type = type_of(config, where);
  } else if (optional_field(config, "merges") != nullptr) {
    type = "BPE";  // old files omit the tag; Hugging Face then recognizes the model by its fields
  } else if (const Json* vocab = optional_field(config, "vocab"); vocab && vocab->is_array()) {
    type = "Unigram";
  } else {
    fail("{}: model has no \"type\"", where);
  }
  const std::string here = fmt::format("{} {}", where, type);
  if (type == "BPE") return BpeModel::from_json(config, here);
  if (type == "Unigram") return UnigramModel::from_json(config, here);
  fail("{}: unsupported model type \"{}\" (supported: BPE, Unigram)", where, type);
}

}  // namespace turbine::tokenizer
