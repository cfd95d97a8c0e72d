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

struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> v;
  float at(int64_t r, int64_t c) const { return v[size_t(r * cols + c)]; }
};

struct TinyGemma {
  json config;
  bool qk_norm = false;
  std::map<std::string, Matrix> weights;  // by checkpoint name (without the prefix)
};

TinyGemma make_tiny(const json& config, bool qk_norm, uint32_t seed) {
  TinyGemma m{config, qk_norm, {}};
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int64_t h = config["hidden_size"], ff = config["intermediate_size"], vocab = config["vocab_size"];
  const int64_t d = config["head_dim"], heads = config["num_attention_heads"], kv = config["num_key_value_heads"];
  auto add = [&](const std::string& name, int64_t rows, int64_t cols, float scale) {
    Matrix& w = m.weights[name];
    w.rows = rows, w.cols = cols;
    w.v.resize(size_t(rows * cols));
    for (float& x : w.v) x = bf16_to_f32(f32_to_bf16(normal(rng) * scale));  // exact in BF16 too
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

using Vec = std::vector<double>;

Vec rms_norm_plus_one(const Vec& x, const Matrix& w, double eps) {
  double ss = 0;
  for (double v : x) ss += v * v;
  const double inv = 1.0 / std::sqrt(ss / double(x.size()) + eps);
  Vec out(x.size());
  for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] * inv * (1.0 + w.v[i]);
  return out;
}

Vec matvec(const Matrix& w, const Vec& x) {
  Vec out(size_t(w.rows), 0.0);
  for (int64_t r = 0; r < w.rows; ++r)
    for (int64_t c = 0; c < w.cols; ++c) out[size_t(r)] += double(w.at(r, c)) * x[size_t(c)];
  return out;
}

// transformers' rotate_half RoPE of one head at `pos`.
void rope(double* x, int64_t d, int64_t pos, double theta, double linear_factor) {
  for (int64_t i = 0; i < d / 2; ++i) {
    const double freq = std::pow(theta, -2.0 * double(i) / double(d)) / linear_factor;
    const double c = std::cos(double(pos) * freq), s = std::sin(double(pos) * freq);
    const double a = x[i], b = x[i + d / 2];
    x[i] = a * c - b * s;
    x[i + d / 2] = b * c + a * s;
  }
}

double gelu_tanh(double x) { return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x))); }

