// Gemma 2 and Gemma 3: their configs (layer types, soft-caps, the multimodal text_config with its
// class defaults, transformers 5's per-layer-type RoPE), and tiny random checkpoints run through
// the engine on the CPU against a naive double-precision forward written here from the models'
// published definitions (transformers' modeling_gemma2.py / modeling_gemma3.py): (1 + w) norms,
// sqrt(hidden) embedding scale, sandwich norms, GeGLU (tanh), query_pre_attn_scalar, attention and
// final soft-caps, sliding windows, q/k norms and the local RoPE base. (Goldens from transformers
// itself come from tools/make_tiny_models.py on the GPU machine.)
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "engine/loop/llm_engine.h"
#include "engine/loop/offline_batch.h"
#include "model/architectures/gemma_common.h"
#include "model/decoder_model.h"
#include "model/model.h"
#include "unit/loader/error_matchers.h"
#include "unit/loader/safetensors_writer.h"
#include "unit/model/reference_forward.h"

namespace turbine {
namespace {

using json = nlohmann::json;
using testing::error_message;

ModelConfig parse(const json& j) { return ModelConfig::parse(j, "config.json"); }

json gemma2_config() {
  return json::parse(R"({"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "vocab_size": 40,
    "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 4, "num_attention_heads": 2,
    "num_key_value_heads": 1, "head_dim": 8, "max_position_embeddings": 64, "rms_norm_eps": 1e-6,
    "hidden_activation": "gelu_pytorch_tanh", "hidden_act": "gelu_pytorch_tanh", "query_pre_attn_scalar": 12,
    "attn_logit_softcapping": 3.0, "final_logit_softcapping": 2.5, "sliding_window": 3, "rope_theta": 100.0,
    "eos_token_id": 1, "bos_token_id": 2})");
}

json gemma3_config() {
  return json::parse(R"({"architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "vocab_size": 40,
    "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 4, "num_attention_heads": 2,
    "num_key_value_heads": 1, "head_dim": 8, "max_position_embeddings": 64, "rms_norm_eps": 1e-6,
    "hidden_activation": "gelu_pytorch_tanh", "query_pre_attn_scalar": 8, "sliding_window": 3,
    "layer_types": ["sliding_attention", "sliding_attention", "full_attention", "sliding_attention"],
    "rope_theta": 1000.0, "rope_local_base_freq": 20.0, "rope_scaling": {"rope_type": "linear", "factor": 2.0},
    "final_logit_softcapping": null, "attn_logit_softcapping": null, "eos_token_id": 1, "bos_token_id": 2})");
}

TEST(GemmaConfig, ConditionalGenerationServesTheTextConfigWithItsClassDefaults) {
  const json j = json::parse(R"({"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3",
    "eos_token_id": [1, 106], "text_config": {"hidden_size": 2560, "intermediate_size": 10240,
    "model_type": "gemma3_text", "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
    "sliding_window": 1024}, "vision_config": {"hidden_size": 1152}})");
  const ModelConfig c = parse(j);
  EXPECT_EQ(c.architecture, "Gemma3ForConditionalGeneration");
  EXPECT_EQ(c.hidden_size, 2560);
  EXPECT_EQ(c.num_layers, 34);
  EXPECT_EQ(c.num_heads, 8);  // Gemma3TextConfig's defaults
  EXPECT_EQ(c.num_kv_heads, 4);
  EXPECT_EQ(c.head_dim, 256);
  EXPECT_EQ(c.vocab_size, 262208);
  EXPECT_EQ(c.max_position_embeddings, 131072);
  EXPECT_EQ(c.sliding_window, 1024);
  EXPECT_EQ(c.rope.type, RopeType::kLinear);
  EXPECT_EQ(c.rope.factor, 8.0);
  EXPECT_EQ(c.rope.theta, 1e6);
  EXPECT_EQ(c.eos_token_ids, (std::vector<int32_t>{1, 106}));
  EXPECT_EQ(c.raw.value("rope_local_base_freq", 0.0), 10000.0);
  EXPECT_NE(error_message([] { parse(json::parse(R"({"architectures": ["Gemma3ForConditionalGeneration"]})")); })
                .find("text_config"),
            std::string::npos);
}

