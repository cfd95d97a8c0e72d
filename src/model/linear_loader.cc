#include "model/linear_loader.h"

#include "common/error.h"
#include "model/weight_store.h"

namespace turbine {

void require_linear_format(const Backend& backend, WeightFormat format, std::string_view tensor) {
  if (!backend.linear_formats().supports(format)) {
    fail("{}: weight format {} is not supported by the {} backend", tensor, weight_format_name(format),
         backend.name());
  }
}

LinearLoader LinearLoader::for_model(const ModelConfig& config, const Backend& backend) {
  if (!config.quantization_method.empty()) {
    fail("{}: quantization_config.quant_method \"{}\" is not supported (Turbine loads unquantized F32, BF16 and "
         "F16 checkpoints)",
         (config.dir / "config.json").string(), config.quantization_method);
  }
  return LinearLoader(Method::kDense, backend);
}

LinearWeights LinearLoader::load(WeightStore& weights, const std::string& prefix, int64_t out_features,
                                 int64_t in_features, bool bias) const {
  switch (method_) {
    case Method::kDense: {
      const std::string name = prefix + ".weight";
      const Tensor weight = weights.get_stored(name, {out_features, in_features});
      if (!dense_format(weight.dtype)) {
        fail("{}: dtype {} is not a dense weight dtype (F32, BF16, F16), and config.json has no "
             "quantization_config saying how to read it",
             name, dtype_name(weight.dtype));
      }
      LinearWeights w = dense(weight, name);
      if (bias) w.bias = weights.get(prefix + ".bias", {out_features});
      return w;
    }
  }
  TURBINE_CHECK(false, "unknown linear loader method");
  return {};
}

LinearWeights LinearLoader::dense(const Tensor& weight, std::string_view name) const {
  const auto format = dense_format(weight.dtype);
  if (!format) fail("{}: dtype {} is not a dense weight dtype (F32, BF16, F16)", name, dtype_name(weight.dtype));
  require_linear_format(*backend_, *format, name);
  return LinearWeights::dense(weight);
}

}  // namespace turbine
