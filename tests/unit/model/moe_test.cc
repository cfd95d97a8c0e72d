// Mixture-of-experts architectures (Mixtral, Qwen2-MoE, Qwen3-MoE): config checks, and tiny random
// checkpoints (per-expert tensors under either block name, and transformers 5's stacked experts)
// run through the engine on the CPU against a naive double-precision forward written here from
// the models' definitions (transformers' modeling_mixtral.py / modeling_qwen2_moe.py /
// modeling_qwen3_moe.py): softmax router, top-k (renormalised or not), SwiGLU experts summed by
// their weights, Qwen2-MoE's sigmoid-gated shared expert, dense layers by decoder_sparse_step and
// mlp_only_layers. (Goldens from transformers itself come from tools/make_tiny_models.py.)
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "engine/loop/llm_engine.h"
#include "engine/loop/offline_batch.h"
#include "model/model.h"
#include "unit/loader/error_matchers.h"
#include "unit/loader/safetensors_writer.h"
#include "unit/model/reference_forward.h"

namespace turbine {
namespace {

using json = nlohmann::json;
using testing::error_message;

enum class Family { kMixtral, kQwen2Moe, kQwen3Moe };

using testing::Matrix;
using testing::Vec;
using testing::matvec;

struct TinyMoe {
  Family family;
  json config;
  std::map<std::string, Matrix> weights;  // names without "model." (lm_head.weight as is)
};

json base_config(Family f) {
  json c = json::parse(R"({"vocab_size": 48, "hidden_size": 16, "intermediate_size": 20, "num_hidden_layers": 3,
    "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 64, "rms_norm_eps": 1e-5,
    "rope_theta": 1000.0, "hidden_act": "silu", "tie_word_embeddings": false, "eos_token_id": 1, "bos_token_id": 2})");
  switch (f) {
    case Family::kMixtral:
      c["architectures"] = {"MixtralForCausalLM"};
      c["num_local_experts"] = 5;
      c["num_experts_per_tok"] = 2;
      c["sliding_window"] = nullptr;
      break;
    case Family::kQwen2Moe:
      c["architectures"] = {"Qwen2MoeForCausalLM"};
      c["num_experts"] = 6;
      c["num_experts_per_tok"] = 3;
      c["moe_intermediate_size"] = 12;
      c["shared_expert_intermediate_size"] = 24;
      c["norm_topk_prob"] = false;
      c["decoder_sparse_step"] = 1;
      c["mlp_only_layers"] = {1};
      break;
    case Family::kQwen3Moe:
      c["architectures"] = {"Qwen3MoeForCausalLM"};
      c["num_experts"] = 8;
      c["num_experts_per_tok"] = 2;
      c["moe_intermediate_size"] = 10;
      c["head_dim"] = 8;
      c["norm_topk_prob"] = true;
      c["decoder_sparse_step"] = 2;  // layer 1 only (layers 0 and 2 dense)
      break;
  }
  return c;
}

int64_t head_dim(const json& c) {
  return c.contains("head_dim") ? int64_t(c["head_dim"]) : int64_t(c["hidden_size"]) / int64_t(c["num_attention_heads"]);
}

bool is_moe_layer(Family f, const json& c, int layer) {
  if (f == Family::kMixtral) return true;
  for (const json& v : c.value("mlp_only_layers", json::array()))
    if (v.get<int>() == layer) return false;
  return (layer + 1) % int(c.value("decoder_sparse_step", 1)) == 0;
}

int num_experts(Family f, const json& c) { return f == Family::kMixtral ? c["num_local_experts"] : c["num_experts"]; }
int64_t expert_width(Family f, const json& c) {
  return f == Family::kMixtral ? int64_t(c["intermediate_size"]) : int64_t(c["moe_intermediate_size"]);
}

TinyMoe make_tiny(Family f, uint32_t seed) {
  TinyMoe m{f, base_config(f), {}};
  const json& c = m.config;
  std::mt19937 rng(seed);
  const int64_t h = c["hidden_size"], ff = c["intermediate_size"], vocab = c["vocab_size"], d = head_dim(c);
  const int64_t heads = c["num_attention_heads"], kv = c["num_key_value_heads"];
  auto add = [&](const std::string& name, int64_t rows, int64_t cols, float scale, float center = 0.0f) {
    m.weights[name] = testing::random_matrix(rng, rows, cols, scale, center);
  };
  add("embed_tokens.weight", vocab, h, 1.0f);
  add("norm.weight", 1, h, 0.2f, 1.0f);
  add("lm_head.weight", vocab, h, 0.5f);
  for (int l = 0; l < int(c["num_hidden_layers"]); ++l) {
    const std::string p = fmt::format("layers.{}.", l);
    add(p + "input_layernorm.weight", 1, h, 0.2f, 1.0f);
    add(p + "post_attention_layernorm.weight", 1, h, 0.2f, 1.0f);
    add(p + "self_attn.q_proj.weight", heads * d, h, 0.4f);
    add(p + "self_attn.k_proj.weight", kv * d, h, 0.4f);
    add(p + "self_attn.v_proj.weight", kv * d, h, 0.4f);
    add(p + "self_attn.o_proj.weight", h, heads * d, 0.4f);
    if (f == Family::kQwen2Moe) {
      add(p + "self_attn.q_proj.bias", 1, heads * d, 0.2f);
      add(p + "self_attn.k_proj.bias", 1, kv * d, 0.2f);
      add(p + "self_attn.v_proj.bias", 1, kv * d, 0.2f);
    }
    if (f == Family::kQwen3Moe) {
      add(p + "self_attn.q_norm.weight", 1, d, 0.2f, 1.0f);
      add(p + "self_attn.k_norm.weight", 1, d, 0.2f, 1.0f);
    }
    if (!is_moe_layer(f, c, l)) {
      add(p + "mlp.gate_proj.weight", ff, h, 0.4f);
      add(p + "mlp.up_proj.weight", ff, h, 0.4f);
      add(p + "mlp.down_proj.weight", h, ff, 0.4f);
      continue;
    }
    const std::string b = p + (f == Family::kMixtral ? "block_sparse_moe." : "mlp.");
    const int64_t n = expert_width(f, c);
    add(b + "gate.weight", num_experts(f, c), h, 0.8f);  // the router
    for (int e = 0; e < num_experts(f, c); ++e) {
      const std::string q = fmt::format("{}experts.{}.", b, e);
      const bool mixtral = f == Family::kMixtral;
      add(q + (mixtral ? "w1" : "gate_proj") + ".weight", n, h, 0.4f);
      add(q + (mixtral ? "w3" : "up_proj") + ".weight", n, h, 0.4f);
      add(q + (mixtral ? "w2" : "down_proj") + ".weight", h, n, 0.4f);
    }
    if (f == Family::kQwen2Moe) {
      const int64_t sn = c["shared_expert_intermediate_size"];
      add(b + "shared_expert.gate_proj.weight", sn, h, 0.4f);
      add(b + "shared_expert.up_proj.weight", sn, h, 0.4f);
      add(b + "shared_expert.down_proj.weight", h, sn, 0.4f);
      add(b + "shared_expert_gate.weight", 1, h, 0.5f);
    }
  }
  return m;
}

// Writes the checkpoint; `stacked`: the experts as transformers 5 keeps them (experts.gate_up_proj
// [E, 2n, h] and experts.down_proj [E, h, n]) under `block` instead of one tensor per expert.
void write_checkpoint(const TinyMoe& m, const std::filesystem::path& dir, bool stacked, const std::string& block) {
  std::vector<testing::TestTensor> tensors;
  std::map<std::string, std::vector<float>> gate_up, down;  // by layer prefix
  const json& c = m.config;
  const int64_t n = expert_width(m.family, c), h = c["hidden_size"];
  for (const auto& [name, w] : m.weights) {
    std::string out = name;
    const size_t at = name.find(".experts.");
    const size_t blk = name.find(m.family == Family::kMixtral ? ".block_sparse_moe." : ".mlp.");
    if (blk != std::string::npos && name.find(".mlp.gate_proj") == std::string::npos &&
        name.find(".mlp.up_proj") == std::string::npos && name.find(".mlp.down_proj") == std::string::npos) {
      const std::string layer = name.substr(0, blk);  // "layers.N"
      const std::string rest = name.substr(name.find('.', blk + 1) + 1);
      out = layer + "." + block + "." + rest;
      if (stacked && at != std::string::npos) {
        const size_t e_end = name.find('.', at + 9);
        const int e = std::stoi(name.substr(at + 9, e_end - at - 9));
        const std::string proj = name.substr(e_end + 1);
        std::vector<float>& gu = gate_up[layer];
        std::vector<float>& dn = down[layer];
        gu.resize(size_t(num_experts(m.family, c) * 2 * n * h));
        dn.resize(size_t(num_experts(m.family, c) * h * n));
        const bool is_gate = proj.starts_with("w1") || proj.starts_with("gate_proj");
        const bool is_up = proj.starts_with("w3") || proj.starts_with("up_proj");
        if (is_gate || is_up) {
          std::copy(w.v.begin(), w.v.end(), gu.begin() + (size_t(e) * 2 * size_t(n) + (is_up ? size_t(n) : 0)) * size_t(h));
        } else {
          std::copy(w.v.begin(), w.v.end(), dn.begin() + size_t(e) * size_t(h * n));
        }
        continue;
      }
    }
    const std::string full = out.starts_with("lm_head") ? out : "model." + out;
    std::vector<int64_t> shape = w.rows == 1 && out.find("shared_expert_gate") == std::string::npos
                                     ? std::vector<int64_t>{w.cols}
                                     : std::vector<int64_t>{w.rows, w.cols};
    tensors.push_back({full, "BF16", shape, testing::bf16_bytes(w.v)});
  }
  const int64_t e_count = num_experts(m.family, c);
  for (const auto& [layer, values] : gate_up)
    tensors.push_back({"model." + layer + "." + block + ".experts.gate_up_proj", "BF16", {e_count, 2 * n, h},
                       testing::bf16_bytes(values)});
  for (const auto& [layer, values] : down)
    tensors.push_back({"model." + layer + "." + block + ".experts.down_proj", "BF16", {e_count, h, n},
                       testing::bf16_bytes(values)});
  testing::write_file(dir / "model.safetensors", testing::build_safetensors(tensors));
  testing::write_file(dir / "config.json", c.dump());
}

Vec swiglu(const Matrix& gate, const Matrix& up, const Matrix& down, const Vec& x) {
  Vec g = matvec(gate, x);
  const Vec u = matvec(up, x);
  for (size_t i = 0; i < g.size(); ++i) g[i] = testing::silu(g[i]) * u[i];
  return matvec(down, g);
}

Vec moe(const TinyMoe& m, const std::string& p, const Vec& x) {
  const json& c = m.config;
  const auto& W = m.weights;
  const bool mixtral = m.family == Family::kMixtral;
  const std::string b = p + (mixtral ? "block_sparse_moe." : "mlp.");
  const Vec logits = matvec(W.at(b + "gate.weight"), x);
  const double mx = *std::max_element(logits.begin(), logits.end());
  Vec prob(logits.size());
  double sum = 0;
  for (size_t e = 0; e < prob.size(); ++e) sum += (prob[e] = std::exp(logits[e] - mx));
  for (double& v : prob) v /= sum;
  std::vector<int> order(prob.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int bb) { return prob[size_t(a)] > prob[size_t(bb)]; });
  const int k = c["num_experts_per_tok"];
  double chosen = 0;
  for (int j = 0; j < k; ++j) chosen += prob[size_t(order[size_t(j)])];
  const bool renormalize = mixtral || c.value("norm_topk_prob", true);
  Vec out(x.size(), 0.0);
  for (int j = 0; j < k; ++j) {
    const int e = order[size_t(j)];
    const double weight = renormalize ? prob[size_t(e)] / chosen : prob[size_t(e)];
    const std::string q = fmt::format("{}experts.{}.", b, e);
    const Vec y = swiglu(W.at(q + (mixtral ? "w1" : "gate_proj") + ".weight"), W.at(q + (mixtral ? "w3" : "up_proj") + ".weight"),
                         W.at(q + (mixtral ? "w2" : "down_proj") + ".weight"), x);
    for (size_t i = 0; i < out.size(); ++i) out[i] += weight * y[i];
  }
  if (m.family == Family::kQwen2Moe) {
    const Vec y = swiglu(W.at(b + "shared_expert.gate_proj.weight"), W.at(b + "shared_expert.up_proj.weight"),
                         W.at(b + "shared_expert.down_proj.weight"), x);
    const double g = 1.0 / (1.0 + std::exp(-matvec(W.at(b + "shared_expert_gate.weight"), x)[0]));
    for (size_t i = 0; i < out.size(); ++i) out[i] += g * y[i];
  }
  return out;
}

