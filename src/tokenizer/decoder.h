// Decoders: turn the token strings of some ids back into text.
//
// Like Hugging Face's decode_chain, a decoder maps a list of token strings to a new list
// (ByteLevel and Fuse join them into one), and the tokenizer concatenates the final list.
// decode_bytes_chain is the same chain in the mode Tokenizer::token_bytes needs: the tokens sit
// in the middle of a longer sequence and bytes are kept raw. Implementations are immutable and
// thread-safe.
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

  // Mid-sequence, lossless bytes: no effect tied to the first or last token of the sequence
  // (Metaspace's and WordPiece's first-token rules, BPEDecoder's last suffix) and no U+FFFD for
  // bytes that are not valid UTF-8 on their own (a token may hold part of a character).
  // `joined` says whether an earlier step joined the list into one string (ByteLevel, Fuse):
  // that string then stands for the whole sequence, so steps acting on the ends of each string
  // (Strip) leave it alone, while before a join they act on every token. Pure virtual so that
  // each decoder decides what it means mid-sequence.
  virtual void decode_bytes_chain(std::vector<std::string>& tokens, bool& joined) const = 0;
};

// Builds a decoder from its tokenizer.json object. Supported types: ByteLevel, Replace,
// ByteFallback, Fuse, Strip, Metaspace, BPEDecoder, WordPiece, Sequence. Anything else is a
// turbine::Error naming the type.
std::unique_ptr<Decoder> make_decoder(const Json& config, std::string_view where);

// Parses "<0xAB>" (exactly six characters, hex digits in either case); -1 otherwise.
int parse_byte_token(std::string_view token);

}  // namespace turbine::tokenizer
