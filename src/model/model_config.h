// ModelConfig: what Turbine needs from a Hugging Face model folder's config.json and
// generation_config.json, parsed and validated once.
//
// Fields common to the Llama family are parsed here; an architecture file reads its own extra
// fields from `raw` (for example Qwen2's use_sliding_window) rather than this file growing
// architecture-specific branches.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace turbine {

enum class RopeType { kDefault, kLinear, kDynamic, kYarn, kLlama3, kLongRope };

struct RopeConfig {
  RopeType type = RopeType::kDefault;
  double theta = 10000.0;
  double factor = 1.0;
  double partial_rotary_factor = 1.0;
  // llama3
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  // llama3 and yarn: the context the model was pre-trained with.
  int64_t original_max_position_embeddings = 0;
  // yarn
  double beta_fast = 32.0;
  double beta_slow = 1.0;
  std::optional<double> attention_factor;
  std::optional<double> mscale;
  std::optional<double> mscale_all_dim;
  bool truncate = true;
  // longrope (Phi-3's "su"): per-frequency divisors for contexts within and beyond
  // original_max_position_embeddings (rotary_dim / 2 each); attention_factor as above.
  std::vector<double> short_factor, long_factor;
};

struct ModelConfig {
  std::filesystem::path dir;
  std::string architecture;  // architectures[0], e.g. "LlamaForCausalLM"
  std::string model_type;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int num_layers = 0;
  int num_heads = 0;
  int num_kv_heads = 0;
  int head_dim = 0;
  double rms_norm_eps = 1e-6;
  int64_t max_position_embeddings = 0;
  RopeConfig rope;
  // transformers 5's rope_parameters keyed by layer type ("full_attention", "sliding_attention":
  // Gemma 3's local layers have their own base), each parsed like `rope`; then `rope` is the
  // full_attention entry. Empty for a config with one RoPE.
  std::map<std::string, RopeConfig> rope_by_layer_type;
  // hidden_act as written ("silu", "gelu_pytorch_tanh", ...): the architecture decides what it
  // supports (decoder_spec.h, mlp_activation).
  std::string hidden_act = "silu";
  bool tie_word_embeddings = false;
  bool attention_bias = false;
  bool mlp_bias = false;
  int sliding_window = 0;  // 0: full attention
  // quantization_config.quant_method ("fp8", "gptq", ...); empty for an unquantized checkpoint.
  // It picks the linear layers' loader (model/linear_loader.h), which reads the rest from `raw`.
  std::string quantization_method;
  std::optional<int32_t> bos_token_id;
  std::vector<int32_t> eos_token_ids;  // generation_config.json's, else config.json's
  nlohmann::json raw;                  // config.json as read

  // The longest sequence (prompt + generated) the model serves: max_position_embeddings, times
  // the factor for dynamic NTK scaling, whose purpose is to run past it (vLLM does the same).
  int64_t context_length() const;

  // Reads and validates DIR/config.json and, if present, DIR/generation_config.json.
  static ModelConfig load(const std::filesystem::path& dir);
  // Parses a config.json document; `source` names it in error messages.
  static ModelConfig parse(const nlohmann::json& config, const std::string& source);
};

// Reads a JSON file, with an error naming the file on I/O or syntax failure.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace turbine
