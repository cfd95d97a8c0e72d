#include "test_tokenizers.h"

#include "tokenizer/byte_level_alphabet.h"

namespace turbine::test {

Json tokenizer_document(Json model, Json normalizer, Json pre_tokenizer, Json post_processor,
                        Json decoder, Json added_tokens) {
  return Json{{"version", "1.0"},           {"truncation", nullptr},
              {"padding", nullptr},         {"added_tokens", std::move(added_tokens)},
              {"normalizer", normalizer},   {"pre_tokenizer", pre_tokenizer},
              {"post_processor", post_processor}, {"decoder", decoder},
              {"model", std::move(model)}};
}

Json added_token(int id, const std::string& content, bool special, bool lstrip, bool rstrip,
                 bool normalized, bool single_word) {
  return Json{{"id", id},         {"content", content}, {"single_word", single_word},
              {"lstrip", lstrip}, {"rstrip", rstrip},   {"normalized", normalized},
              {"special", special}};
}

Tokenizer load(const Json& document) { return Tokenizer::from_json_string(document.dump(), "test.json"); }

Json sentencepiece_bpe_document() {
  Json vocab = {{"<unk>", 0}, {"<s>", 1},  {"</s>", 2},    {"\u2581", 3},    {"a", 4},
                {"b", 5},     {"c", 6},    {"ab", 7},      {"\u2581a", 8},   {"\u2581ab", 9},
                {"abc", 10},  {"<0xE2>", 11}, {"<0x82>", 12}, {"<0xAC>", 13}, {"bc", 14}};
  Json model = {{"type", "BPE"},     {"dropout", nullptr},   {"unk_token", "<unk>"},
                {"continuing_subword_prefix", nullptr},     {"end_of_word_suffix", nullptr},
                {"fuse_unk", true},  {"byte_fallback", true}, {"vocab", vocab},
                {"merges", {"a b", "\u2581 a", "\u2581a b", "ab c", "b c"}}};
  Json normalizer = {{"type", "Sequence"},
                     {"normalizers",
                      {{{"type", "Prepend"}, {"prepend", "\u2581"}},
                       {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\u2581"}}}}};
  Json post = {{"type", "TemplateProcessing"},
               {"single", {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                           {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
               {"pair", Json::array()},
               {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {1}}, {"tokens", {"<s>"}}}}}}};
  Json decoder = {{"type", "Sequence"},
                  {"decoders",
                   {{{"type", "Replace"}, {"pattern", {{"String", "\u2581"}}}, {"content", " "}},
                    {{"type", "ByteFallback"}},
                    {{"type", "Fuse"}},
                    {{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}}}}};
  Json added = {added_token(0, "<unk>", true), added_token(1, "<s>", true),
                added_token(2, "</s>", true)};
  return tokenizer_document(model, normalizer, nullptr, post, decoder, added);
}

Json byte_level_bpe_document(const std::vector<std::string>& merges) {
  const auto& alphabet = tokenizer::ByteLevelAlphabet::get();
  Json vocab = Json::object();
  int next_id = 0;
  for (int b = 0; b < 256; ++b) vocab[std::string(alphabet.encode_byte(static_cast<uint8_t>(b)))] = next_id++;
  for (const std::string& merge : merges) {
    const size_t space = merge.find(' ');
    const std::string merged = merge.substr(0, space) + merge.substr(space + 1);
    if (!vocab.contains(merged)) vocab[merged] = next_id++;
  }
  Json model = {{"type", "BPE"},  {"dropout", nullptr}, {"unk_token", nullptr},
                {"continuing_subword_prefix", ""}, {"end_of_word_suffix", ""},
                {"fuse_unk", false}, {"byte_fallback", false}, {"vocab", vocab},
                {"merges", merges}};
  Json pre = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true},
              {"use_regex", true}};
  Json decoder = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true},
                  {"use_regex", true}};
  return tokenizer_document(model, nullptr, pre, nullptr, decoder);
}

std::optional<std::filesystem::path> fixture_tokenizer(const std::string& name) {
  std::filesystem::path path;
  if (name == "stories260K") {
    path = std::filesystem::path(TURBINE_SHARED_DIR) / "models/stories260K/tokenizer.json";
  } else if (name == "turbine-demo-20m") {
    path = std::filesystem::path(TURBINE_SOURCE_DIR) / "models/turbine-demo-20m/tokenizer.json";
  } else {
    path = std::filesystem::path(TURBINE_SOURCE_DIR) / "tests/fixtures/downloaded" / name /
           "tokenizer.json";
  }
  if (!std::filesystem::exists(path)) return std::nullopt;
  return path;
}

}  // namespace turbine::test