TEST(GemmaConfig, RopeParametersKeyedByLayerType) {
  json j = gemma3_config();
  j.erase("rope_theta");
  j.erase("rope_scaling");
  j["rope_parameters"] = json::parse(R"({"sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
    "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000.0}})");
  const ModelConfig c = parse(j);
  ASSERT_EQ(c.rope_by_layer_type.size(), 2u);
  EXPECT_EQ(c.rope.type, RopeType::kLinear);
  EXPECT_EQ(c.rope.theta, 1e6);
  EXPECT_EQ(c.rope_by_layer_type.at("sliding_attention").theta, 1e4);
  EXPECT_EQ(c.rope_by_layer_type.at("sliding_attention").type, RopeType::kDefault);
  j["rope_parameters"]["full_attention"]["rope_type"] = "longrope";
  EXPECT_NE(error_message([&] { parse(j); }).find("rope_parameters.full_attention"), std::string::npos);
}

TEST(GemmaSpec, LayerTypesScalesAndCapsComeFromTheConfig) {
  const DecoderSpec spec = gemma_decoder_spec(parse(gemma2_config()), 2);
  ASSERT_EQ(spec.layers.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    const LayerSpec& l = spec.layers[size_t(i)];
    EXPECT_EQ(l.sliding_window, i % 2 == 0 ? 3 : 0) << i;  // no layer_types: even layers slide
    EXPECT_FLOAT_EQ(l.softmax_scale, 1.0f / std::sqrt(12.0f));
    EXPECT_FLOAT_EQ(l.attn_logit_softcap, 3.0f);
    EXPECT_EQ(l.norms, NormPlacement::kSandwich);
  }
  EXPECT_FLOAT_EQ(spec.final_logit_softcap, 2.5f);
  EXPECT_FLOAT_EQ(spec.embedding_scale, 4.0f);
  EXPECT_TRUE(spec.norm_weight_plus_one);
  EXPECT_EQ(spec.activation, MlpActivation::kGeluTanh);

  json bad = gemma2_config();
  bad["layer_types"] = {"sliding_attention", "chunked_attention", "full_attention", "full_attention"};
  EXPECT_NE(error_message([&] { gemma_decoder_spec(parse(bad), 2); }).find("chunked_attention"), std::string::npos);
  bad = gemma2_config();
  bad["hidden_activation"] = "gelu";  // exact GELU: not implemented, so never run as another
  EXPECT_NE(error_message([&] { gemma_decoder_spec(parse(bad), 2); }).find("hidden_activation \"gelu\""),
            std::string::npos);
  bad = gemma2_config();
  bad["sliding_window"] = 0;
  EXPECT_NE(error_message([&] { gemma_decoder_spec(parse(bad), 2); }).find("sliding_window is 0"), std::string::npos);
  bad = gemma2_config();
  bad["attn_logit_softcapping"] = -1.0;
  EXPECT_NE(error_message([&] { gemma_decoder_spec(parse(bad), 2); }).find("attn_logit_softcapping"),
            std::string::npos);
}

// ---- A tiny random checkpoint and the naive forward it is checked against.

using testing::Matrix;
using testing::Vec;

struct TinyGemma {
  json config;
  bool qk_norm = false;
  std::map<std::string, Matrix> weights;  // by checkpoint name (without the prefix)
};

