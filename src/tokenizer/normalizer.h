// Normalizers: the text rewriting step that runs on each piece of input between added tokens.
//
// Turbine only needs token ids, not offsets, so a normalizer is a plain string-to-string
// function (Hugging Face also tracks an alignment per byte; we skip that cost). Input and
// output are valid UTF-8. Implementations are immutable and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "tokenizer/json_fields.h"

namespace turbine::tokenizer {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(std::string& text) const = 0;
};

// Builds a normalizer from its tokenizer.json object. Supported types: NFC, NFD, NFKC, NFKD,
// Lowercase, Strip, StripAccents, Replace, Prepend, Append, ByteLevel, BertNormalizer, Nmt,
// Sequence. Anything else is a turbine::Error naming the type.
std::unique_ptr<Normalizer> make_normalizer(const Json& config, std::string_view where);

}  // namespace turbine::tokenizer
