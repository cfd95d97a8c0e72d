// Mistral: the Llama decoder with optional sliding-window attention in every layer (Mistral 7B
// v0.1 attends to the last `sliding_window` tokens; later versions set it to null). No biases.
//
// Config fields read: the shared ones, sliding_window, hidden_act.
#include "model/architectures/architectures.h"
#include "model/decoder_model.h"

namespace turbine {

std::unique_ptr<Model> make_mistral_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend) {
  DecoderSpec spec = uniform_decoder_spec(config, config.sliding_window);
  return std::make_unique<DecoderModel>(std::move(config), std::move(weights), backend, std::move(spec));
}

}  // namespace turbine
