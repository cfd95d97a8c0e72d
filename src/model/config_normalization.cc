#include "model/config_normalization.h"

#include "common/error.h"

namespace turbine {
namespace {

// transformers' Gemma3TextConfig defaults: a Gemma 3 checkpoint's text_config omits these when
// it uses them (gemma-3-4b-it's has no num_attention_heads, head_dim or vocab_size, for one).
const nlohmann::json& gemma3_text_defaults() {
  static const nlohmann::json defaults = {
      {"model_type", "gemma3_text"},
      {"vocab_size", 262208},
      {"hidden_size", 2304},
      {"intermediate_size", 9216},
      {"num_hidden_layers", 26},
      {"num_attention_heads", 8},
      {"num_key_value_heads", 4},
      {"head_dim", 256},
      {"hidden_activation", "gelu_pytorch_tanh"},
      {"max_position_embeddings", 131072},
      {"rms_norm_eps", 1e-6},
      {"pad_token_id", 0},
      {"eos_token_id", 1},
      {"bos_token_id", 2},
      {"tie_word_embeddings", true},
      {"rope_theta", 1000000.0},
      {"attention_bias", false},
      {"query_pre_attn_scalar", 256},
      {"sliding_window", 4096},
      {"final_logit_softcapping", nullptr},
      {"attn_logit_softcapping", nullptr},
      {"rope_scaling", nullptr},
      {"rope_local_base_freq", 10000.0},
      {"sliding_window_pattern", 6},
  };
  return defaults;
}

nlohmann::json falcon_config(const nlohmann::json& config, const std::string& source) {
  nlohmann::json c = config;
  const bool new_arch = c.value("new_decoder_architecture", false);
  if (!c.contains("intermediate_size")) {
    const nlohmann::json ffn = c.value("ffn_hidden_size", nlohmann::json());
    if (ffn.is_null()) {
      if (!c.contains("hidden_size") || !c["hidden_size"].is_number_integer())
        fail("{}: hidden_size must be an integer", source);
      c["intermediate_size"] = 4 * c["hidden_size"].get<int64_t>();
    } else {
      c["intermediate_size"] = ffn;
    }
  }
  if (!c.contains("num_key_value_heads")) {
    if (new_arch) {
      const nlohmann::json kv = c.value("num_kv_heads", nlohmann::json());
      c["num_key_value_heads"] = kv.is_null() ? c.value("num_attention_heads", nlohmann::json()) : kv;
    } else if (c.value("multi_query", true)) {
      c["num_key_value_heads"] = 1;
    } else {
      c["num_key_value_heads"] = c.value("num_attention_heads", nlohmann::json());
    }
  }
  return c;
}

nlohmann::json text_model_config(const nlohmann::json& config, const std::string& source) {
  if (!config.contains("text_config") || !config["text_config"].is_object())
    fail("{}: Gemma3ForConditionalGeneration needs a \"text_config\" object", source);
  nlohmann::json text = gemma3_text_defaults();
  for (const auto& [key, value] : config["text_config"].items()) text[key] = value;
  text["architectures"] = config["architectures"];
  // Token ids and the tie live on the top level in these checkpoints when they differ.
  for (const char* key : {"eos_token_id", "bos_token_id", "pad_token_id", "tie_word_embeddings"})
    if (config.contains(key) && !config["text_config"].contains(key)) text[key] = config[key];
  return text;
}

}  // namespace

nlohmann::json normalized_config(const nlohmann::json& config, const std::string& source) {
  if (!config.is_object() || !config.contains("architectures") || !config["architectures"].is_array() ||
      config["architectures"].empty() || !config["architectures"][0].is_string())
    return config;
  const std::string architecture = config["architectures"][0].get<std::string>();
  if (architecture == "Gemma3ForConditionalGeneration") return text_model_config(config, source);
  if (architecture == "FalconForCausalLM") return falcon_config(config, source);
  return config;
}

}  // namespace turbine
