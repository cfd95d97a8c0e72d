// Parsing model.safetensors.index.json.
#include "model/shard_index.h"

#include <gtest/gtest.h>

#include "error_matchers.h"

namespace turbine {
namespace {

using testing::error_message;
using testing::expect_contains_all;

constexpr std::string_view kLabel = "dir/model.safetensors.index.json";

TEST(ShardIndex, ParsesWeightMapAndDistinctShards) {
  const ShardIndex index = parse_shard_index(
      R"({"metadata": {"total_size": 123},
          "weight_map": {"b": "model-00002-of-00002.safetensors",
                         "a": "model-00001-of-00002.safetensors",
                         "c": "model-00001-of-00002.safetensors"}})",
      kLabel);
  EXPECT_EQ(index.shard_of_tensor.size(), 3u);
  EXPECT_EQ(index.shard_of_tensor.at("b"), "model-00002-of-00002.safetensors");
  EXPECT_EQ(index.shard_files, (std::vector<std::string>{"model-00001-of-00002.safetensors",
                                                         "model-00002-of-00002.safetensors"}));
}

TEST(ShardIndex, RejectsMalformedIndexes) {
  struct Case {
    std::string json;
    std::vector<std::string_view> must_mention;
  };
  const Case cases[] = {
      {"not json", {"not valid JSON"}},
      {"[]", {"must be a JSON object"}},
      {R"({"metadata": {}})", {"no \"weight_map\""}},
      {R"({"weight_map": []})", {"\"weight_map\" must be an object"}},
      {R"({"weight_map": {}})", {"lists no tensors"}},
      {R"({"weight_map": {"a": 1}})", {"'a'", "shard file name"}},
      {R"({"weight_map": {"a": "../secret.safetensors"}})", {"'a'", "not a file name"}},
      {R"({"weight_map": {"a": "/abs.safetensors"}})", {"'a'", "not a file name"}},
      {R"({"weight_map": {"a": ".."}})", {"'a'", "not a file name"}},
      {R"({"weight_map": {"a": ""}})", {"'a'", "not a file name"}},
      {R"({"weight_map": {"a": "x.safetensors", "a": "y.safetensors"}})", {"'a'", "twice"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.json);
    const std::string message = error_message([&] { parse_shard_index(c.json, kLabel); });
    expect_contains_all(message, {kLabel});
    for (const auto part : c.must_mention) expect_contains_all(message, {part});
  }
}

}  // namespace
}  // namespace turbine
