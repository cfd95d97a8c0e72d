// Qwen2 / Qwen2.5: the Llama decoder with biases on the q, k and v projections (not on o).
// Its config carries sliding_window but only applies it when use_sliding_window is true, which
// the released models never set; Turbine refuses that case rather than silently ignoring it.
//
// Config fields read: the shared ones, use_sliding_window (must be false), hidden_act.
#include "common/error.h"
#include "model/architectures/architectures.h"
#include "model/decoder_model.h"

namespace turbine {

std::unique_ptr<Model> make_qwen2_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend) {
  if (config.raw.value("use_sliding_window", false))
    fail("{}: Qwen2 with use_sliding_window=true is not supported", (config.dir / "config.json").string());
  DecoderSpec spec = uniform_decoder_spec(config);
  spec.tensors.qkv_bias = true;
  return std::make_unique<DecoderModel>(std::move(config), std::move(weights), backend, std::move(spec));
}

}  // namespace turbine
