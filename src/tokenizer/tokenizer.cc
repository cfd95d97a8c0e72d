#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <fstream>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "common/error.h"
#include "tokenizer/added_vocabulary.h"
#include "tokenizer/decoder.h"
#include "tokenizer/json_fields.h"
#include "tokenizer/model.h"
#include "tokenizer/normalizer.h"
#include "tokenizer/post_processor.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/utf8.h"

namespace turbine {

using tokenizer::Json;

struct Tokenizer::Impl {
  std::unique_ptr<tokenizer::Normalizer> normalizer;
  std::unique_ptr<tokenizer::PreTokenizer> pre_tokenizer;
  std::unique_ptr<tokenizer::Model> model;
  std::unique_ptr<tokenizer::PostProcessor> post_processor;
  std::unique_ptr<tokenizer::Decoder> decoder;
  tokenizer::AddedVocabulary added;
  bool decoder_has_byte_fallback = false;

  // token_bytes of every id, one arena: the bytes of id i are arena[offsets[i], offsets[i+1])
  // (empty for holes). Built on first use: only grammar compilation needs it, for every id.
  mutable std::once_flag token_bytes_once;
  mutable std::string token_bytes_arena;
  mutable std::vector<uint32_t> token_bytes_offsets;

  // Text of an id for decoding: added tokens by content, else the model's token.
  const std::string* token_text(int32_t id) const {
    if (const auto* added_token = added.find_by_id(id)) return &added_token->content;
    return model->id_to_token(id);
  }
};

namespace {

bool has_byte_fallback_decoder(const Json& decoder) {
  if (!decoder.is_object()) return false;
  const auto type = decoder.find("type");
  if (type != decoder.end() && *type == "ByteFallback") return true;
  if (const auto list = decoder.find("decoders"); list != decoder.end() && list->is_array()) {
    return std::any_of(list->begin(), list->end(), has_byte_fallback_decoder);
  }
  return false;
}

// Reads "added_tokens" and numbers them the way Hugging Face does when it loads the file (it
// re-adds them one by one rather than trusting the stored ids): a token already known keeps its
// id, a new one gets the next free id after the model vocabulary. For files Hugging Face wrote
// this reproduces the stored ids.
std::vector<tokenizer::AddedToken> parse_added_tokens(const Json& list,
                                                      const tokenizer::Model& model,
                                                      std::string_view where) {
  if (!list.is_array()) fail("{}: \"added_tokens\" must be an array", where);
  std::vector<tokenizer::AddedToken> tokens;
  std::unordered_map<std::string, size_t> index_of_content;
  int64_t max_id = -1;
  const auto model_size = static_cast<int64_t>(model.size());
  for (const Json& entry : list) {
    tokenizer::AddedToken token;
    token.content = tokenizer::string_field(entry, "content", where);
    if (tokenizer::int_field(entry, "id", -1, where) < 0) {
      fail("{}: added token \"{}\" needs a non-negative \"id\"", where, token.content);
    }
    token.special = tokenizer::bool_field(entry, "special", false, where);
    token.single_word = tokenizer::bool_field(entry, "single_word", false, where);
    token.lstrip = tokenizer::bool_field(entry, "lstrip", false, where);
    token.rstrip = tokenizer::bool_field(entry, "rstrip", false, where);
    token.normalized = tokenizer::bool_field(entry, "normalized", !token.special, where);
    if (token.content.empty()) continue;

    const auto existing = index_of_content.find(token.content);
    if (existing != index_of_content.end()) {
      token.id = tokens[existing->second].id;
      tokens[existing->second] = std::move(token);
      continue;
    }
    if (const auto model_id = model.token_to_id(token.content)) {
      token.id = *model_id;
    } else if (max_id < 0) {
      token.id = static_cast<int32_t>(model_size);
    } else {
      token.id = static_cast<int32_t>(max_id >= model_size || model_size == 0 ? max_id + 1
                                                                              : model_size);
    }
    max_id = std::max<int64_t>(max_id, token.id);
    index_of_content[token.content] = tokens.size();
    tokens.push_back(std::move(token));
  }
  return tokens;
}

}  // namespace

Tokenizer::Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_json_string(std::string_view text, std::string_view source_name) {
  Json root;
  try {
    root = Json::parse(text);
  } catch (const Json::exception& e) {
    fail("{}: not valid JSON: {}", source_name, e.what());
  }
  if (!root.is_object()) fail("{}: expected a JSON object at the top level", source_name);

  auto impl = std::make_shared<Impl>();
  auto where = [&](std::string_view component) {
    return fmt::format("{}: {}", source_name, component);
  };
  impl->model = tokenizer::make_model(tokenizer::require_field(root, "model", source_name),
                                      where("model"));
  if (const Json* config = tokenizer::optional_field(root, "normalizer")) {
    impl->normalizer = tokenizer::make_normalizer(*config, where("normalizer"));
  }
  if (const Json* config = tokenizer::optional_field(root, "pre_tokenizer")) {
    impl->pre_tokenizer = tokenizer::make_pre_tokenizer(*config, where("pre_tokenizer"));
  }
  if (const Json* config = tokenizer::optional_field(root, "post_processor")) {
    impl->post_processor = tokenizer::make_post_processor(*config, where("post_processor"));
  }
  if (const Json* config = tokenizer::optional_field(root, "decoder")) {
    impl->decoder = tokenizer::make_decoder(*config, where("decoder"));
    impl->decoder_has_byte_fallback = has_byte_fallback_decoder(*config);
  }
  if (const Json* list = tokenizer::optional_field(root, "added_tokens")) {
    impl->added = tokenizer::AddedVocabulary(
        parse_added_tokens(*list, *impl->model, where("added_tokens")), impl->normalizer.get());
  }
  return Tokenizer(std::move(impl));
}

Tokenizer Tokenizer::from_file(const std::filesystem::path& tokenizer_json) {
  std::ifstream file(tokenizer_json, std::ios::binary);
  if (!file) fail("cannot open tokenizer file {}", tokenizer_json.string());
  std::stringstream buffer;
  buffer << file.rdbuf();
  if (file.bad()) fail("cannot read tokenizer file {}", tokenizer_json.string());
  return from_json_string(buffer.str(), tokenizer_json.string());
}

Tokenizer Tokenizer::from_dir(const std::filesystem::path& model_dir) {
  const std::filesystem::path path = model_dir / "tokenizer.json";
  if (!std::filesystem::exists(path)) {
    fail("{} has no tokenizer.json (Turbine reads Hugging Face fast-tokenizer files)",
         model_dir.string());
  }
  return from_file(path);
}

std::vector<int32_t> Tokenizer::encode(std::string_view input, bool add_special_tokens) const {
  const Impl& impl = *impl_;
  std::string repaired;
  std::string_view text = input;
  if (!tokenizer::utf8::is_valid(input)) {
    repaired = tokenizer::utf8::lossy(input);
    text = repaired;
  }

  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::vector<tokenizer::AddedSplit> raw_splits;
  std::vector<tokenizer::AddedSplit> normalized_splits;
  std::string normalized;
  tokenizer::PreTokenized pre;
  impl.added.split_raw(text, raw_splits);
  for (const auto& raw : raw_splits) {
    if (raw.id >= 0) {
      ids.push_back(raw.id);
      continue;
    }
    normalized.assign(text.substr(raw.begin, raw.end - raw.begin));
    if (impl.normalizer) impl.normalizer->normalize(normalized);
    normalized_splits.clear();
    impl.added.split_normalized(normalized, normalized_splits);
    for (const auto& piece : normalized_splits) {
      if (piece.id >= 0) {
        ids.push_back(piece.id);
        continue;
      }
      pre.text.assign(normalized, piece.begin, piece.end - piece.begin);
      pre.pieces.assign(1, {0, static_cast<uint32_t>(pre.text.size()),
                            raw.begin == 0 && piece.begin == 0});
      if (impl.pre_tokenizer) impl.pre_tokenizer->pre_tokenize(pre);
      for (const auto& word : pre.pieces) impl.model->tokenize(pre.view(word), ids);
    }
  }
  if (impl.post_processor) impl.post_processor->process(ids, add_special_tokens);
  return ids;
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  const Impl& impl = *impl_;
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const int32_t id : ids) {
    if (const auto* added_token = impl.added.find_by_id(id)) {
      if (!(skip_special_tokens && added_token->special)) tokens.push_back(added_token->content);
      continue;
    }
    const std::string* text = impl.model->id_to_token(id);
    if (text == nullptr) {
      fail("cannot decode token id {}: not in the vocabulary (ids run from 0 to {})", id,
           vocab_size() - 1);
    }
    if (skip_special_tokens && impl.added.is_special_content(*text)) continue;
    tokens.push_back(*text);
  }
  if (!impl.decoder) {
    std::string joined;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) joined.push_back(' ');
      joined.append(tokens[i]);
    }
    return joined;
  }
  impl.decoder->decode_chain(tokens);
  std::string out;
  for (const std::string& token : tokens) out.append(token);
  return out;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (const auto id = impl_->added.find(token)) return id;
  return impl_->model->token_to_id(token);
}

