// Per-layer specs: the uniform spec reproduces the single attention shape models had before specs
// (so existing models run the same ops), a spec that does not fit its config aborts, several RoPE
// tables each give their own rows, and a sandwich layer loads its four norms by their names.
#include "model/decoder_spec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "model/decoder_layers.h"
#include "model/linear_loader.h"
#include "model/rope_tables.h"
#include "model/weight_store.h"
#include "unit/loader/error_matchers.h"
#include "unit/loader/safetensors_writer.h"

namespace turbine {
namespace {

using testing::error_message;
using testing::expect_contains_all;

ModelConfig tiny_config() {
  ModelConfig c;
  c.hidden_size = 8;
  c.intermediate_size = 12;
  c.num_layers = 3;
  c.num_heads = 2;
  c.num_kv_heads = 1;
  c.head_dim = 4;
  c.vocab_size = 16;
  c.max_position_embeddings = 64;
  return c;
}

TEST(DecoderSpec, UniformSpecIsTheOneShapeOfEveryLayer) {
  const ModelConfig c = tiny_config();
  const DecoderSpec spec = uniform_decoder_spec(c, 16);
  ASSERT_EQ(spec.layers.size(), 3u);
  ASSERT_EQ(spec.rope_tables.size(), 1u);
  for (const LayerSpec& l : spec.layers) {
    const AttentionShape shape = DecoderStep::attention_shape(c, l, 32);
    EXPECT_EQ(shape.sliding_window, 16);
    EXPECT_EQ(shape.scale, 1.0f / std::sqrt(4.0f));  // bit for bit what the single shape used
    EXPECT_EQ(shape.logit_softcap, 0.0f);
    EXPECT_EQ(shape.block_size, 32);
    EXPECT_EQ(shape.num_heads, 2);
    EXPECT_EQ(shape.num_kv_heads, 1);
    EXPECT_EQ(l.rope_table, 0);
    EXPECT_EQ(l.norms, NormPlacement::kPreNorm);
  }
  check_decoder_spec(spec, c);
}

TEST(DecoderSpec, LayerShapesFollowTheirOwnSpec) {
  const ModelConfig c = tiny_config();
  DecoderSpec spec = uniform_decoder_spec(c);
  spec.layers[0].sliding_window = 4096;
  spec.layers[0].attn_logit_softcap = 50.0f;
  spec.layers[0].softmax_scale = 0.0625f;
  const AttentionShape local = DecoderStep::attention_shape(c, spec.layers[0], 16);
  const AttentionShape global = DecoderStep::attention_shape(c, spec.layers[1], 16);
  EXPECT_EQ(local.sliding_window, 4096);
  EXPECT_EQ(local.logit_softcap, 50.0f);
  EXPECT_EQ(local.scale, 0.0625f);
  EXPECT_EQ(global.sliding_window, 0);
  EXPECT_EQ(global.logit_softcap, 0.0f);
}

TEST(DecoderSpecDeathTest, SpecsThatDoNotFitTheConfigAbort) {
  const ModelConfig c = tiny_config();
  DecoderSpec spec = uniform_decoder_spec(c);
  spec.layers[2].rope_table = 1;  // only table 0 exists
  EXPECT_DEATH(check_decoder_spec(spec, c), "RoPE table 1 of 1");
  spec = uniform_decoder_spec(c);
  spec.layers.pop_back();
  EXPECT_DEATH(check_decoder_spec(spec, c), "2 layers, the config 3");
  spec = uniform_decoder_spec(c);
  spec.layers[1].attn_logit_softcap = -1.0f;
  EXPECT_DEATH(check_decoder_spec(spec, c), "layer 1");
}

// Two tables (Gemma 3's global base and a local one): each step fills both, each with its own
// RoPE's rows, on a backend that computes them on the host.
TEST(RopeTables, EachTableFillsItsOwnRows) {
  RopeConfig global, local;
  global.theta = 1000000.0;
  local.theta = 10000.0;
  const RopeTables tables({global, local}, 8, 64);
  ASSERT_EQ(tables.size(), 2);
  const auto cpu = make_cpu_backend(1);
  const std::vector<int32_t> positions = {0, 5, 17, 63}, lens = {1, 6, 18, 64};
  ForwardBatch batch;
  batch.num_tokens = 4;
  batch.positions = batch.positions_host = positions.data();
  batch.step_lens_host = lens.data();
  std::vector<float> rows0(4 * 8, -1.0f), rows1(4 * 8, -1.0f), scratch;
  Tensor out[2] = {{rows0.data(), DType::kF32, 4, 8}, {rows1.data(), DType::kF32, 4, 8}};
  tables.fill_step(*cpu, batch, out, scratch);
  std::vector<float> want0(4 * 8), want1(4 * 8);
  RotaryEmbedding(global, 8, 64).fill(positions.data(), lens.data(), 4, want0.data());
  RotaryEmbedding(local, 8, 64).fill(positions.data(), lens.data(), 4, want1.data());
  EXPECT_EQ(rows0, want0);
  EXPECT_EQ(rows1, want1);
  EXPECT_NE(rows0, rows1);
  EXPECT_FALSE(tables.on_device());  // host rows: not graph-capturable
}

class SandwichLayerTest : public ::testing::Test {
 protected:
  // Layer 0's tensors of tiny_config(), with the norms given.
  void write_layer(const std::vector<std::string>& norm_names) {
    const ModelConfig c = tiny_config();
    std::vector<testing::TestTensor> tensors;
    auto add = [&](const std::string& name, std::vector<int64_t> shape) {
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      tensors.push_back({"model.layers.0." + name, "F32", shape, testing::f32_bytes(std::vector<float>(size_t(n), 1.0f))});
    };
    for (const std::string& norm : norm_names) add(norm + ".weight", {c.hidden_size});
    add("self_attn.q_proj.weight", {8, 8});
    add("self_attn.k_proj.weight", {4, 8});
    add("self_attn.v_proj.weight", {4, 8});
    add("self_attn.o_proj.weight", {8, 8});
    add("mlp.gate_proj.weight", {12, 8});
    add("mlp.up_proj.weight", {12, 8});
    add("mlp.down_proj.weight", {8, 12});
    testing::write_file(dir_.path() / "model.safetensors", testing::build_safetensors(tensors));
  }

