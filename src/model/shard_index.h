// Parsing model.safetensors.index.json, the map from tensor name to shard file of a sharded
// Hugging Face checkpoint (pure, fuzzable).
//
// Contract: the text must be a JSON object with "weight_map", a non-empty object mapping each
// tensor name to a shard file name. Shard names must be plain file names in the model folder
// (no '/', '\', "." or ".."), so an index cannot point outside its folder. Other top-level keys
// ("metadata" with total_size, ...) are ignored: total_size counts bytes differently between
// writers, so it proves nothing. Failures throw turbine::Error starting with `file_label`.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace turbine {

inline constexpr std::string_view kShardIndexFileName = "model.safetensors.index.json";

struct ShardIndex {
  std::map<std::string, std::string, std::less<>> shard_of_tensor;  // tensor name -> shard file
  std::vector<std::string> shard_files;                             // distinct, sorted
};

ShardIndex parse_shard_index(std::string_view json_text, std::string_view file_label);

}  // namespace turbine
