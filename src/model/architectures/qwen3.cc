// Qwen3: the Llama decoder with a per-head RMSNorm on queries and keys before RoPE, and a
// head_dim set independently of hidden_size / num_heads (e.g. 128 with hidden 1024 and 16 heads).
// Projection biases follow attention_bias (false in the released models).
//
// Config fields read: the shared ones, attention_bias, use_sliding_window (must be false),
// hidden_act.
#include "common/error.h"
#include "model/architectures/architectures.h"
#include "model/decoder_model.h"

namespace turbine {

std::unique_ptr<Model> make_qwen3_model(ModelConfig config, std::unique_ptr<WeightStore> weights, Backend& backend) {
  if (config.raw.value("use_sliding_window", false))
    fail("{}: Qwen3 with use_sliding_window=true is not supported", (config.dir / "config.json").string());
  DecoderSpec spec = uniform_decoder_spec(config);
  spec.tensors.qk_norm = true;
  spec.tensors.qkv_bias = config.attention_bias;
  spec.tensors.o_bias = config.attention_bias;
  return std::make_unique<DecoderModel>(std::move(config), std::move(weights), backend, std::move(spec));
}

}  // namespace turbine
