// Tokenizer: Hugging Face tokenizer.json, encode and decode.
//
// Encoding runs the same pipeline as the `tokenizers` library and produces the same ids:
//   1. added tokens with normalized=false are cut out of the raw text;
//   2. each remaining piece is normalized, then added tokens with normalized=true are cut out;
//   3. the pre-tokenizer splits the rest into words, the model (BPE or Unigram) tokenizes each;
//   4. the post-processor adds special tokens when add_special_tokens is set.
// Decoding maps ids to token strings (added tokens by their content; special ones dropped on
// request) and runs the decoder chain.
//
// A Tokenizer is immutable once loaded; encode/decode are const and safe to call from many
// threads at once (the BPE word cache and the token_bytes table are internally synchronized).
// Copies share the loaded state, so passing a Tokenizer by value is cheap.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace turbine {

class Tokenizer {
 public:
  // Loads a tokenizer.json file, or the tokenizer.json inside a model folder. Throws
  // turbine::Error naming the file and component for anything malformed or unsupported.
  static Tokenizer from_file(const std::filesystem::path& tokenizer_json);
  static Tokenizer from_dir(const std::filesystem::path& model_dir);
  // Parses tokenizer.json text; `source_name` only appears in error messages.
  static Tokenizer from_json_string(std::string_view json, std::string_view source_name);

  // Text to ids. Invalid UTF-8 in `text` is first replaced with U+FFFD (the same as Python
  // would see after decoding the bytes with errors="replace").
  std::vector<int32_t> encode(std::string_view text, bool add_special_tokens) const;

  // Ids to text. Throws turbine::Error naming the first id that is not in the vocabulary.
  std::string decode(std::span<const int32_t> ids, bool skip_special_tokens) const;

  // Id of a token text (added tokens first, then the model's vocabulary).
  std::optional<int32_t> token_to_id(std::string_view token) const;
  // Token text of an id; throws turbine::Error for an id not in the vocabulary.
  std::string id_to_token(int32_t id) const;
  // One more than the largest id (model vocabulary and added tokens): the size an embedding
  // table needs. Ids below it may still be holes; see is_valid_id.
  int32_t vocab_size() const;
  bool is_valid_id(int32_t id) const;
  // Whether `id` is an added token marked special (skipped by skip_special_tokens).
  bool is_special(int32_t id) const;
  // Ids of all special added tokens, ascending.
  std::vector<int32_t> special_ids() const;

  // The bytes token `id` adds to decoded output when it appears in the middle of a sequence:
  // what a byte-level grammar matcher must see. Byte-level BPE: the byte-level alphabet mapped
  // back to raw bytes (a token holding part of a UTF-8 character gives those raw bytes, never
  // U+FFFD); ByteFallback "<0xAB>": the one byte 0xAB; Metaspace / Replace("▁"," "): "▁" as a
  // space (a word-initial token keeps its leading space: no Strip, no prepend-scheme removal, as
  // mid-sequence); WordPiece: "##x" -> "x", other tokens " " + token; added tokens: their
  // content (through the decoder chain, as decode() does). Throws turbine::Error for an id not
  // in the vocabulary (holes included).
  // The bytes of the whole vocabulary are computed on the first call (once, thread-safe) by
  // running the decoder chain on each token in its mid-sequence, lossless mode.
  std::string token_bytes(int32_t id) const;

  // Whether decoding `id` yields one raw byte that may combine with neighbouring byte tokens
  // (a "<0xXX>" token under a ByteFallback decoder). Used by the incremental detokenizer.
  bool is_byte_fallback_token(int32_t id) const;

  Tokenizer(const Tokenizer&) = default;
  Tokenizer& operator=(const Tokenizer&) = default;
  Tokenizer(Tokenizer&&) noexcept = default;
  Tokenizer& operator=(Tokenizer&&) noexcept = default;
  ~Tokenizer();

 private:
  struct Impl;
  explicit Tokenizer(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace turbine
