// GPT-NeoX and Falcon: tiny random checkpoints (fused query_key_value in each family's layout,
// LayerNorm with biases, plain exact-GELU MLPs, parallel or sequential residual, partial rotary)
// run through the engine on the CPU against a naive double-precision forward written here from
// transformers' modeling_gpt_neox.py and modeling_falcon.py; config normalisation and refusals.
// (Goldens from transformers itself come from tools/make_tiny_models.py on the GPU machine.)
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

enum class Family { kNeoX, kFalcon };

struct Tiny {
  Family family;
  json config;
  int64_t heads = 0, kv_heads = 0, head_dim = 0, rotary_dim = 0;
  bool parallel = true, two_norms = true, bias = true;
  // Per layer: separate q, k, v (written fused in the family's layout), and everything else by its
  // checkpoint name.
  std::map<std::string, Matrix> w;
};

json neox_config(bool parallel) {
  return json{{"architectures", {"GPTNeoXForCausalLM"}}, {"model_type", "gpt_neox"}, {"vocab_size", 50},
              {"hidden_size", 24}, {"intermediate_size", 40}, {"num_hidden_layers", 2}, {"num_attention_heads", 3},
              {"max_position_embeddings", 64}, {"rotary_pct", 0.25}, {"rotary_emb_base", 500},
              {"layer_norm_eps", 1e-5}, {"use_parallel_residual", parallel}, {"hidden_act", "gelu"},
              {"tie_word_embeddings", false}, {"bos_token_id", 0}, {"eos_token_id", 1}};
}

json falcon_config(bool new_arch) {
  json c{{"architectures", {"FalconForCausalLM"}}, {"model_type", "falcon"}, {"vocab_size", 50}, {"hidden_size", 32},
         {"num_hidden_layers", 2}, {"num_attention_heads", 4}, {"max_position_embeddings", 64},
         {"layer_norm_epsilon", 1e-5}, {"rope_theta", 300.0}, {"bias", false}, {"parallel_attn", true},
         {"alibi", false}, {"bos_token_id", 11}, {"eos_token_id", 11}};
  if (new_arch) {
    c["new_decoder_architecture"] = true;
    c["num_kv_heads"] = 2;
    c["ffn_hidden_size"] = 48;
    c["bias"] = true;
  } else {
    c["multi_query"] = true;
  }
  return c;
}

Tiny make_tiny(Family f, const json& config, uint32_t seed) {
  Tiny m;
  m.family = f;
  m.config = config;
  const int64_t h = config["hidden_size"];
  m.heads = config["num_attention_heads"];
  m.head_dim = h / m.heads;
  if (f == Family::kNeoX) {
    m.kv_heads = m.heads;
    m.rotary_dim = int64_t(double(m.head_dim) * double(config["rotary_pct"]));
    m.parallel = config["use_parallel_residual"];
    m.two_norms = true;
    m.bias = true;
  } else {
    const bool new_arch = config.value("new_decoder_architecture", false);
    m.kv_heads = new_arch ? int64_t(config["num_kv_heads"]) : 1;
    m.rotary_dim = m.head_dim;
    m.parallel = true;
    m.two_norms = new_arch;
    m.bias = config["bias"];
  }
  const int64_t ff = f == Family::kNeoX ? int64_t(config["intermediate_size"])
                                        : int64_t(config.value("ffn_hidden_size", json(4 * h)));
  std::mt19937 rng(seed);
  auto add = [&](const std::string& name, int64_t rows, int64_t cols, float scale, float center = 0.0f) {
    m.w[name] = testing::random_matrix(rng, rows, cols, scale, center);
  };
  const int64_t vocab = config["vocab_size"], d = m.head_dim;
  add("embed", vocab, h, 1.0f);
  add("lm_head", vocab, h, 0.5f);
  add("final_norm.weight", 1, h, 0.2f, 1.0f);
  add("final_norm.bias", 1, h, 0.2f);
  for (int l = 0; l < int(config["num_hidden_layers"]); ++l) {
    const std::string p = fmt::format("{}.", l);
    add(p + "norm_a.weight", 1, h, 0.2f, 1.0f);
    add(p + "norm_a.bias", 1, h, 0.2f);
    add(p + "norm_m.weight", 1, h, 0.2f, 1.0f);
    add(p + "norm_m.bias", 1, h, 0.2f);
    add(p + "q", m.heads * d, h, 0.4f);
    add(p + "k", m.kv_heads * d, h, 0.4f);
    add(p + "v", m.kv_heads * d, h, 0.4f);
    add(p + "q.bias", 1, m.heads * d, 0.3f);
    add(p + "k.bias", 1, m.kv_heads * d, 0.3f);
    add(p + "v.bias", 1, m.kv_heads * d, 0.3f);
    add(p + "o", h, m.heads * d, 0.4f);
    add(p + "o.bias", 1, h, 0.3f);
    add(p + "up", ff, h, 0.4f);
    add(p + "up.bias", 1, ff, 0.3f);
    add(p + "down", h, ff, 0.4f);
    add(p + "down.bias", 1, h, 0.3f);
  }
  return m;
}

