// Mistral: the Llama decoder with optional sliding-window attention (Mistral 7B v0.1 attends to
// the last `sliding_window` tokens; later versions set it to null).
#include "model/architectures/architectures.h"
#include "model/architectures/llama.h"

namespace turbine {

std::unique_ptr<Model> make_mistral_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend) {
  LlamaVariant variant;
  variant.sliding_window = config.sliding_window;
  return std::make_unique<LlamaModel>(std::move(config), std::move(weights), backend, variant);
}

}  // namespace turbine
