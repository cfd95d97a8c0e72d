#include "model/shard_index.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "model/strict_json.h"

namespace turbine {

namespace {

constexpr int kMaxJsonDepth = 8;

bool is_plain_file_name(std::string_view name) {
  return !name.empty() && name != "." && name != ".." &&
         name.find_first_of("/\\") == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

ShardIndex parse_shard_index(std::string_view json_text, std::string_view file_label) {
  const nlohmann::json root = parse_strict_json(json_text, file_label, kMaxJsonDepth);
  if (!root.is_object()) fail("{}: must be a JSON object, found {}", file_label, root.type_name());
  const auto weight_map = root.find("weight_map");
  if (weight_map == root.end()) fail("{}: has no \"weight_map\"", file_label);
  if (!weight_map->is_object()) {
    fail("{}: \"weight_map\" must be an object, found {}", file_label, weight_map->type_name());
  }
  if (weight_map->empty()) fail("{}: \"weight_map\" lists no tensors", file_label);

  ShardIndex index;
  for (const auto& [tensor, shard] : weight_map->items()) {
    if (tensor.empty()) fail("{}: \"weight_map\" has a tensor with an empty name", file_label);
    if (!shard.is_string()) {
      fail("{}: \"weight_map\" entry '{}' must be a shard file name, found {}", file_label, tensor,
           shard.type_name());
    }
    const auto& shard_name = shard.get_ref<const std::string&>();
    if (!is_plain_file_name(shard_name)) {
      fail(
          "{}: \"weight_map\" puts tensor '{}' in {:?}, which is not a file name in the model "
          "folder",
          file_label, tensor, shard_name);
    }
    index.shard_of_tensor.emplace(tensor, shard_name);
    index.shard_files.push_back(shard_name);
  }
  std::sort(index.shard_files.begin(), index.shard_files.end());
  index.shard_files.erase(std::unique(index.shard_files.begin(), index.shard_files.end()),
                          index.shard_files.end());
  return index;
}

}  // namespace turbine
