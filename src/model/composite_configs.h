// Multimodal checkpoints whose text model Turbine serves on its own: their config.json nests the
// text model's config in "text_config", written as transformers writes a sub-config, with only
// the fields that differ from the text config class's defaults. text_model_config() returns the
// config the decoder reads: those defaults, then text_config over them, then the top level's
// architectures and token ids. Any other config comes back unchanged.
//
// Known: Gemma3ForConditionalGeneration (defaults of transformers' Gemma3TextConfig).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace turbine {

nlohmann::json text_model_config(const nlohmann::json& config, const std::string& source);

}  // namespace turbine
