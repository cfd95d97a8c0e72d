// PromptLengthBound: the fewest tokens a text can encode to, known from its byte length alone.
//
// Tokenizing a long prompt only to learn that it exceeds the context costs the request worker
// seconds (30 MiB: about 2.5 s), so the planner first asks this bound: when even the fewest
// tokens the text could give reach the context length, the prompt is rejected untokenized.
//
// The bound must never reject a prompt full tokenization would accept, so it is only known for
// tokenizers where every output token stands for a contiguous span of at most
// max_bytes_per_token() input bytes and the spans cover the input (then tokens >= bytes /
// max_bytes_per_token). That holds for byte-level BPE (GPT-2, Llama 3, the demo models) when:
//   - there is no normalizer (normalizers may shrink or delete text: NFC, NFKC, Strip, Replace);
//   - the pre-tokenizers only split (Split/Punctuation without "Removed", Digits) and include
//     ByteLevel, so each input byte becomes one alphabet character;
//   - the model is BPE and its vocabulary holds all 256 alphabet characters (an unknown
//     character is dropped, or fused into one unk token, which would break the bound);
//   - no added token strips the whitespace around it (lstrip/rstrip absorb unbounded runs);
//   - there is no truncation.
// A token then covers at most as many bytes as its vocabulary string has characters (added
// tokens: their content's bytes). Invalid UTF-8, replaced by 3-byte U+FFFD before encoding,
// only adds bytes. For every other tokenizer the bound is unknown (min_tokens() is 0) and
// prompts are simply tokenized.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

namespace turbine::server {

class PromptLengthBound {
 public:
  PromptLengthBound() = default;  // unknown: min_tokens() is always 0

  // From tokenizer.json's text; unknown (never an error) for a tokenizer outside the rules above
  // or text that does not parse.
  static PromptLengthBound from_tokenizer_json(std::string_view json);
  // From DIR/tokenizer.json; unknown when `model_dir` is empty or the file cannot be read.
  static PromptLengthBound from_model_dir(const std::filesystem::path& model_dir);

  bool known() const { return max_bytes_per_token_ > 0; }
  // The most input bytes one token can stand for (0: unknown).
  size_t max_bytes_per_token() const { return max_bytes_per_token_; }
  // A lower bound on the tokens `bytes` bytes of text encode to, before special tokens are added.
  size_t min_tokens(size_t bytes) const {
    return known() ? (bytes + max_bytes_per_token_ - 1) / max_bytes_per_token_ : 0;
  }

 private:
  explicit PromptLengthBound(size_t max_bytes_per_token) : max_bytes_per_token_(max_bytes_per_token) {}
  size_t max_bytes_per_token_ = 0;
};

}  // namespace turbine::server
