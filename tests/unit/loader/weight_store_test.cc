// WeightStore: single and sharded folders, shape checks, usage tracking, and the real
// stories260K checkpoint.
#include "model/weight_store.h"

#include <gtest/gtest.h>

#include <cstring>

#include "error_matchers.h"
#include "safetensors_writer.h"

namespace turbine {
namespace {

using testing::error_message;
using testing::expect_contains_all;
using testing::TempDir;
using testing::TestTensor;

namespace fs = std::filesystem;

constexpr std::string_view kShard1 = "model-00001-of-00002.safetensors";
constexpr std::string_view kShard2 = "model-00002-of-00002.safetensors";

float element(const Tensor& t, int64_t i) {
  switch (t.dtype) {
    case DType::kF32:
      return t.as<const float>()[i];
    case DType::kBF16:
      return bf16_to_f32(t.as<const uint16_t>()[i]);
    case DType::kF16:
      return f16_to_f32(t.as<const uint16_t>()[i]);
    default: break;  // the tests make compute dtypes only
  }
  return 0;
}

bool inside(const void* p, std::span<const std::byte> range) {
  const auto* b = static_cast<const std::byte*>(p);
  return b >= range.data() && b < range.data() + range.size();
}

// A folder with one model.safetensors of three dtypes.
void write_single(const fs::path& dir) {
  testing::write_file(dir / "model.safetensors",
                      testing::build_safetensors(
                          {{"embed.weight", "F32", {2, 3}, testing::f32_bytes({1, 2, 3, 4, 5, 6})},
                           {"norm.weight", "BF16", {4}, testing::bf16_bytes({0.5f, -1, 2, 8})},
                           {"proj.weight", "F16", {2, 2}, testing::f16_bytes({0.25f, 3, -4, 1024})},
                           {"rotary.inv_freq", "F32", {2}, testing::f32_bytes({1, 0.5f})}}));
}

// A folder with two shards and an index; `index_json` replaces the correct index when given.
void write_sharded(const fs::path& dir, std::string_view index_json = "") {
  testing::write_file(
      dir / kShard1,
      testing::build_safetensors({{"a.weight", "F32", {2, 2}, testing::f32_bytes({1, 2, 3, 4})},
                                  {"b.weight", "BF16", {2}, testing::bf16_bytes({5, 6})}}));
  testing::write_file(
      dir / kShard2,
      testing::build_safetensors({{"c.weight", "F16", {1, 3}, testing::f16_bytes({7, 8, 9})}}));
  const std::string good_index = fmt::format(
      R"({{"metadata": {{"total_size": 26}}, "weight_map": {{"a.weight": "{0}", "b.weight": "{0}",
          "c.weight": "{1}"}}}})",
      kShard1, kShard2);
  testing::write_file(dir / "model.safetensors.index.json",
                      index_json.empty() ? good_index : std::string(index_json));
}

