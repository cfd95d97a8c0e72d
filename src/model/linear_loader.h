// LinearLoader: reads a model's linear layers from its checkpoint in their weight format.
//
// One loader per `quantization_config` method, picked once per model from its config (vLLM's
// QuantizationConfig, whose per-layer QuantizeMethodBase::create_weights this `load` is). A loader
// knows which tensors a layer of its method has (`.weight`; later `.weight_scale_inv`, `.qweight`,
// `.scales`, `.qzeros`, ...), their layout, and the WeightFormat (backend/weight_format.h) they
// make; it may repack them into that format's layout. Before returning it checks that the backend
// runs the format (Backend::linear_formats()), so a model the backend cannot run fails at load,
// naming the tensor, the format and the backend, never at the first forward pass.
//
// Today only unquantized checkpoints load: a dense weight in F32, BF16 or F16. A checkpoint with
// a quantization_config, or a dense weight in a storage dtype (I8, F8_E4M3, ...) without one, is a
// turbine::Error naming the config or the tensor and its dtype. A new method adds a value to
// Method, its case in for_model, and its load function in its own file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "backend/backend.h"
#include "model/model_config.h"

namespace turbine {

class WeightStore;

class LinearLoader {
 public:
  // The loader of `config`'s quantization_config (none: dense), for layers run on `backend`.
  static LinearLoader for_model(const ModelConfig& config, const Backend& backend);

  // The linear layer `prefix` ("model.layers.0.self_attn.q_proj"): `prefix.weight` as an
  // [out_features, in_features] projection, and `prefix.bias` [out_features] when `bias`.
  LinearWeights load(WeightStore& weights, const std::string& prefix, int64_t out_features, int64_t in_features,
                     bool bias) const;

  // A dense projection over a tensor the model already took (an LM head tied to the embeddings);
  // `name` names it in errors.
  LinearWeights dense(const Tensor& weight, std::string_view name) const;

 private:
  enum class Method : uint8_t { kDense };
  LinearLoader(Method method, const Backend& backend) : method_(method), backend_(&backend) {}

  Method method_;
  const Backend* backend_;
};

// Throws turbine::Error unless `backend` runs linear layers of `format`, naming `tensor`.
void require_linear_format(const Backend& backend, WeightFormat format, std::string_view tensor);

}  // namespace turbine
