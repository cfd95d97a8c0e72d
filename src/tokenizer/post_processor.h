// Post-processors: add the special tokens a model expects around an encoded sequence.
//
// Turbine encodes single sequences only, so a post-processor rewrites one id list. With
// add_special_tokens=false the ids are left alone (Hugging Face's encode(...,
// add_special_tokens=False)). Implementations are immutable and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "tokenizer/json_fields.h"

namespace turbine::tokenizer {

class PostProcessor {
 public:
  virtual ~PostProcessor() = default;
  virtual void process(std::vector<int32_t>& ids, bool add_special_tokens) const = 0;
};

// Builds a post-processor from its tokenizer.json object. Supported types: TemplateProcessing,
// ByteLevel (no effect on ids), RobertaProcessing, BertProcessing, Sequence. Anything else is a
// turbine::Error naming the type.
std::unique_ptr<PostProcessor> make_post_processor(const Json& config, std::string_view where);

}  // namespace turbine::tokenizer