TEST(WeightStore, LoadsASingleFileZeroCopyWithValues) {
  TempDir dir;
  write_single(dir.path());
  WeightStore store = WeightStore::open(dir.path());
  EXPECT_EQ(store.num_files(), 1u);
  EXPECT_EQ(store.file_path(0), dir.path() / "model.safetensors");
  EXPECT_EQ(store.weights().size(), 4u);
  EXPECT_EQ(store.total_bytes(), 24u + 8u + 8u + 8u);
  EXPECT_EQ(store.copied_bytes(), 0u);
  EXPECT_TRUE(store.contains("norm.weight"));
  EXPECT_FALSE(store.contains("norm"));

  const Tensor embed = store.get("embed.weight", {2, 3});
  EXPECT_EQ(embed.dtype, DType::kF32);
  EXPECT_EQ(embed.rows, 2);
  EXPECT_EQ(embed.cols, 3);
  EXPECT_EQ(element(embed, 5), 6.0f);
  EXPECT_TRUE(inside(embed.data, store.file(0).file_bytes()));

  const Tensor norm = store.get("norm.weight", {4});  // 1-D comes back as [1, n]
  EXPECT_EQ(norm.dtype, DType::kBF16);
  EXPECT_EQ(norm.rows, 1);
  EXPECT_EQ(norm.cols, 4);
  EXPECT_EQ(element(norm, 0), 0.5f);
  EXPECT_EQ(element(norm, 3), 8.0f);
  EXPECT_TRUE(inside(norm.data, store.file(0).file_bytes()));

  const int64_t proj_shape[] = {2, 2};
  const Tensor proj = store.get("proj.weight", proj_shape);
  EXPECT_EQ(proj.dtype, DType::kF16);
  EXPECT_EQ(element(proj, 2), -4.0f);
  EXPECT_EQ(element(proj, 3), 1024.0f);

  const WeightInfo& rotary = store.get_raw("rotary.inv_freq");
  EXPECT_EQ(rotary.shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(rotary.nbytes, 8u);
  store.check_all_used();

  // Views survive moving the store.
  WeightStore moved = std::move(store);
  EXPECT_EQ(moved.get("embed.weight", {2, 3}).data, embed.data);
}

TEST(WeightStore, LoadsAShardedFolder) {
  TempDir dir;
  write_sharded(dir.path());
  WeightStore store = WeightStore::open(dir.path());
  ASSERT_EQ(store.num_files(), 2u);
  EXPECT_EQ(store.total_bytes(), 16u + 4u + 6u);

  const Tensor a = store.get("a.weight", {2, 2});
  const Tensor b = store.get("b.weight", {2});
  const Tensor c = store.get("c.weight", {1, 3});
  EXPECT_EQ(element(a, 3), 4.0f);
  EXPECT_EQ(element(b, 1), 6.0f);
  EXPECT_EQ(element(c, 2), 9.0f);
  EXPECT_EQ(store.file_path(store.find("a.weight")->file_index).filename(), kShard1);
  EXPECT_EQ(store.file_path(store.find("c.weight")->file_index).filename(), kShard2);
  EXPECT_TRUE(inside(c.data, store.file(store.find("c.weight")->file_index).file_bytes()));
  store.check_all_used();
}

TEST(WeightStore, MissingTensorNamesFolderAndFiles) {
  TempDir dir;
  write_sharded(dir.path());
  WeightStore store = WeightStore::open(dir.path());
  expect_contains_all(error_message([&] {
                        store.get("model.layers.3.self_attn.q_proj.weight", {2, 2});
                      }),
                      {"model.layers.3.self_attn.q_proj.weight: missing from", dir.path().string(),
                       kShard1, kShard2});
  expect_contains_all(error_message([&] { store.get_raw("nope"); }), {"nope", "missing"});
}

TEST(WeightStore, ShapeMismatchNamesTensorFileAndBothShapes) {
  TempDir dir;
  write_single(dir.path());
  WeightStore store = WeightStore::open(dir.path());
  expect_contains_all(error_message([&] {
                        store.get("embed.weight", {3, 2});
                      }),
                      {"embed.weight", "model.safetensors", "[2, 3]", "expected [3, 2]"});
  expect_contains_all(error_message([&] {
                        store.get("norm.weight", {1, 4});
                      }),
                      {"norm.weight", "[4]", "expected [1, 4]"});
  expect_contains_all(error_message([&] { store.get("embed.weight", {6}); }),
                      {"embed.weight", "expected [6]"});
}

TEST(WeightStore, RanksOtherThanOneOrTwoNeedGetRaw) {
  TempDir dir;
  testing::write_file(
      dir.path() / "model.safetensors",
      testing::build_safetensors({{"conv", "F32", {2, 1, 2}, testing::f32_bytes({1, 2, 3, 4})},
                                  {"scale", "F32", {}, testing::f32_bytes({9})}}));
  WeightStore store = WeightStore::open(dir.path());
  expect_contains_all(error_message([&] {
                        store.get("conv", {2, 2});
                      }),
                      {"conv", "[2, 1, 2]", "expected [2, 2]"});
  EXPECT_EQ(store.get_raw("conv").shape, (std::vector<int64_t>{2, 1, 2}));
  EXPECT_TRUE(store.get_raw("scale").shape.empty());
  store.check_all_used();
}

TEST(WeightStore, CheckAllUsedListsUnusedTensorsUnlessIgnored) {
  TempDir dir;
  write_single(dir.path());
  WeightStore store = WeightStore::open(dir.path());
  store.get("embed.weight", {2, 3});
  const std::string message = error_message([&] { store.check_all_used(); });
  expect_contains_all(message, {dir.path().string(), "3 tensors", "norm.weight (model.safetensors)",
                                "proj.weight", "rotary.inv_freq"});
  EXPECT_EQ(message.find("embed.weight"), std::string::npos) << message;

  store.ignore_if_present("rotary.inv_freq");
  store.ignore_if_present("lm_head.weight");  // absent: fine
  store.ignore_if([](std::string_view name) { return name.starts_with("proj."); });
  const std::string rest = error_message([&] { store.check_all_used(); });
  expect_contains_all(rest, {"1 tensor ", "norm.weight"});
  EXPECT_EQ(rest.find("rotary"), std::string::npos) << rest;
  EXPECT_EQ(rest.find("proj"), std::string::npos) << rest;

  store.get("norm.weight", {4});
  store.check_all_used();
}

TEST(WeightStore, CheckAllUsedSummarisesLongLists) {
  TempDir dir;
  std::vector<TestTensor> tensors;
  for (int i = 0; i < 25; ++i) {
    tensors.push_back({fmt::format("t{:02}", i), "F32", {1}, testing::f32_bytes({float(i)})});
  }
  testing::write_file(dir.path() / "model.safetensors", testing::build_safetensors(tensors));
  const WeightStore store = WeightStore::open(dir.path());
  expect_contains_all(error_message([&] { store.check_all_used(); }),
                      {"25 tensors", "t00", "t19", "and 5 more"});
}

TEST(WeightStore, MisalignedTensorsAreCopiedToAlignedMemory) {
  TempDir dir;
  // A 2-byte BF16 tensor first pushes the F32 tensor to an odd multiple of 2.
  const std::string header = R"({"h":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]},)"
                             R"("f":{"dtype":"F32","shape":[2],"data_offsets":[2,10]}})";
  std::string padded = header;
  while ((8 + padded.size()) % 8 != 0) padded += ' ';
  testing::write_file(dir.path() / "model.safetensors",
                      testing::build_raw_safetensors(
                          padded, testing::bf16_bytes({1}) + testing::f32_bytes({2.5f, -3})));
  WeightStore store = WeightStore::open(dir.path());
  EXPECT_EQ(store.copied_bytes(), 8u);
  const Tensor f = store.get("f", {2});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(f.data) % alignof(float), 0u);
  EXPECT_FALSE(inside(f.data, store.file(0).file_bytes()));
  EXPECT_EQ(element(f, 0), 2.5f);
  EXPECT_EQ(element(f, 1), -3.0f);
  EXPECT_TRUE(inside(store.get("h", {1}).data, store.file(0).file_bytes()));
}