TinyGemma make_tiny(const json& config, bool qk_norm, uint32_t seed) {
  TinyGemma m{config, qk_norm, {}};
  std::mt19937 rng(seed);
  const int64_t h = config["hidden_size"], ff = config["intermediate_size"], vocab = config["vocab_size"];
  const int64_t d = config["head_dim"], heads = config["num_attention_heads"], kv = config["num_key_value_heads"];
  auto add = [&](const std::string& name, int64_t rows, int64_t cols, float scale) {
    m.weights[name] = testing::random_matrix(rng, rows, cols, scale);
  };
  add("embed_tokens.weight", vocab, h, 1.0f);
  add("norm.weight", 1, h, 0.3f);
  for (int l = 0; l < int(config["num_hidden_layers"]); ++l) {
    const std::string p = fmt::format("layers.{}.", l);
    for (const char* norm : {"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
                             "post_feedforward_layernorm"})
      add(p + norm + ".weight", 1, h, 0.3f);
    add(p + "self_attn.q_proj.weight", heads * d, h, 0.4f);
    add(p + "self_attn.k_proj.weight", kv * d, h, 0.4f);
    add(p + "self_attn.v_proj.weight", kv * d, h, 0.4f);
    add(p + "self_attn.o_proj.weight", h, heads * d, 0.4f);
    if (qk_norm) {
      add(p + "self_attn.q_norm.weight", 1, d, 0.3f);
      add(p + "self_attn.k_norm.weight", 1, d, 0.3f);
    }
    add(p + "mlp.gate_proj.weight", ff, h, 0.4f);
    add(p + "mlp.up_proj.weight", ff, h, 0.4f);
    add(p + "mlp.down_proj.weight", h, ff, 0.4f);
  }
  return m;
}

void write_checkpoint(const TinyGemma& m, const std::filesystem::path& dir, const std::string& prefix,
                      const json& config, const std::vector<testing::TestTensor>& extra = {}) {
  std::vector<testing::TestTensor> tensors = extra;
  for (const auto& [name, w] : m.weights) {
    std::vector<int64_t> shape = w.rows == 1 ? std::vector<int64_t>{w.cols} : std::vector<int64_t>{w.rows, w.cols};
    tensors.push_back({prefix + name, "BF16", shape, testing::bf16_bytes(w.v)});
  }
  testing::write_file(dir / "model.safetensors", testing::build_safetensors(tensors));
  testing::write_file(dir / "config.json", config.dump());
}

// Logits of the last position of `tokens`, as transformers computes Gemma 2 / 3 (in double).
Vec reference_logits(const TinyGemma& m, const std::vector<int32_t>& tokens) {
  const json& c = m.config;
  const int64_t h = c["hidden_size"], d = c["head_dim"], heads = c["num_attention_heads"], kv = c["num_key_value_heads"];
  const int layers = c["num_hidden_layers"];
  const double eps = c["rms_norm_eps"];
  const double attn_cap = c.value("attn_logit_softcapping", json()).is_number() ? double(c["attn_logit_softcapping"]) : 0;
  const double final_cap = c.value("final_logit_softcapping", json()).is_number() ? double(c["final_logit_softcapping"]) : 0;
  const auto& W = m.weights;
  auto norm = [&](const Vec& x, const std::string& name) { return testing::rms_norm(x, W.at(name), eps, /*plus_one=*/true); };
  const size_t n = tokens.size();
  std::vector<Vec> hs(n);
  for (size_t t = 0; t < n; ++t) {
    hs[t].resize(size_t(h));
    for (int64_t i = 0; i < h; ++i) hs[t][size_t(i)] = W.at("embed_tokens.weight").at(tokens[t], i) * std::sqrt(double(h));
  }
  for (int l = 0; l < layers; ++l) {
    const std::string p = fmt::format("layers.{}.", l);
    const bool sliding = c.contains("layer_types") ? c["layer_types"][size_t(l)] == "sliding_attention" : l % 2 == 0;
    double theta = c["rope_theta"], factor = 1.0;
    if (m.qk_norm && sliding) {
      theta = c["rope_local_base_freq"];
    } else if (c.contains("rope_scaling") && c["rope_scaling"].is_object()) {
      factor = c["rope_scaling"]["factor"];
    }
    std::vector<Vec> q(n), k(n), v(n);
    for (size_t t = 0; t < n; ++t) {
      const Vec x = norm(hs[t], p + "input_layernorm.weight");
      q[t] = testing::matvec(W.at(p + "self_attn.q_proj.weight"), x);
      k[t] = testing::matvec(W.at(p + "self_attn.k_proj.weight"), x);
      v[t] = testing::matvec(W.at(p + "self_attn.v_proj.weight"), x);
      auto heads_of = [&](Vec& all, int64_t count, const char* qk) {
        for (int64_t hd = 0; hd < count; ++hd) {
          if (m.qk_norm) {
            Vec head(all.begin() + hd * d, all.begin() + (hd + 1) * d);
            head = norm(head, p + "self_attn." + qk + ".weight");
            std::copy(head.begin(), head.end(), all.begin() + hd * d);
          }
          testing::rope(all.data() + hd * d, d, int64_t(t), theta, factor);
        }
      };
      heads_of(q[t], heads, "q_norm");
      heads_of(k[t], kv, "k_norm");
    }
    const testing::AttentionSettings settings{heads, kv, d, 1.0 / std::sqrt(double(c["query_pre_attn_scalar"])),
                                              sliding ? int64_t(c["sliding_window"]) : 0, attn_cap};
    for (size_t t = 0; t < n; ++t) {
      const Vec attn = testing::attention(q, k, v, t, settings);
      const Vec o = norm(testing::matvec(W.at(p + "self_attn.o_proj.weight"), attn), p + "post_attention_layernorm.weight");
      for (int64_t i = 0; i < h; ++i) hs[t][size_t(i)] += o[size_t(i)];
      const Vec x = norm(hs[t], p + "pre_feedforward_layernorm.weight");
      Vec g = testing::matvec(W.at(p + "mlp.gate_proj.weight"), x);
      const Vec u = testing::matvec(W.at(p + "mlp.up_proj.weight"), x);
      for (size_t i = 0; i < g.size(); ++i) g[i] = testing::gelu_tanh(g[i]) * u[i];
      const Vec mlp = norm(testing::matvec(W.at(p + "mlp.down_proj.weight"), g), p + "post_feedforward_layernorm.weight");
      for (int64_t i = 0; i < h; ++i) hs[t][size_t(i)] += mlp[size_t(i)];
    }
  }
  Vec logits = testing::matvec(W.at("embed_tokens.weight"), norm(hs[n - 1], "norm.weight"));
  if (final_cap > 0)
    for (double& x : logits) x = final_cap * std::tanh(x / final_cap);
  return logits;
}

