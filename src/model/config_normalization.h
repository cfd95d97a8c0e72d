// Configs whose fields ModelConfig does not read as written, made into ones it does before it
// parses them (normalized_config); any other config comes back unchanged.
//
// - Multimodal checkpoints whose text model Turbine serves on its own nest the text model's
//   config in "text_config", written as transformers writes a sub-config, with only the fields
//   that differ from the text config class's defaults: the result is those defaults, then
//   text_config over them, then the top level's architectures and token ids. Known:
//   Gemma3ForConditionalGeneration (defaults of transformers' Gemma3TextConfig).
// - Falcon names its MLP width ffn_hidden_size (default 4 * hidden_size) and its key/value heads
//   num_kv_heads (new_decoder_architecture) or multi_query (one): they become
//   intermediate_size and num_key_value_heads.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace turbine {

nlohmann::json normalized_config(const nlohmann::json& config, const std::string& source);

}  // namespace turbine