// FP8 and integer tensors load zero-copy like float ones; only get_stored hands them out, since
// only a weight format's loader knows what their bytes mean.
TEST(WeightStore, StorageDtypesLoadAsRawViewsThatOnlyGetStoredReturns) {
  TempDir dir;
  const std::string fp8("\x38\xb8\x40\x00\x7e\x01", 6);  // six F8_E4M3 values
  const std::string packed = std::string("\x10\x32\x54\x76", 4) + std::string("\x98\xba\xdc\xfe", 4);
  testing::write_file(dir.path() / "model.safetensors",
                      testing::build_safetensors({{"fp8.weight", "F8_E4M3", {2, 3}, fp8},
                                                  {"fp8.weight_scale", "F32", {2, 1}, testing::f32_bytes({0.5f, 2})},
                                                  {"int4.qweight", "I32", {1, 2}, packed},
                                                  {"int8.weight", "I8", {2}, std::string("\x7f\x80", 2)}}));
  WeightStore store = WeightStore::open(dir.path());

  const Tensor w = store.get_stored("fp8.weight", {2, 3});
  EXPECT_EQ(w.dtype, DType::kF8E4M3);
  EXPECT_EQ(w.rows, 2);
  EXPECT_EQ(w.cols, 3);
  EXPECT_EQ(w.nbytes(), 6u);
  EXPECT_TRUE(inside(w.data, store.file(0).file_bytes()));  // a view of the mapping, not a copy
  EXPECT_EQ(std::memcmp(w.data, fp8.data(), 6), 0);
  const Tensor q = store.get_stored("int4.qweight", {1, 2});
  EXPECT_EQ(q.dtype, DType::kI32);
  EXPECT_EQ(std::memcmp(q.data, packed.data(), 8), 0);
  const Tensor i8 = store.get_stored("int8.weight", {2});
  EXPECT_EQ(i8.dtype, DType::kI8);
  EXPECT_EQ(i8.rows, 1);
  EXPECT_EQ(static_cast<const int8_t*>(i8.data)[1], -128);
  EXPECT_EQ(store.get("fp8.weight_scale", {2, 1}).dtype, DType::kF32);
  // get_stored still checks the shape.
  expect_contains_all(error_message([&] { store.get_stored("fp8.weight", {3, 2}); }),
                      {"fp8.weight", "[2, 3]", "expected [3, 2]"});
  store.check_all_used();

  // get() is for tensors ops compute on: a storage dtype fails, naming the tensor and its dtype.
  expect_contains_all(error_message([&] { store.get("fp8.weight", {2, 3}); }),
                      {"fp8.weight", "F8_E4M3", "expected F32, BF16 or F16", "model.safetensors"});
  expect_contains_all(error_message([&] { store.get("int8.weight", {2}); }), {"int8.weight", "dtype is I8"});
}

