// DeviceWeights and the decoder's projection stacking on a backend with its own memory: the
// backend's linear table decides each weight's device format (converted or copied as stored),
// tied tensors share one copy, and only parts of one format stack.
#include "model/device_weights.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "fake_device_backend.h"
#include "model/decoder_layers.h"

namespace turbine {
namespace {

using testing::FakeDeviceBackend;

// Host memory a test tensor views (the "checkpoint").
struct HostBytes {
  std::vector<char> bytes;
  Tensor tensor(DType dtype, int64_t rows, int64_t cols) {
    bytes.assign(size_t(rows * cols) * dtype_size(dtype), 0);
    return {bytes.data(), dtype, rows, cols};
  }
};

TEST(DeviceWeights, TheBackendsTableConvertsDenseF32AndCopiesOthersAsStored) {
  FakeDeviceBackend device;
  HostBytes w_bytes, b_bytes, q_bytes, s_bytes;
  LinearWeights dense = LinearWeights::dense(w_bytes.tensor(DType::kF32, 2, 2));
  const float values[4] = {3.14159f, -1.0f, 65504.0f, 1e-3f};
  std::memcpy(dense.weight.data, values, sizeof values);
  dense.bias = b_bytes.tensor(DType::kF32, 1, 2);
  dense.bias.as<float>()[1] = 2.5f;

  LinearWeights int8;  // a format the table runs as stored: bytes cross unchanged
  int8.format = WeightFormat::kInt8Group;
  int8.weight = q_bytes.tensor(DType::kI8, 2, 4);
  for (int i = 0; i < 8; ++i) int8.weight.as<int8_t>()[i] = int8_t(i * 37 - 128);
  int8.scales = s_bytes.tensor(DType::kF32, 2, 1);
  int8.scales.as<float>()[0] = 0.125f;
  int8.group_size = 4;

  std::vector<WeightUpload> uploads;
  add_linear_uploads(device.linear_formats(), dense, DType::kBF16, uploads);
  add_linear_uploads(device.linear_formats(), int8, DType::kBF16, uploads);
  EXPECT_EQ(dense.format, WeightFormat::kDenseBF16);  // what the table prepares dense F32 as
  EXPECT_EQ(int8.format, WeightFormat::kInt8Group);
  ASSERT_EQ(uploads.size(), 4u);  // weight + bias, weight + scales

  const DeviceWeights weights = DeviceWeights::upload(device, uploads);
  EXPECT_GT(weights.bytes(), 0u);
  EXPECT_EQ(dense.weight.dtype, DType::kBF16);
  EXPECT_NE(dense.weight.data, static_cast<void*>(w_bytes.bytes.data()));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(dense.weight.as<uint16_t>()[i], f32_to_bf16(values[i])) << i;
  EXPECT_EQ(dense.bias.dtype, DType::kBF16);
  EXPECT_EQ(bf16_to_f32(dense.bias.as<uint16_t>()[1]), 2.5f);

  EXPECT_EQ(int8.weight.dtype, DType::kI8);
  EXPECT_NE(int8.weight.data, static_cast<void*>(q_bytes.bytes.data()));
  EXPECT_EQ(std::memcmp(int8.weight.data, q_bytes.bytes.data(), 8), 0);
  EXPECT_EQ(int8.scales.dtype, DType::kF32);
  EXPECT_EQ(int8.scales.as<float>()[0], 0.125f);
  EXPECT_EQ(int8.group_size, 4);
  for (const void* p : {int8.weight.data, int8.scales.data, dense.weight.data, dense.bias.data})
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 256, 0u);
}

TEST(DeviceWeights, TiedTensorsShareOneCopy) {
  FakeDeviceBackend device;
  HostBytes e_bytes;
  Tensor embed = e_bytes.tensor(DType::kF32, 4, 8);
  embed.as<float>()[5] = 7.0f;
  LinearWeights lm_head = LinearWeights::dense(embed);
  std::vector<WeightUpload> uploads = {{&embed, DType::kBF16}};
  add_linear_uploads(device.linear_formats(), lm_head, DType::kBF16, uploads);
  const DeviceWeights weights = DeviceWeights::upload(device, uploads);
  EXPECT_EQ(embed.data, lm_head.weight.data);
  EXPECT_EQ(weights.bytes(), 256u);  // 4 x 8 BF16 = 64 bytes, once, padded to 256
  EXPECT_EQ(bf16_to_f32(embed.as<uint16_t>()[5]), 7.0f);
}

// Projections of one layer with the given q, k, v and gate, up formats (checkpoint dtypes).
struct LayerFixture {
  std::vector<HostBytes> host = std::vector<HostBytes>(7);
  std::vector<DecoderLayer> layers = std::vector<DecoderLayer>(1);