// Logits of the last position of `tokens`, as transformers computes these models (in double).
Vec reference_logits(const TinyMoe& m, const std::vector<int32_t>& tokens) {
  const json& c = m.config;
  const int64_t h = c["hidden_size"], d = head_dim(c), heads = c["num_attention_heads"], kv = c["num_key_value_heads"];
  const double eps = c["rms_norm_eps"], theta = c["rope_theta"];
  const auto& W = m.weights;
  const size_t n = tokens.size();
  std::vector<Vec> hs(n);
  for (size_t t = 0; t < n; ++t) {
    hs[t].resize(size_t(h));
    for (int64_t i = 0; i < h; ++i) hs[t][size_t(i)] = W.at("embed_tokens.weight").at(tokens[t], i);
  }
  for (int l = 0; l < int(c["num_hidden_layers"]); ++l) {
    const std::string p = fmt::format("layers.{}.", l);
    const bool biased = m.family == Family::kQwen2Moe;
    std::vector<Vec> q(n), k(n), v(n);
    for (size_t t = 0; t < n; ++t) {
      const Vec x = testing::rms_norm(hs[t], W.at(p + "input_layernorm.weight"), eps);
      q[t] = matvec(W.at(p + "self_attn.q_proj.weight"), x, biased ? &W.at(p + "self_attn.q_proj.bias") : nullptr);
      k[t] = matvec(W.at(p + "self_attn.k_proj.weight"), x, biased ? &W.at(p + "self_attn.k_proj.bias") : nullptr);
      v[t] = matvec(W.at(p + "self_attn.v_proj.weight"), x, biased ? &W.at(p + "self_attn.v_proj.bias") : nullptr);
      auto head_norm_and_rope = [&](Vec& all, int64_t count, const char* norm) {
        for (int64_t hd = 0; hd < count; ++hd) {
          if (m.family == Family::kQwen3Moe) {
            Vec head(all.begin() + hd * d, all.begin() + (hd + 1) * d);
            head = testing::rms_norm(head, W.at(p + "self_attn." + norm + ".weight"), eps);
            std::copy(head.begin(), head.end(), all.begin() + hd * d);
          }
          testing::rope(all.data() + hd * d, d, int64_t(t), theta);
        }
      };
      head_norm_and_rope(q[t], heads, "q_norm");
      head_norm_and_rope(k[t], kv, "k_norm");
    }
    const testing::AttentionSettings settings{heads, kv, d, 1.0 / std::sqrt(double(d))};
    for (size_t t = 0; t < n; ++t) {
      const Vec attn = testing::attention(q, k, v, t, settings);
      const Vec o = matvec(W.at(p + "self_attn.o_proj.weight"), attn);
      for (int64_t i = 0; i < h; ++i) hs[t][size_t(i)] += o[size_t(i)];
      const Vec x = testing::rms_norm(hs[t], W.at(p + "post_attention_layernorm.weight"), eps);
      const Vec y = is_moe_layer(m.family, c, l)
                        ? moe(m, p, x)
                        : swiglu(W.at(p + "mlp.gate_proj.weight"), W.at(p + "mlp.up_proj.weight"), W.at(p + "mlp.down_proj.weight"), x);
      for (int64_t i = 0; i < h; ++i) hs[t][size_t(i)] += y[size_t(i)];
    }
  }
  return matvec(W.at("lm_head.weight"), testing::rms_norm(hs[n - 1], W.at("norm.weight"), eps));
}