TEST(WeightStore, FolderWithoutWeightsNamesTheExpectedFiles) {
  TempDir dir;
  expect_contains_all(error_message([&] { WeightStore::open(dir.path()); }),
                      {dir.path().string(), "model.safetensors", "model.safetensors.index.json"});
  testing::write_file(dir.path() / "pytorch_model.bin", "pickle");
  expect_contains_all(error_message([&] { WeightStore::open(dir.path()); }),
                      {"pytorch_model.bin", "not supported"});
  expect_contains_all(error_message([&] { WeightStore::open(dir.path() / "absent"); }),
                      {"absent", "does not exist"});
}

TEST(WeightStore, ErrorsInsideAFileNameTheFile) {
  TempDir dir;
  testing::write_file(dir.path() / "model.safetensors",
                      testing::build_raw_safetensors(
                          R"({"w": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}})",
                          std::string(8, '\0')));
  expect_contains_all(error_message([&] { WeightStore::open(dir.path()); }),
                      {(dir.path() / "model.safetensors").string(), "'w'", "C64"});
}

TEST(WeightStore, RejectsIndexesThatDisagreeWithTheShards) {
  const std::string index_name = "model.safetensors.index.json";
  struct Case {
    std::string index;
    std::vector<std::string> must_mention;
  };
  const Case cases[] = {
      {R"({"metadata": {}})", {index_name, "weight_map"}},
      // A shard that does not exist.
      {fmt::format(R"({{"weight_map": {{"a.weight": "{}", "b.weight": "{}", "c.weight": "{}",
                       "d.weight": "model-00003-of-00003.safetensors"}}}})",
                   kShard1, kShard1, kShard2),
       {index_name, "model-00003-of-00003.safetensors", "not in"}},
      // A tensor the index puts in the wrong shard.
      {fmt::format(R"({{"weight_map": {{"a.weight": "{}", "b.weight": "{}", "c.weight": "{}"}}}})",
                   kShard1, kShard2, kShard2),
       {index_name, "'b.weight'", std::string(kShard1), std::string(kShard2)}},
      // A tensor in a shard that the index does not list.
      {fmt::format(R"({{"weight_map": {{"a.weight": "{}", "c.weight": "{}"}}}})", kShard1, kShard2),
       {index_name, "'b.weight'", std::string(kShard1), "not listed"}},
      // A tensor the index lists but no shard has.
      {fmt::format(R"({{"weight_map": {{"a.weight": "{0}", "b.weight": "{0}", "c.weight": "{1}",
                       "e.weight": "{1}"}}}})",
                   kShard1, kShard2),
       {index_name, "'e.weight'", std::string(kShard2), "does not contain"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.index);
    TempDir dir;
    write_sharded(dir.path(), c.index);
    const std::string message = error_message([&] { WeightStore::open(dir.path()); });
    for (const auto& part : c.must_mention) expect_contains_all(message, {part});
  }
}

