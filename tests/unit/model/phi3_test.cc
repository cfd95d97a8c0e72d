// Phi-3: fused qkv_proj and gate_up_proj, partial rotary, LongRoPE (short factors while the
// served context stays within original_max_position_embeddings, long ones beyond, scaled by the
// attention factor), sliding window; a tiny random checkpoint through the engine on the CPU
// against a naive double-precision forward written from transformers' modeling_phi3.py.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "model/model_config.h"
#include "unit/loader/error_matchers.h"
#include "unit/loader/safetensors_writer.h"
#include "unit/model/reference_forward.h"

namespace turbine {
namespace {

using json = nlohmann::json;
using testing::Matrix;
using testing::Vec;
using testing::matvec;

json phi3_config(int64_t original_max) {
  return json{{"architectures", {"Phi3ForCausalLM"}}, {"model_type", "phi3"}, {"vocab_size", 48},
              {"hidden_size", 16}, {"intermediate_size", 24}, {"num_hidden_layers", 2}, {"num_attention_heads", 2},
              {"num_key_value_heads", 1}, {"max_position_embeddings", 64}, {"rms_norm_eps", 1e-5},
              {"rope_theta", 500.0}, {"partial_rotary_factor", 0.5}, {"sliding_window", 5},
              {"original_max_position_embeddings", original_max},
              {"rope_scaling", {{"type", "longrope"}, {"short_factor", {1.0, 1.5}}, {"long_factor", {2.0, 7.0}}}},
              {"hidden_act", "silu"}, {"tie_word_embeddings", false}, {"bos_token_id", 1}, {"eos_token_id", 2}};
}

struct Tiny {
  json config;
  std::map<std::string, Matrix> w;
};

Tiny make_tiny(const json& config, uint32_t seed) {
  Tiny m{config, {}};
  std::mt19937 rng(seed);
  auto add = [&](const std::string& name, int64_t rows, int64_t cols, float scale, float center = 0.0f) {
    m.w[name] = testing::random_matrix(rng, rows, cols, scale, center);
  };
  add("model.embed_tokens.weight", 48, 16, 1.0f);
  add("lm_head.weight", 48, 16, 0.5f);
  add("model.norm.weight", 1, 16, 0.2f, 1.0f);
  for (int l = 0; l < 2; ++l) {
    const std::string p = fmt::format("model.layers.{}.", l);
    add(p + "input_layernorm.weight", 1, 16, 0.2f, 1.0f);
    add(p + "post_attention_layernorm.weight", 1, 16, 0.2f, 1.0f);
    add(p + "self_attn.qkv_proj.weight", 16 + 8 + 8, 16, 0.4f);  // q (2 heads of 8), k, v
    add(p + "self_attn.o_proj.weight", 16, 16, 0.4f);
    add(p + "mlp.gate_up_proj.weight", 48, 16, 0.4f);
    add(p + "mlp.down_proj.weight", 16, 24, 0.4f);
  }
  return m;
}

void write_checkpoint(const Tiny& m, const std::filesystem::path& dir) {
  std::vector<testing::TestTensor> t;
  for (const auto& [name, x] : m.w)
    t.push_back({name, "BF16", x.rows == 1 ? std::vector<int64_t>{x.cols} : std::vector<int64_t>{x.rows, x.cols},
                 testing::bf16_bytes(x.v)});
  testing::write_file(dir / "model.safetensors", testing::build_safetensors(t));
  testing::write_file(dir / "config.json", m.config.dump());
}

Matrix rows_of(const Matrix& x, int64_t first, int64_t count) {
  return {count, x.cols, std::vector<float>(x.v.begin() + first * x.cols, x.v.begin() + (first + count) * x.cols)};
}

// transformers' LongRoPE: inv_i = 1 / (ext_i * theta^(2i / rotary_dim)), cos and sin times the
// attention factor sqrt(1 + ln(max / original) / ln(original)) (1 when max <= original); the
// long factors when the sequence (here: the served context, max_position_embeddings) exceeds
// the original length.
void long_rope(const json& c, double* x, int64_t pos) {
  const int64_t rotary = 4, half = 2;
  const double theta = c["rope_theta"], max = c["max_position_embeddings"], original = c["original_max_position_embeddings"];
  const json& ext = max > original ? c["rope_scaling"]["long_factor"] : c["rope_scaling"]["short_factor"];
  const double mscale = max > original ? std::sqrt(1.0 + std::log(max / original) / std::log(original)) : 1.0;
  for (int64_t i = 0; i < half; ++i) {
    const double freq = 1.0 / (double(ext[size_t(i)]) * std::pow(theta, 2.0 * double(i) / double(rotary)));
    const double co = std::cos(double(pos) * freq) * mscale, si = std::sin(double(pos) * freq) * mscale;
    const double a = x[i], b = x[i + half];
    x[i] = a * co - b * si;
    x[i + half] = b * co + a * si;
  }
}

Vec reference_logits(const Tiny& m, const std::vector<int32_t>& tokens) {
  const json& c = m.config;
  const auto& W = m.w;
  const double eps = c["rms_norm_eps"];
  const size_t n = tokens.size();
  std::vector<Vec> hs(n);
  for (size_t t = 0; t < n; ++t) {
    hs[t].resize(16);
    for (int64_t i = 0; i < 16; ++i) hs[t][size_t(i)] = W.at("model.embed_tokens.weight").at(tokens[t], i);
  }
  const testing::AttentionSettings settings{2, 1, 8, 1.0 / std::sqrt(8.0), int64_t(c["sliding_window"])};
  for (int l = 0; l < 2; ++l) {
    const std::string p = fmt::format("model.layers.{}.", l);
    const Matrix& qkv = W.at(p + "self_attn.qkv_proj.weight");
    const Matrix wq = rows_of(qkv, 0, 16), wk = rows_of(qkv, 16, 8), wv = rows_of(qkv, 24, 8);
    const Matrix& gate_up = W.at(p + "mlp.gate_up_proj.weight");
    const Matrix wg = rows_of(gate_up, 0, 24), wu = rows_of(gate_up, 24, 24);
    std::vector<Vec> q(n), k(n), v(n);
    for (size_t t = 0; t < n; ++t) {
      const Vec x = testing::rms_norm(hs[t], W.at(p + "input_layernorm.weight"), eps);
      q[t] = matvec(wq, x), k[t] = matvec(wk, x), v[t] = matvec(wv, x);
      long_rope(c, q[t].data(), int64_t(t));
      long_rope(c, q[t].data() + 8, int64_t(t));
      long_rope(c, k[t].data(), int64_t(t));
    }
    for (size_t t = 0; t < n; ++t) {
      const Vec o = matvec(W.at(p + "self_attn.o_proj.weight"), testing::attention(q, k, v, t, settings));
      for (size_t i = 0; i < 16; ++i) hs[t][i] += o[i];
      const Vec x = testing::rms_norm(hs[t], W.at(p + "post_attention_layernorm.weight"), eps);
      Vec g = matvec(wg, x);
      const Vec u = matvec(wu, x);
      for (size_t i = 0; i < g.size(); ++i) g[i] = testing::silu(g[i]) * u[i];
      const Vec y = matvec(W.at(p + "mlp.down_proj.weight"), g);
      for (size_t i = 0; i < 16; ++i) hs[t][i] += y[i];
    }
  }
  return matvec(W.at("lm_head.weight"), testing::rms_norm(hs[n - 1], W.at("model.norm.weight"), eps));
}

class Phi3 : public ::testing::Test {
 protected:
  void expect_matches(const Tiny& m) {
    write_checkpoint(m, dir_.path());
    testing::expect_greedy_matches(dir_.path(), {{1, 7, 13, 21, 5, 33, 9}, {1, 40}}, 8, {512, 3},
                                   [&](const std::vector<int32_t>& tokens) { return reference_logits(m, tokens); });
  }
  testing::TempDir dir_;
};

// The served context (64) exceeds the original length (16): the long factors, scaled.
TEST_F(Phi3, LongFactorsBeyondTheOriginalContext) { expect_matches(make_tiny(phi3_config(16), 31)); }

// Within it: the short factors, unscaled (what transformers uses for every sequence then).
TEST_F(Phi3, ShortFactorsWithinTheOriginalContext) { expect_matches(make_tiny(phi3_config(64), 32)); }

TEST(Phi3Config, LongRopeFactorsAreChecked) {
  json c = phi3_config(16);
  const ModelConfig parsed = ModelConfig::parse(c, "config.json");
  EXPECT_EQ(parsed.rope.type, RopeType::kLongRope);
  EXPECT_EQ(parsed.rope.original_max_position_embeddings, 16);
  EXPECT_EQ(parsed.rope.long_factor, (std::vector<double>{2.0, 7.0}));
  c["rope_scaling"]["long_factor"] = {2.0};
  EXPECT_NE(testing::error_message([&] { ModelConfig::parse(c, "config.json"); }).find("differ in length"),
            std::string::npos);
  c["rope_scaling"].erase("long_factor");
  EXPECT_NE(testing::error_message([&] { ModelConfig::parse(c, "config.json"); }).find("long_factor"),
            std::string::npos);
}

}  // namespace
}  // namespace turbine