// Three prompts batched, 8 greedy steps each.
void expect_matches_reference(const TinyMoe& m, const std::filesystem::path& dir, int chunk) {
  testing::expect_greedy_matches(dir, {{2, 7, 13, 21, 5, 33, 9}, {2, 40}, {2, 3, 3, 3, 44, 11}}, 8, chunk,
                                 [&](const std::vector<int32_t>& tokens) { return reference_logits(m, tokens); });
}

class MoeForward : public ::testing::Test {
 protected:
  testing::TempDir dir_;
};

TEST_F(MoeForward, MixtralMatchesTheReferenceUnderEitherLayout) {
  const TinyMoe m = make_tiny(Family::kMixtral, 11);
  write_checkpoint(m, dir_.path(), /*stacked=*/false, "block_sparse_moe");
  expect_matches_reference(m, dir_.path(), 512);
  expect_matches_reference(m, dir_.path(), 4);  // chunked prefill: MoE rows of prefills and decodes mixed
  write_checkpoint(m, dir_.path(), /*stacked=*/true, "mlp");
  expect_matches_reference(m, dir_.path(), 512);
}

TEST_F(MoeForward, Qwen2MoeWithItsSharedExpertMatchesTheReference) {
  const TinyMoe m = make_tiny(Family::kQwen2Moe, 12);
  write_checkpoint(m, dir_.path(), /*stacked=*/false, "mlp");
  expect_matches_reference(m, dir_.path(), 512);
  write_checkpoint(m, dir_.path(), /*stacked=*/true, "mlp");
  expect_matches_reference(m, dir_.path(), 5);
}

