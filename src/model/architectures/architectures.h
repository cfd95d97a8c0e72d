// Factories of the supported architectures; model_registry.cc maps config names onto them.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "model/model.h"

namespace turbine {

class WeightStore;

using ModelFactory = std::unique_ptr<Model> (*)(ModelConfig, std::unique_ptr<WeightStore>, Backend&);

std::unique_ptr<Model> make_llama_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend);
std::unique_ptr<Model> make_mistral_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend);
std::unique_ptr<Model> make_qwen2_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend);
std::unique_ptr<Model> make_qwen3_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend);
std::unique_ptr<Model> make_mixtral_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend);
std::unique_ptr<Model> make_qwen2_moe_model(ModelConfig config, std::unique_ptr<WeightStore> weights,
                                            Backend& backend);
std::unique_ptr<Model> make_qwen3_moe_model(ModelConfig config, std::unique_ptr<WeightStore> weights,
                                            Backend& backend);
std::unique_ptr<Model> make_gpt_neox_model(ModelConfig config, std::unique_ptr<WeightStore> weights,
                                           Backend& backend);
std::unique_ptr<Model> make_falcon_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend);
std::unique_ptr<Model> make_phi3_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend);
std::unique_ptr<Model> make_gemma2_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend);
std::unique_ptr<Model> make_gemma3_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend);
std::unique_ptr<Model> make_gemma3_conditional_model(ModelConfig config, std::unique_ptr<WeightStore> weights,
                                                     Backend& backend);

}  // namespace turbine
