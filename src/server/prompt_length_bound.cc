#include "server/prompt_length_bound.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

#include "tokenizer/byte_level_alphabet.h"

namespace turbine::server {
namespace {

using nlohmann::json;

size_t utf8_characters(std::string_view s) {
  return size_t(std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool is_null_or_absent(const json& config, const char* key) { return !config.contains(key) || config[key].is_null(); }

// A pre-tokenizer that only splits (never deletes); sets `byte_level` when it is ByteLevel.
bool only_splits(const json& pre, bool& byte_level) {
  if (!pre.is_object() || !pre.contains("type") || !pre["type"].is_string()) return false;
  const std::string type = pre["type"].get<std::string>();
  if (type == "ByteLevel") {
    byte_level = true;
    return true;
  }
  if (type == "Sequence") {
    if (!pre.contains("pretokenizers") || !pre["pretokenizers"].is_array()) return false;
    return std::all_of(pre["pretokenizers"].begin(), pre["pretokenizers"].end(),
                       [&](const json& p) { return only_splits(p, byte_level); });
  }
  if (type == "Split" || type == "Punctuation") {
    return pre.contains("behavior") && pre["behavior"].is_string() && pre["behavior"].get<std::string>() != "Removed";
  }
  return type == "Digits";
}

}  // namespace

PromptLengthBound PromptLengthBound::from_tokenizer_json(std::string_view text) try {
  const json config = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object() || !is_null_or_absent(config, "normalizer") || !is_null_or_absent(config, "truncation"))
    return {};
  bool byte_level = false;
  if (!config.contains("pre_tokenizer") || !only_splits(config["pre_tokenizer"], byte_level) || !byte_level) return {};
  const json& model = config.value("model", json());
  if (!model.is_object() || model.value("type", std::string()) != "BPE" || !model.contains("vocab") ||
      !model["vocab"].is_object())
    return {};

  size_t max_bytes = 0;
  for (const auto& [token, id] : model["vocab"].items()) max_bytes = std::max(max_bytes, utf8_characters(token));
  const auto& alphabet = tokenizer::ByteLevelAlphabet::get();
  for (int byte = 0; byte < 256; ++byte)
    if (!model["vocab"].contains(std::string(alphabet.encode_byte(uint8_t(byte))))) return {};

  if (config.contains("added_tokens")) {
    if (!config["added_tokens"].is_array()) return {};
    for (const json& added : config["added_tokens"]) {
      if (!added.is_object() || !added.contains("content") || !added["content"].is_string()) return {};
      if (added.value("lstrip", false) || added.value("rstrip", false)) return {};
      max_bytes = std::max(max_bytes, added["content"].get<std::string>().size());
    }
  }
  return PromptLengthBound(max_bytes);
} catch (const json::exception&) {  // a field of an unexpected type: no bound, the tokenizer reports it
  return {};
}

PromptLengthBound PromptLengthBound::from_model_dir(const std::filesystem::path& model_dir) {
  if (model_dir.empty()) return {};
  std::ifstream file(model_dir / "tokenizer.json", std::ios::binary);
  if (!file) return {};
  std::ostringstream text;
  text << file.rdbuf();
  return from_tokenizer_json(text.str());
}

}  // namespace turbine::server