std::string Tokenizer::id_to_token(int32_t id) const {
  const std::string* text = impl_->token_text(id);
  if (text == nullptr) fail("token id {} is not in the vocabulary", id);
  return *text;
}

int32_t Tokenizer::vocab_size() const {
  return std::max(impl_->model->id_limit(), impl_->added.id_limit());
}

bool Tokenizer::is_valid_id(int32_t id) const { return impl_->token_text(id) != nullptr; }

bool Tokenizer::is_special(int32_t id) const {
  const auto* token = impl_->added.find_by_id(id);
  return token != nullptr && token->special;
}

std::vector<int32_t> Tokenizer::special_ids() const {
  std::vector<int32_t> ids;
  for (const auto& token : impl_->added.tokens()) {
    if (token.special) ids.push_back(token.id);
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::string Tokenizer::token_bytes(int32_t id) const {
  const Impl& impl = *impl_;
  if (impl.token_text(id) == nullptr) {
    fail("token id {} is not in the vocabulary (ids run from 0 to {})", id, vocab_size() - 1);
  }
  std::call_once(impl.token_bytes_once, [&] {
    const int32_t limit = vocab_size();
    std::vector<uint32_t> offsets;
    offsets.reserve(static_cast<size_t>(limit) + 1);
    std::string arena;
    std::vector<std::string> tokens;
    for (int32_t i = 0; i < limit; ++i) {
      offsets.push_back(static_cast<uint32_t>(arena.size()));
      const std::string* text = impl.token_text(i);
      if (text == nullptr) continue;
      if (!impl.decoder) {  // decode() joins tokens with spaces
        arena.push_back(' ');
        arena.append(*text);
        continue;
      }
      tokens.assign(1, *text);
      bool joined = false;
      impl.decoder->decode_bytes_chain(tokens, joined);
      for (const std::string& piece : tokens) arena.append(piece);
    }
    offsets.push_back(static_cast<uint32_t>(arena.size()));
    TURBINE_CHECK(arena.size() <= UINT32_MAX, "token bytes exceed 4 GiB");
    impl.token_bytes_arena = std::move(arena);
    impl.token_bytes_offsets = std::move(offsets);
  });
  const auto begin = impl.token_bytes_offsets[static_cast<size_t>(id)];
  const auto end = impl.token_bytes_offsets[static_cast<size_t>(id) + 1];
  return impl.token_bytes_arena.substr(begin, end - begin);
}

bool Tokenizer::is_byte_fallback_token(int32_t id) const {
  if (!impl_->decoder_has_byte_fallback) return false;
  const std::string* text = impl_->token_text(id);
  return text != nullptr && tokenizer::parse_byte_token(*text) >= 0;
}

}  // namespace turbine