  DecoderLayer load(NormPlacement norms) {
    ModelConfig c = tiny_config();
    c.dir = dir_.path();
    WeightStore store = WeightStore::open(dir_.path());
    const auto cpu = make_cpu_backend(1);
    LayerSpec spec;
    spec.softmax_scale = 0.5f;
    spec.norms = norms;
    DecoderLayer layer = load_decoder_layer(store, LinearLoader::for_model(c, *cpu), c, 0, {}, spec);
    store.check_all_used();
    return layer;
  }

  testing::TempDir dir_;
};

TEST_F(SandwichLayerTest, SandwichLayersLoadFourNorms) {
  write_layer({"input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm",
               "post_feedforward_layernorm"});
  DecoderLayer layer = load(NormPlacement::kSandwich);
  EXPECT_NE(layer.attention_norm.data, nullptr);
  EXPECT_NE(layer.attention_out_norm.data, nullptr);
  EXPECT_NE(layer.mlp_norm.data, nullptr);
  EXPECT_NE(layer.mlp_out_norm.data, nullptr);
  EXPECT_EQ(norms(layer).size(), 4u);
}

TEST_F(SandwichLayerTest, PreNormLayersTakePostAttentionLayernormBeforeTheMlp) {
  write_layer({"input_layernorm", "post_attention_layernorm"});
  DecoderLayer layer = load(NormPlacement::kPreNorm);
  EXPECT_NE(layer.mlp_norm.data, nullptr);
  EXPECT_EQ(layer.attention_out_norm.data, nullptr);
  EXPECT_EQ(layer.mlp_out_norm.data, nullptr);
  EXPECT_EQ(norms(layer).size(), 2u);
}

TEST_F(SandwichLayerTest, AMissingSandwichNormIsNamed) {
  write_layer({"input_layernorm", "post_attention_layernorm", "post_feedforward_layernorm"});
  expect_contains_all(error_message([&] { load(NormPlacement::kSandwich); }),
                      {"model.layers.0.pre_feedforward_layernorm.weight"});
}

}  // namespace
}  // namespace turbine