// One prompt longer than the window, greedy for 10 steps.
void expect_matches_reference(const TinyGemma& m, const std::filesystem::path& dir, int chunk) {
  testing::expect_greedy_matches(dir, {{2, 7, 13, 21, 5, 33, 9, 17}}, 10, chunk,
                                 [&](const std::vector<int32_t>& tokens) { return reference_logits(m, tokens); });
}

class GemmaForward : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(GemmaForward, Gemma2MatchesTheReferenceForward) {
  const TinyGemma m = make_tiny(gemma2_config(), /*qk_norm=*/false, 1);
  write_checkpoint(m, dir_.path(), "model.", m.config);
  expect_matches_reference(m, dir_.path(), 512);
  expect_matches_reference(m, dir_.path(), 3);  // prefill in chunks across the window
}

TEST_F(GemmaForward, Gemma3MatchesTheReferenceForward) {
  const TinyGemma m = make_tiny(gemma3_config(), /*qk_norm=*/true, 2);
  write_checkpoint(m, dir_.path(), "model.", m.config);
  expect_matches_reference(m, dir_.path(), 512);
  expect_matches_reference(m, dir_.path(), 3);
}

TEST_F(GemmaForward, Gemma3ConditionalGenerationLoadsItsLanguageModelUnderEitherNaming) {
  const TinyGemma m = make_tiny(gemma3_config(), /*qk_norm=*/true, 3);
  json composite = {{"architectures", {"Gemma3ForConditionalGeneration"}}, {"model_type", "gemma3"},
                    {"text_config", m.config}, {"vision_config", {{"hidden_size", 8}}}};
  composite["text_config"].erase("architectures");
  const testing::TestTensor vision{"model.vision_tower.vision_model.embeddings.patch_embedding.weight", "F32", {2, 2},
                                   testing::f32_bytes({1, 2, 3, 4})};
  write_checkpoint(m, dir_.path(), "model.language_model.", composite, {vision});
  expect_matches_reference(m, dir_.path(), 512);
  const testing::TestTensor old_vision{"multi_modal_projector.mm_input_projection_weight", "F32", {2, 2},
                                       testing::f32_bytes({1, 2, 3, 4})};
  write_checkpoint(m, dir_.path(), "language_model.model.", composite, {old_vision});
  expect_matches_reference(m, dir_.path(), 512);
}

}  // namespace
}  // namespace turbine
