#include "model/architectures/moe_common.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "model/weight_store.h"

namespace turbine {

MoeSpec read_moe_spec(const ModelConfig& c, const char* experts_key, const char* intermediate_key,
                      bool renormalize_default) {
  const std::string source = (c.dir / "config.json").string();
  const nlohmann::json& raw = c.raw;
  auto positive = [&](const char* key) {
    if (!raw.contains(key) || !raw[key].is_number_integer() || raw[key].get<int64_t>() <= 0)
      fail("{}: {} must be a positive integer, got {}", source, key, raw.contains(key) ? raw[key].dump() : "nothing");
    return raw[key].get<int64_t>();
  };
  MoeSpec s;
  s.num_experts = int(positive(experts_key));
  s.top_k = int(positive("num_experts_per_tok"));
  if (s.top_k > s.num_experts)
    fail("{}: num_experts_per_tok ({}) exceeds {} ({})", source, s.top_k, experts_key, s.num_experts);
  s.intermediate = positive(intermediate_key);
  s.renormalize = raw.value("norm_topk_prob", renormalize_default);
  if (mlp_activation(c, "hidden_act") != MlpActivation::kSilu)
    fail("{}: hidden_act \"{}\" is not supported for mixture-of-experts layers (supported: silu)", source, c.hidden_act);
  return s;
}

void mark_qwen_moe_layers(const ModelConfig& c, DecoderSpec& spec) {
  const std::string source = (c.dir / "config.json").string();
  const int step = int(c.raw.value("decoder_sparse_step", 1));
  if (step <= 0) fail("{}: decoder_sparse_step must be positive, got {}", source, step);
  std::vector<int> dense;
  if (c.raw.contains("mlp_only_layers") && !c.raw["mlp_only_layers"].is_null()) {
    const nlohmann::json& list = c.raw["mlp_only_layers"];
    if (!list.is_array()) fail("{}: mlp_only_layers must be a list of layer indices", source);
    for (const nlohmann::json& v : list) {
      if (!v.is_number_integer() || v.get<int>() < 0 || v.get<int>() >= c.num_layers)
        fail("{}: mlp_only_layers holds {}, not a layer index in [0, {})", source, v.dump(), c.num_layers);
      dense.push_back(v.get<int>());
    }
  }
  for (int i = 0; i < c.num_layers; ++i)
    spec.layers[size_t(i)].moe = std::ranges::find(dense, i) == dense.end() && (i + 1) % step == 0;
}

std::string moe_block_name(const WeightStore& w, const std::string& prefix,
                           std::initializer_list<const char*> candidates, const std::string& router) {
  for (const char* block : candidates)
    if (w.contains(fmt::format("{}layers.0.{}.{}.weight", prefix, block, router))) return block;
  return *candidates.begin();  // missing everywhere: the load names the first naming's tensor
}

}  // namespace turbine