// The fused projection in the family's row order (see model/architectures/fused_qkv.h), from the
// separate q, k, v rows (a bias is a matrix of one row, fused the same way element by element).
std::vector<float> fuse_qkv(const Tiny& m, const Matrix& q, const Matrix& k, const Matrix& v, bool is_bias) {
  const int64_t d = m.head_dim, cols = is_bias ? 1 : q.cols;
  auto row = [&](const Matrix& x, int64_t r) {
    return is_bias ? std::vector<float>{x.v[size_t(r)]}
                   : std::vector<float>(x.v.begin() + r * cols, x.v.begin() + (r + 1) * cols);
  };
  std::vector<float> out;
  auto append = [&](const Matrix& x, int64_t first, int64_t count) {
    for (int64_t r = first; r < first + count; ++r) {
      const std::vector<float> values = row(x, r);
      out.insert(out.end(), values.begin(), values.end());
    }
  };
  if (m.family == Family::kNeoX) {
    for (int64_t h = 0; h < m.heads; ++h) append(q, h * d, d), append(k, h * d, d), append(v, h * d, d);
  } else {
    const int64_t group = m.heads / m.kv_heads;
    for (int64_t g = 0; g < m.kv_heads; ++g) append(q, g * group * d, group * d), append(k, g * d, d), append(v, g * d, d);
  }
  return out;
}

