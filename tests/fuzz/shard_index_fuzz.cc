// libFuzzer target: the model.safetensors.index.json parser on arbitrary text.
//
// Only turbine::Error may escape the parser (caught here). On success, every shard name must be
// a plain file name inside the model folder, and the shard list must match the map.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/error.h"
#include "model/shard_index.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const turbine::ShardIndex index = turbine::parse_shard_index(text, "fuzz.index.json");
    TURBINE_CHECK(!index.shard_of_tensor.empty());
    TURBINE_CHECK(std::is_sorted(index.shard_files.begin(), index.shard_files.end()));
    for (const auto& [tensor, shard] : index.shard_of_tensor) {
      TURBINE_CHECK(shard.find('/') == std::string::npos && shard != ".." && !shard.empty(), "{}",
                    shard);
      TURBINE_CHECK(std::binary_search(index.shard_files.begin(), index.shard_files.end(), shard));
    }
  } catch (const turbine::Error&) {
    // Rejecting bad input with a message is the expected outcome.
  }
  return 0;
}