TEST(WeightStore, RejectsATensorInTwoShards) {
  TempDir dir;
  write_sharded(dir.path(), fmt::format(R"({{"weight_map": {{"a.weight": "{0}", "b.weight": "{0}",
                                            "c.weight": "{1}"}}}})",
                                        kShard1, kShard2));
  // Rewrite shard 2 so it also holds a.weight.
  testing::write_file(
      dir.path() / kShard2,
      testing::build_safetensors({{"a.weight", "F32", {2, 2}, testing::f32_bytes({1, 2, 3, 4})},
                                  {"c.weight", "F16", {1, 3}, testing::f16_bytes({7, 8, 9})}}));
  expect_contains_all(error_message([&] { WeightStore::open(dir.path()); }),
                      {"'a.weight'", "two shards", kShard1, kShard2});
}

TEST(WeightStore, RejectsATruncatedShardNamingIt) {
  TempDir dir;
  write_sharded(dir.path());
  fs::resize_file(dir.path() / kShard2, fs::file_size(dir.path() / kShard2) - 2);
  expect_contains_all(error_message([&] { WeightStore::open(dir.path()); }),
                      {(dir.path() / kShard2).string(), "'c.weight'", "truncated"});
}

TEST(WeightStore, IndexWinsOverASingleFile) {
  TempDir dir;
  write_sharded(dir.path());
  write_single(dir.path());
  const WeightStore store = WeightStore::open(dir.path());
  EXPECT_EQ(store.num_files(), 2u);
  EXPECT_TRUE(store.contains("c.weight"));
  EXPECT_FALSE(store.contains("embed.weight"));
}

TEST(WeightStore, LoadsStories260K) {
  const fs::path dir = fs::path(TURBINE_SHARED_DIR) / "models" / "stories260K";
  if (!fs::exists(dir / "model.safetensors")) GTEST_SKIP() << dir << " is not present";
  WeightStore store = WeightStore::open(dir);
  const Tensor embed = store.get("model.embed_tokens.weight", {512, 64});
  EXPECT_EQ(embed.dtype, DType::kF32);
  EXPECT_TRUE(inside(embed.data, store.file(0).file_bytes()));
  for (int layer = 0; layer < 5; ++layer) {
    const std::string prefix = fmt::format("model.layers.{}.", layer);
    store.get(prefix + "input_layernorm.weight", {64});
    store.get(prefix + "post_attention_layernorm.weight", {64});
    store.get(prefix + "self_attn.q_proj.weight", {64, 64});
    store.get(prefix + "self_attn.k_proj.weight", {32, 64});
    store.get(prefix + "self_attn.v_proj.weight", {32, 64});
    store.get(prefix + "self_attn.o_proj.weight", {64, 64});
    store.get(prefix + "mlp.gate_proj.weight", {172, 64});
    store.get(prefix + "mlp.up_proj.weight", {172, 64});
    store.get(prefix + "mlp.down_proj.weight", {64, 172});
  }
  store.get("model.norm.weight", {64});
  store.ignore_if_present("lm_head.weight");  // tied embeddings
  store.check_all_used();
  EXPECT_EQ(store.total_bytes(), store.file(0).header().data_size);
  EXPECT_EQ(store.copied_bytes(), 0u);
}

}  // namespace
}  // namespace turbine
