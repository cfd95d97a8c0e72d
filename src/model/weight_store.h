// The weights of one Hugging Face model folder, memory-mapped, for the model code to take.
//
// Contract:
//  - `WeightStore::open(dir)` loads `model.safetensors.index.json` and every shard it names when
//    the index exists (even if a `model.safetensors` sits beside it), else `model.safetensors`;
//    other checkpoint formats are refused with a hint. Everything is validated at open: each file's
//    header (safetensors_header.h), and for shards that the index and the shards agree exactly
//    (every indexed tensor is in the shard the index names, every shard tensor is indexed, no
//    tensor is in two shards). Errors name the folder, the file and the tensor.
//  - Weight bytes are views into read-only mappings (zero copy): writing through a returned
//    Tensor faults. The one exception: a tensor whose bytes are not aligned to its element size
//    (possible with unusual writers) is copied once, at open, into aligned memory the store
//    owns, so kernels may always load elements directly.
//  - Views stay valid while the store lives, including after it is moved.
//  - Every safetensors dtype Turbine knows loads (common/dtype.h), the storage dtypes of quantized
//    checkpoints (FP8, integers) as raw views like the others. The model takes each weight with
//    `get` (checks the shape, and that the dtype is one ops compute on), `get_stored` (the shape
//    only, for a weight format's loader) or `get_raw` (any rank, any dtype), which mark it used; `check_all_used` then reports every weight nobody took, except those declared
//    with `ignore_if_present` / `ignore_if`. Only the loading thread mutates the store; once
//    loading is done it is read-only and may be shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/dtype.h"
#include "common/tensor.h"
#include "model/safetensors.h"
#include "model/shard_index.h"

namespace turbine {

// One stored weight, with everything tools need (any rank).
struct WeightInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;
  uint64_t nbytes = 0;
  size_t file_index = 0;  // into WeightStore::file_path()
};

class WeightStore {
 public:
  static WeightStore open(const std::filesystem::path& model_dir);

  WeightStore(WeightStore&&) noexcept = default;
  WeightStore& operator=(WeightStore&&) noexcept = default;

  bool contains(std::string_view name) const { return find(name) != nullptr; }
  // nullptr when absent; does not mark the weight used.
  const WeightInfo* find(std::string_view name) const;

  // The weight as a 2-D Tensor view (a 1-D [n] weight becomes [1, n]) after checking that its
  // shape is exactly `expected_shape` (rank 1 or 2). Marks it used. Throws turbine::Error naming
  // the tensor, folder and files when it is missing or shaped differently.
  // Also throws unless the dtype is F32, BF16 or F16 (norms, embeddings, biases, dense weights).
  Tensor get(std::string_view name, std::initializer_list<int64_t> expected_shape);
  Tensor get(std::string_view name, std::span<const int64_t> expected_shape);
  // The same in whatever dtype the weight is stored (FP8 values, packed integers, scales): for
  // the loader of a weight format, which knows what the bytes mean.
  Tensor get_stored(std::string_view name, std::initializer_list<int64_t> expected_shape);

  // The weight with its full shape, any rank, unchecked; marks it used. Throws when missing.
  const WeightInfo& get_raw(std::string_view name);

  // Declares weights the model may leave unused (check_all_used skips them): a name, or every
  // present name matching a predicate. Names not present are fine.
  // The predicate is applied once, now, to the names in the store.
  void ignore_if_present(std::string_view name);
  void ignore_if(const std::function<bool(std::string_view)>& predicate);

  // Throws turbine::Error listing (with their files) the weights never taken nor ignored.
  void check_all_used() const;

  std::span<const WeightInfo> weights() const { return weights_; }  // sorted by name
  // The files loaded (one, or the shards sorted by name); WeightInfo::file_index points here.
  size_t num_files() const { return files_.size(); }
  const SafetensorsFile& file(size_t file_index) const;
  const std::filesystem::path& file_path(size_t file_index) const {
    return file(file_index).path();
  }
  const std::filesystem::path& model_dir() const { return model_dir_; }
  uint64_t total_bytes() const { return total_bytes_; }  // all weights, for memory planning
  // Bytes copied at open because they were misaligned in the file (normally 0).
  uint64_t copied_bytes() const { return copied_bytes_; }

  // Starts reading every file ahead; a hint.
  void prefetch() const;

 private:
  enum class Usage : uint8_t { kUnused, kUsed, kIgnored };

  WeightStore() = default;
  void add_file(SafetensorsFile file);
  void finish_and_check_duplicates();
  void check_against_index(const ShardIndex& index, const std::filesystem::path& index_path) const;
  size_t index_of(std::string_view name) const;  // throws the "missing" error
  Tensor take(std::string_view name, std::span<const int64_t> expected_shape);  // get without the dtype check
  std::string file_name(size_t file_index) const;
  std::string file_list() const;

  std::filesystem::path model_dir_;
  std::vector<SafetensorsFile> files_;
  std::vector<WeightInfo> weights_;
  std::vector<Usage> usage_;  // parallel to weights_
  std::vector<std::unique_ptr<std::byte[]>> aligned_copies_;
  uint64_t total_bytes_ = 0;
  uint64_t copied_bytes_ = 0;
};

}  // namespace turbine
