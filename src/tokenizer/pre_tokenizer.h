// Pre-tokenizers: cut normalized text into the words the model tokenizes independently.
//
// A pre-tokenizer rewrites a PreTokenized in place (see pre_tokenized.h). Implementations are
// immutable and thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "tokenizer/json_fields.h"
#include "tokenizer/pre_tokenized.h"

namespace turbine::tokenizer {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void pre_tokenize(PreTokenized& pieces) const = 0;
};

// Builds a pre-tokenizer from its tokenizer.json object. Supported types: ByteLevel, Split,
// Digits, Metaspace, Punctuation, Whitespace, WhitespaceSplit, BertPreTokenizer,
// CharDelimiterSplit, Sequence. Anything else is a turbine::Error naming the type.
std::unique_ptr<PreTokenizer> make_pre_tokenizer(const Json& config, std::string_view where);

}  // namespace turbine::tokenizer
