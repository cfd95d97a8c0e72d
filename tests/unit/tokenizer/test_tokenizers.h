// Helpers for the tokenizer tests: small tokenizer.json documents built in code, and paths of
// the real fixture tokenizers.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace turbine::test {

using Json = nlohmann::json;

// A tokenizer.json document with `model` and the given components (null when absent).
Json tokenizer_document(Json model, Json normalizer = nullptr, Json pre_tokenizer = nullptr,
                        Json post_processor = nullptr, Json decoder = nullptr,
                        Json added_tokens = Json::array());
Json added_token(int id, const std::string& content, bool special, bool lstrip = false,
                 bool rstrip = false, bool normalized = false, bool single_word = false);
Tokenizer load(const Json& document);

// The SentencePiece-style BPE used by several tests (Llama 2 layout on a 15-token vocabulary):
// Prepend+Replace normalizer, byte fallback, fused unk, <s> template, the Llama 2 decoder chain.
Json sentencepiece_bpe_document();

// A byte-level BPE (GPT-2 layout) whose vocabulary is the 256 byte characters plus the merges
// given as "a b" strings (each merge result is added to the vocabulary in order).
Json byte_level_bpe_document(const std::vector<std::string>& merges);

// Path of a downloaded fixture tokenizer (tests/fixtures/downloaded/<name>/tokenizer.json,
// stories260K from shared/models, or the repository's models/turbine-demo-20m), or nullopt when
// it is not present.
std::optional<std::filesystem::path> fixture_tokenizer(const std::string& name);

}  // namespace turbine::test