TEST_F(MoeForward, Qwen3MoeMatchesTheReference) {
  const TinyMoe m = make_tiny(Family::kQwen3Moe, 13);
  write_checkpoint(m, dir_.path(), /*stacked=*/false, "mlp");
  expect_matches_reference(m, dir_.path(), 512);
  write_checkpoint(m, dir_.path(), /*stacked=*/true, "mlp");
  expect_matches_reference(m, dir_.path(), 512);
}

TEST_F(MoeForward, ConfigsThatCannotBeServedFailNamingTheField) {
  const TinyMoe m = make_tiny(Family::kQwen3Moe, 14);
  auto load_error = [&](const json& config) {
    write_checkpoint(m, dir_.path(), false, "mlp");
    testing::write_file(dir_.path() / "config.json", config.dump());
    const auto backend = make_cpu_backend(1);
    return error_message([&] { load_model(dir_.path(), *backend); });
  };
  json c = m.config;
  c["num_experts_per_tok"] = 9;
  EXPECT_NE(load_error(c).find("num_experts_per_tok (9) exceeds num_experts (8)"), std::string::npos);
  c = m.config;
  c.erase("moe_intermediate_size");
  EXPECT_NE(load_error(c).find("moe_intermediate_size"), std::string::npos);
  c = m.config;
  c["hidden_act"] = "gelu_pytorch_tanh";
  EXPECT_NE(load_error(c).find("mixture-of-experts"), std::string::npos);
  c = m.config;
  c["mlp_only_layers"] = {7};
  EXPECT_NE(load_error(c).find("mlp_only_layers"), std::string::npos);
  c = m.config;
  c["use_sliding_window"] = true;
  EXPECT_NE(load_error(c).find("use_sliding_window"), std::string::npos);
}

}  // namespace
}  // namespace turbine
