// Decoders: turn the token strings of some ids back into text.
//
// Like Hugging Face's decode_chain, a decoder maps a list of token strings to a new list
// (ByteLevel and Fuse join them into one), and the tokenizer concatenates the final list.
// Implementations are immutable and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/json_fields.h"

namespace turbine::tokenizer {

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void decode_chain(std::vector<std::string>& tokens) const = 0;
};

// Builds a decoder from its tokenizer.json object. Supported types: ByteLevel, Replace,
// ByteFallback, Fuse, Strip, Metaspace, BPEDecoder, WordPiece, Sequence. Anything else is a
// turbine::Error naming the type.
std::unique_ptr<Decoder> make_decoder(const Json& config, std::string_view where);

// Parses "<0xAB>" (exactly six characters, hex digits in either case); -1 otherwise.
int parse_byte_token(std::string_view token);

}  // namespace turbine::tokenizer