// Logits of the last position of `tokens`, as transformers computes Gemma 2 / 3 (in double).
Vec reference_logits(const TinyGemma& m, const std::vector<int32_t>& tokens) {
  const json& c = m.config;
  const int64_t h = c["hidden_size"], d = c["head_dim"], heads = c["num_attention_heads"], kv = c["num_key_value_heads"];
  const int layers = c["num_hidden_layers"];
  const double eps = c["rms_norm_eps"];
  const double scale = 1.0 / std::sqrt(double(c["query_pre_attn_scalar"]));
  const double attn_cap = c.value("attn_logit_softcapping", json()).is_number() ? double(c["attn_logit_softcapping"]) : 0;
  const double final_cap = c.value("final_logit_softcapping", json()).is_number() ? double(c["final_logit_softcapping"]) : 0;
  const int64_t window = c["sliding_window"];
  const auto& W = m.weights;
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
      const Vec x = rms_norm_plus_one(hs[t], W.at(p + "input_layernorm.weight"), eps);
      q[t] = matvec(W.at(p + "self_attn.q_proj.weight"), x);
      k[t] = matvec(W.at(p + "self_attn.k_proj.weight"), x);
      v[t] = matvec(W.at(p + "self_attn.v_proj.weight"), x);
      for (int64_t hd = 0; hd < heads; ++hd) {
        if (m.qk_norm) {
          Vec head(q[t].begin() + hd * d, q[t].begin() + (hd + 1) * d);
          head = rms_norm_plus_one(head, W.at(p + "self_attn.q_norm.weight"), eps);
          std::copy(head.begin(), head.end(), q[t].begin() + hd * d);
        }
        rope(q[t].data() + hd * d, d, int64_t(t), theta, factor);
      }
      for (int64_t hd = 0; hd < kv; ++hd) {
        if (m.qk_norm) {
          Vec head(k[t].begin() + hd * d, k[t].begin() + (hd + 1) * d);
          head = rms_norm_plus_one(head, W.at(p + "self_attn.k_norm.weight"), eps);
          std::copy(head.begin(), head.end(), k[t].begin() + hd * d);
        }
        rope(k[t].data() + hd * d, d, int64_t(t), theta, factor);
      }
    }
    for (size_t t = 0; t < n; ++t) {
      Vec attn(size_t(heads * d), 0.0);
      for (int64_t hd = 0; hd < heads; ++hd) {
        const int64_t g = hd / (heads / kv);
        std::vector<double> scores;
        std::vector<size_t> keys;
        for (size_t j = 0; j <= t; ++j) {
          if (sliding && int64_t(j) <= int64_t(t) - window) continue;  // keys (t - window, t]
          double s = 0;
          for (int64_t i = 0; i < d; ++i) s += q[t][size_t(hd * d + i)] * k[j][size_t(g * d + i)];
          s *= scale;
          if (attn_cap > 0) s = attn_cap * std::tanh(s / attn_cap);
          scores.push_back(s);
          keys.push_back(j);
        }
        const double mx = *std::max_element(scores.begin(), scores.end());
        double sum = 0;
        for (double& s : scores) sum += (s = std::exp(s - mx));
        for (size_t a = 0; a < keys.size(); ++a)
          for (int64_t i = 0; i < d; ++i) attn[size_t(hd * d + i)] += scores[a] / sum * v[keys[a]][size_t(g * d + i)];
      }
      Vec o = rms_norm_plus_one(matvec(W.at(p + "self_attn.o_proj.weight"), attn), W.at(p + "post_attention_layernorm.weight"), eps);
      for (int64_t i = 0; i < h; ++i) hs[t][size_t(i)] += o[size_t(i)];
      const Vec x = rms_norm_plus_one(hs[t], W.at(p + "pre_feedforward_layernorm.weight"), eps);
      Vec g = matvec(W.at(p + "mlp.gate_proj.weight"), x);
      const Vec u = matvec(W.at(p + "mlp.up_proj.weight"), x);
      for (size_t i = 0; i < g.size(); ++i) g[i] = gelu_tanh(g[i]) * u[i];
      const Vec mlp = rms_norm_plus_one(matvec(W.at(p + "mlp.down_proj.weight"), g), W.at(p + "post_feedforward_layernorm.weight"), eps);
      for (int64_t i = 0; i < h; ++i) hs[t][size_t(i)] += mlp[size_t(i)];
    }
  }
  const Vec last = rms_norm_plus_one(hs[n - 1], W.at("norm.weight"), eps);
  Vec logits = matvec(W.at("embed_tokens.weight"), last);
  if (final_cap > 0)
    for (double& x : logits) x = final_cap * std::tanh(x / final_cap);
  return logits;
}

// Greedy decoding through the engine (one prompt; chunked prefill when the budget is small)
// against the reference: every step's token is the reference's argmax and its logprob matches.
void expect_matches_reference(const TinyGemma& m, const std::filesystem::path& dir, int chunk) {
  const auto backend = make_cpu_backend(2);
  const std::unique_ptr<Model> model = load_model(dir, *backend);
  EngineOptions options;
  options.max_num_batched_tokens = chunk;
  LlmEngine engine(*model, *backend, options);
  const std::vector<int32_t> prompt = {2, 7, 13, 21, 5, 33, 9, 17};  // longer than the window
  OfflinePrompt p;
  p.prompt_ids = prompt;
  p.params.max_tokens = 10;
  p.params.ignore_eos = true;
  p.params.sampling.temperature = 0.0f;
  p.params.sampling.logprobs = 1;
  const std::vector<OfflineResult> out = run_offline(engine, {p});
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(out[0].tokens.size(), 10u) << out[0].error;
  std::vector<int32_t> tokens = prompt;
  for (size_t step = 0; step < out[0].tokens.size(); ++step) {
    const Vec logits = reference_logits(m, tokens);
    const int32_t best = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
    double mx = *std::max_element(logits.begin(), logits.end()), sum = 0;
    for (double x : logits) sum += std::exp(x - mx);
    const double best_logprob = -std::log(sum);  // logprob of the argmax
    std::vector<double> sorted = logits;
    std::sort(sorted.rbegin(), sorted.rend());
    const GeneratedTokenInfo& got = out[0].tokens[step];
    if (sorted[0] - sorted[1] > 1e-3) EXPECT_EQ(got.token, best) << "step " << step;  // a clear winner
    EXPECT_NEAR(got.logprob, best_logprob, 2e-3) << "step " << step;
    tokens.push_back(got.token);
  }
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