  LayerFixture(DType q, DType kv, DType gate, DType up) {
    AttentionWeights& a = layers[0].attention;
    a.q = LinearWeights::dense(host[0].tensor(q, 8, 16));
    a.k = LinearWeights::dense(host[1].tensor(kv, 4, 16));
    a.v = LinearWeights::dense(host[2].tensor(kv, 4, 16));
    a.o = LinearWeights::dense(host[3].tensor(DType::kBF16, 16, 8));
    GatedMlpWeights& m = layers[0].mlp;
    m.gate = LinearWeights::dense(host[4].tensor(gate, 32, 16));
    m.up = LinearWeights::dense(host[5].tensor(up, 32, 16));
    m.down = LinearWeights::dense(host[6].tensor(DType::kBF16, 16, 32));
  }
  DeviceWeights upload(Backend& backend) {
    std::vector<WeightUpload> uploads;
    for (LinearWeights* p : projections(layers[0])) add_linear_uploads(backend.linear_formats(), *p, DType::kBF16, uploads);
    DeviceWeights w = DeviceWeights::upload(backend, uploads, projection_groups(layers));
    set_fused_views(layers);
    return w;
  }
};

TEST(ProjectionStacking, PartsThatRunInOneFormatStackEvenFromMixedCheckpointDtypes) {
  FakeDeviceBackend device;
  // q is F32 in the checkpoint, k and v BF16: all run as dense BF16 on the device, so they stack.
  LayerFixture f(DType::kF32, DType::kBF16, DType::kBF16, DType::kBF16);
  const DeviceWeights w = f.upload(device);
  const AttentionWeights& a = f.layers[0].attention;
  ASSERT_FALSE(a.qkv.empty());
  EXPECT_EQ(a.qkv.format, WeightFormat::kDenseBF16);
  EXPECT_EQ(a.qkv.weight.rows, 16);
  EXPECT_EQ(a.qkv.weight.data, a.q.weight.data);
  EXPECT_EQ(a.k.weight.data, static_cast<char*>(a.q.weight.data) + a.q.weight.nbytes());
  const GatedMlpWeights& m = f.layers[0].mlp;
  ASSERT_FALSE(m.gate_up.empty());
  EXPECT_EQ(m.gate_up.weight.rows, 64);
}

TEST(ProjectionStacking, PartsOfDifferentFormatsOrQuantizedFormatsDoNotStack) {
  std::vector<DecoderLayer> layers(1);
  HostBytes b[5];
  AttentionWeights& a = layers[0].attention;
  a.q = LinearWeights::dense(b[0].tensor(DType::kF16, 8, 16));  // as on a backend that runs F16 and BF16
  a.k = LinearWeights::dense(b[1].tensor(DType::kBF16, 4, 16));
  a.v = LinearWeights::dense(b[2].tensor(DType::kBF16, 4, 16));
  GatedMlpWeights& m = layers[0].mlp;
  for (LinearWeights* l : {&m.gate, &m.up}) {
    l->format = WeightFormat::kInt8Group;  // same format, but quantized: scales would need stacking too
    l->weight = b[3].tensor(DType::kI8, 32, 16);
  }
  EXPECT_TRUE(projection_groups(layers).empty());

  a.q = LinearWeights::dense(b[4].tensor(DType::kBF16, 8, 16));
  const auto groups = projection_groups(layers);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0], (std::vector<Tensor*>{&a.q.weight, &a.k.weight, &a.v.weight}));
}

}  // namespace
}  // namespace turbine