void write_checkpoint(const Tiny& m, const std::filesystem::path& dir) {
  const bool neox = m.family == Family::kNeoX;
  const std::string layer_prefix = neox ? "gpt_neox.layers." : "transformer.h.";
  const int64_t h = m.config["hidden_size"];
  std::vector<testing::TestTensor> t;
  auto put = [&](const std::string& name, const Matrix& x, bool vector) {
    t.push_back({name, "BF16", vector ? std::vector<int64_t>{x.cols} : std::vector<int64_t>{x.rows, x.cols},
                 testing::bf16_bytes(x.v)});
  };
  const auto& W = m.w;
  put(neox ? "gpt_neox.embed_in.weight" : "transformer.word_embeddings.weight", W.at("embed"), false);
  if (neox) put("embed_out.weight", W.at("lm_head"), false);
  put(neox ? "gpt_neox.final_layer_norm.weight" : "transformer.ln_f.weight", W.at("final_norm.weight"), true);
  put(neox ? "gpt_neox.final_layer_norm.bias" : "transformer.ln_f.bias", W.at("final_norm.bias"), true);
  for (int l = 0; l < int(m.config["num_hidden_layers"]); ++l) {
    const std::string p = fmt::format("{}.", l), c = fmt::format("{}{}.", layer_prefix, l);
    const std::string norm_a = neox ? "input_layernorm" : (m.two_norms ? "ln_attn" : "input_layernorm");
    put(c + norm_a + ".weight", W.at(p + "norm_a.weight"), true);
    put(c + norm_a + ".bias", W.at(p + "norm_a.bias"), true);
    if (m.two_norms) {
      const std::string norm_m = neox ? "post_attention_layernorm" : "ln_mlp";
      put(c + norm_m + ".weight", W.at(p + "norm_m.weight"), true);
      put(c + norm_m + ".bias", W.at(p + "norm_m.bias"), true);
    }
    const std::string attn = neox ? "attention." : "self_attention.";
    const std::vector<float> qkv = fuse_qkv(m, W.at(p + "q"), W.at(p + "k"), W.at(p + "v"), false);
    t.push_back({c + attn + "query_key_value.weight", "BF16", {int64_t(qkv.size()) / h, h}, testing::bf16_bytes(qkv)});
    if (m.bias) {
      const std::vector<float> b = fuse_qkv(m, W.at(p + "q.bias"), W.at(p + "k.bias"), W.at(p + "v.bias"), true);
      t.push_back({c + attn + "query_key_value.bias", "BF16", {int64_t(b.size())}, testing::bf16_bytes(b)});
    }
    put(c + attn + "dense.weight", W.at(p + "o"), false);
    put(c + "mlp.dense_h_to_4h.weight", W.at(p + "up"), false);
    put(c + "mlp.dense_4h_to_h.weight", W.at(p + "down"), false);
    if (m.bias) {
      put(c + attn + "dense.bias", W.at(p + "o.bias"), true);
      put(c + "mlp.dense_h_to_4h.bias", W.at(p + "up.bias"), true);
      put(c + "mlp.dense_4h_to_h.bias", W.at(p + "down.bias"), true);
    }
    if (neox) t.push_back({c + "attention.rotary_emb.inv_freq", "F32", {2}, testing::f32_bytes({1, 2})});
  }
  testing::write_file(dir / "model.safetensors", testing::build_safetensors(t));
  testing::write_file(dir / "config.json", m.config.dump());
}

Vec reference_logits(const Tiny& m, const std::vector<int32_t>& tokens) {
  const bool neox = m.family == Family::kNeoX;
  const json& c = m.config;
  const int64_t h = c["hidden_size"], d = m.head_dim;
  const double eps = neox ? double(c["layer_norm_eps"]) : double(c["layer_norm_epsilon"]);
  const double theta = neox ? double(c["rotary_emb_base"]) : double(c["rope_theta"]);
  const auto& W = m.w;
  auto bias = [&](const std::string& name) { return m.bias ? &W.at(name) : nullptr; };
  auto ln = [&](const Vec& x, const std::string& name) { return testing::layer_norm(x, W.at(name + ".weight"), W.at(name + ".bias"), eps); };
  const size_t n = tokens.size();
  std::vector<Vec> hs(n);
  for (size_t t = 0; t < n; ++t) {
    hs[t].resize(size_t(h));
    for (int64_t i = 0; i < h; ++i) hs[t][size_t(i)] = W.at("embed").at(tokens[t], i);
  }
  const testing::AttentionSettings settings{m.heads, m.kv_heads, d, 1.0 / std::sqrt(double(d))};
  auto mlp = [&](const std::string& p, const Vec& x) {
    Vec u = matvec(W.at(p + "up"), x, bias(p + "up.bias"));
    for (double& e : u) e = testing::gelu(e);
    return matvec(W.at(p + "down"), u, bias(p + "down.bias"));
  };
  for (int l = 0; l < int(c["num_hidden_layers"]); ++l) {
    const std::string p = fmt::format("{}.", l);
    std::vector<Vec> q(n), k(n), v(n), xa(n);
    for (size_t t = 0; t < n; ++t) {
      xa[t] = ln(hs[t], p + "norm_a");
      q[t] = matvec(W.at(p + "q"), xa[t], bias(p + "q.bias"));
      k[t] = matvec(W.at(p + "k"), xa[t], bias(p + "k.bias"));
      v[t] = matvec(W.at(p + "v"), xa[t], bias(p + "v.bias"));
      for (int64_t hd = 0; hd < m.heads; ++hd) testing::rope(q[t].data() + hd * d, m.rotary_dim, int64_t(t), theta);
      for (int64_t hd = 0; hd < m.kv_heads; ++hd) testing::rope(k[t].data() + hd * d, m.rotary_dim, int64_t(t), theta);
    }
    for (size_t t = 0; t < n; ++t) {
      const Vec o = matvec(W.at(p + "o"), testing::attention(q, k, v, t, settings), bias(p + "o.bias"));
      if (m.parallel) {
        const Vec y = mlp(p, m.two_norms ? ln(hs[t], p + "norm_m") : xa[t]);
        for (int64_t i = 0; i < h; ++i) hs[t][size_t(i)] += o[size_t(i)] + y[size_t(i)];
      } else {
        for (int64_t i = 0; i < h; ++i) hs[t][size_t(i)] += o[size_t(i)];
        const Vec y = mlp(p, ln(hs[t], p + "norm_m"));
        for (int64_t i = 0; i < h; ++i) hs[t][size_t(i)] += y[size_t(i)];
      }
    }
  }
  return matvec(W.at(neox ? "lm_head" : "embed"), ln(hs[n - 1], "final_norm"));
}

