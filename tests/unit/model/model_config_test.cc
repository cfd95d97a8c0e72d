#include <gtest/gtest.h>

#include "common/error.h"
#include "model/decoder_spec.h"
#include "model/model_config.h"

namespace turbine {
namespace {

using nlohmann::json;

json llama_config() {
  return json::parse(R"({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "vocab_size": 100,
    "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 8,
    "num_key_value_heads": 2, "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "eos_token_id": [2, 7]})");
}

std::string error_of(const json& config) {
  try {
    ModelConfig::parse(config, "cfg.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ModelConfig, ParsesTheLlamaFields) {
  const ModelConfig c = ModelConfig::parse(llama_config(), "cfg.json");
  EXPECT_EQ(c.architecture, "LlamaForCausalLM");
  EXPECT_EQ(c.head_dim, 8);  // hidden / heads when head_dim is absent
  EXPECT_EQ(c.num_kv_heads, 2);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int32_t>{2, 7}));
  EXPECT_EQ(c.rope.type, RopeType::kDefault);
  EXPECT_DOUBLE_EQ(c.rope.theta, 10000.0);
  EXPECT_FALSE(c.tie_word_embeddings);
}

TEST(ModelConfig, ExplicitHeadDimWins) {
  json j = llama_config();
  j["head_dim"] = 32;
  EXPECT_EQ(ModelConfig::parse(j, "cfg.json").head_dim, 32);
}

TEST(ModelConfig, ErrorsNameTheFileAndField) {
  json j = llama_config();
  j.erase("vocab_size");
  EXPECT_NE(error_of(j).find("cfg.json"), std::string::npos);
  EXPECT_NE(error_of(j).find("vocab_size"), std::string::npos);

  j = llama_config();
  j["num_key_value_heads"] = 3;
  EXPECT_NE(error_of(j).find("num_key_value_heads"), std::string::npos);

  // hidden_act is the architecture's to judge (decoder_spec.h): an exact GELU is refused by name.
  j = llama_config();
  j["hidden_act"] = "gelu";
  ModelConfig gelu = ModelConfig::parse(j, "cfg.json");
  EXPECT_EQ(gelu.hidden_act, "gelu");
  try {
    gated_mlp_activation(gelu, "hidden_act");
    ADD_FAILURE() << "an exact GELU was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("hidden_act \"gelu\" is not supported for a gated MLP"), std::string::npos)
        << e.what();
  }

  j = llama_config();
  j["hidden_size"] = "64";
  EXPECT_NE(error_of(j).find("hidden_size"), std::string::npos);

  j = llama_config();
  j["rope_scaling"] = {{"rope_type", "mrope"}, {"factor", 2.0}};
  const std::string e = error_of(j);
  EXPECT_NE(e.find("mrope"), std::string::npos);
  EXPECT_NE(e.find("llama3"), std::string::npos);  // lists the supported types

  j = llama_config();
  j["rope_scaling"] = {{"rope_type", "linear"}};
  EXPECT_NE(error_of(j).find("factor"), std::string::npos);

  j = llama_config();
  j["architectures"] = json::array();
  EXPECT_NE(error_of(j).find("architectures"), std::string::npos);
}

TEST(ModelConfig, ParsesEveryRopeScaling) {
  json j = llama_config();
  j["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                       {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 64}};
  ModelConfig c = ModelConfig::parse(j, "cfg.json");
  EXPECT_EQ(c.rope.type, RopeType::kLlama3);
  EXPECT_EQ(c.rope.original_max_position_embeddings, 64);

  j["rope_scaling"] = {{"type", "dynamic"}, {"factor", 2.0}};  // the older "type" key
  EXPECT_EQ(ModelConfig::parse(j, "cfg.json").rope.type, RopeType::kDynamic);

  j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 3.0}, {"original_max_position_embeddings", 64}};
  c = ModelConfig::parse(j, "cfg.json");
  EXPECT_EQ(c.rope.type, RopeType::kYarn);
  EXPECT_DOUBLE_EQ(c.rope.factor, 4.0);  // max_position_embeddings / original, as transformers does
}

TEST(ModelConfig, QuantizationMethodComesFromQuantizationConfig) {
  EXPECT_EQ(ModelConfig::parse(llama_config(), "cfg.json").quantization_method, "");
  json j = llama_config();
  j["quantization_config"] = json::parse(R"({"quant_method": "fp8", "weight_block_size": [128, 128]})");
  EXPECT_EQ(ModelConfig::parse(j, "cfg.json").quantization_method, "fp8");
  j["quantization_config"] = json::parse(R"({"bits": 4})");
  EXPECT_NE(error_of(j).find("quantization_config has no \"quant_method\""), std::string::npos) << error_of(j);
  j["quantization_config"] = "gptq";
  EXPECT_NE(error_of(j).find("quantization_config must be an object"), std::string::npos) << error_of(j);
}

}  // namespace
}  // namespace turbine
