// Maps config.json's `architectures` names to their factories.
#include <fmt/ranges.h>

#include <algorithm>
#include <utility>

#include "common/error.h"
#include "model/architectures/architectures.h"
#include "model/model.h"
#include "model/weight_store.h"

namespace turbine {
namespace {

constexpr std::pair<const char*, ModelFactory> kArchitectures[] = {
    {"LlamaForCausalLM", make_llama_model},
    {"MistralForCausalLM", make_mistral_model},
    {"Qwen2ForCausalLM", make_qwen2_model},
    {"Qwen3ForCausalLM", make_qwen3_model},
    {"MixtralForCausalLM", make_mixtral_model},
    {"Qwen2MoeForCausalLM", make_qwen2_moe_model},
    {"Qwen3MoeForCausalLM", make_qwen3_moe_model},
    {"GPTNeoXForCausalLM", make_gpt_neox_model},
    {"FalconForCausalLM", make_falcon_model},
    {"Phi3ForCausalLM", make_phi3_model},
    {"Gemma2ForCausalLM", make_gemma2_model},
    {"Gemma3ForCausalLM", make_gemma3_model},
    {"Gemma3ForConditionalGeneration", make_gemma3_conditional_model},
};

}  // namespace

std::vector<std::string> supported_architectures() {
  std::vector<std::string> names;
  for (const auto& [name, factory] : kArchitectures) names.emplace_back(name);
  return names;
}

std::unique_ptr<Model> load_model(const std::filesystem::path& dir, Backend& backend) {
  ModelConfig config = ModelConfig::load(dir);
  const auto* entry = std::find_if(std::begin(kArchitectures), std::end(kArchitectures),
                                   [&](const auto& e) { return config.architecture == e.first; });
  if (entry == std::end(kArchitectures)) {
    fail("{}: architecture \"{}\" is not supported (supported: {})", (dir / "config.json").string(),
         config.architecture, fmt::join(supported_architectures(), ", "));
  }
  auto weights = std::make_unique<WeightStore>(WeightStore::open(dir));
  return entry->second(std::move(config), std::move(weights), backend);
}

}  // namespace turbine