class LayerNormFamilies : public ::testing::Test {
 protected:
  void expect_matches(const Tiny& m) {
    write_checkpoint(m, dir_.path());
    testing::expect_greedy_matches(dir_.path(), {{2, 7, 13, 21, 5, 33, 9}, {2, 40}}, 8, {512, 3},
                                   [&](const std::vector<int32_t>& tokens) { return reference_logits(m, tokens); });
  }
  testing::TempDir dir_;
};

TEST_F(LayerNormFamilies, GptNeoXParallelResidualAndPartialRotary) { expect_matches(make_tiny(Family::kNeoX, neox_config(true), 21)); }

TEST_F(LayerNormFamilies, GptNeoXSequentialResidual) { expect_matches(make_tiny(Family::kNeoX, neox_config(false), 22)); }

TEST_F(LayerNormFamilies, FalconMultiQueryWithOneSharedNorm) { expect_matches(make_tiny(Family::kFalcon, falcon_config(false), 23)); }

TEST_F(LayerNormFamilies, FalconNewDecoderArchitecture) { expect_matches(make_tiny(Family::kFalcon, falcon_config(true), 24)); }

TEST(FalconConfig, WidthsAndKeyValueHeadsAreNormalised) {
  json c = falcon_config(false);
  ModelConfig parsed = ModelConfig::parse(c, "config.json");
  EXPECT_EQ(parsed.intermediate_size, 128);  // 4 * hidden
  EXPECT_EQ(parsed.num_kv_heads, 1);         // multi_query
  c = falcon_config(true);
  parsed = ModelConfig::parse(c, "config.json");
  EXPECT_EQ(parsed.intermediate_size, 48);
  EXPECT_EQ(parsed.num_kv_heads, 2);
  c["multi_query"] = false;
  c["new_decoder_architecture"] = false;
  EXPECT_EQ(ModelConfig::parse(c, "config.json").num_kv_heads, 4);
}

TEST_F(LayerNormFamilies, WhatIsNotImplementedFailsNamingIt) {
  Tiny m = make_tiny(Family::kFalcon, falcon_config(false), 25);
  auto error_with = [&](const char* key, const json& value) {
    m.config = falcon_config(false);
    m.config[key] = value;
    write_checkpoint(m, dir_.path());
    const auto backend = make_cpu_backend(1);
    return testing::error_message([&] { load_model(dir_.path(), *backend); });
  };
  EXPECT_NE(error_with("alibi", true).find("alibi"), std::string::npos);
  EXPECT_NE(error_with("parallel_attn", false).find("parallel_attn"), std::string::npos);
  EXPECT_NE(error_with("activation", "relu").find("\"relu\""), std::string::npos);
  Tiny neox = make_tiny(Family::kNeoX, neox_config(true), 26);
  neox.config["hidden_act"] = "gelu_new";
  write_checkpoint(neox, dir_.path());
  const auto backend = make_cpu_backend(1);
  EXPECT_NE(testing::error_message([&] { load_model(dir_.path(), *backend); }).find("gelu_new"), std::string::npos);
}

}  // namespace
}  // namespace turbine
