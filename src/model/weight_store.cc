#include "model/weight_store.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "model/mapped_file.h"

namespace turbine {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSingleFileName = "model.safetensors";

// Index files are a few hundred KB even for the largest models.
constexpr size_t kMaxIndexBytes = size_t{64} << 20;

// check_all_used lists this many names before summarising the rest.
constexpr size_t kMaxListedUnused = 20;

// Formats that people often have instead of safetensors, for a helpful error.
constexpr std::string_view kUnsupportedCheckpoints[] = {
    "pytorch_model.bin", "pytorch_model.bin.index.json", "model.pt", "consolidated.00.pth"};

// std::filesystem's throwing overloads would leak std::filesystem_error to the user; a path we
// cannot inspect counts as absent, and opening it later reports the real reason.
bool path_exists(const fs::path& path) {
  std::error_code ignored;
  return fs::exists(path, ignored);
}

[[noreturn]] void fail_no_weights(const fs::path& dir) {
  std::string hint;
  for (const auto name : kUnsupportedCheckpoints) {
    if (path_exists(dir / name)) {
      hint = fmt::format(
          " (found {}: PyTorch pickle checkpoints are not supported; convert the "
          "model to safetensors)",
          name);
      break;
    }
  }
  fail("{}: no {} or {} found{}", dir.string(), kSingleFileName, kShardIndexFileName, hint);
}

ShardIndex read_shard_index(const fs::path& path) {
  const MappedFile file = MappedFile::open(path);
  if (file.size() > kMaxIndexBytes) {
    fail("{}: {} bytes is too large for a shard index", path.string(), file.size());
  }
  const std::string_view text(reinterpret_cast<const char*>(file.bytes().data()), file.size());
  return parse_shard_index(text, path.string());
}

}  // namespace

WeightStore WeightStore::open(const fs::path& model_dir) {
  std::error_code ignored;
  if (!fs::is_directory(model_dir, ignored)) {
    fail("{}: model folder does not exist or is not a folder", model_dir.string());
  }
  WeightStore store;
  store.model_dir_ = model_dir;

  const fs::path index_path = model_dir / kShardIndexFileName;
  const fs::path single_path = model_dir / kSingleFileName;
  if (path_exists(index_path)) {
    const ShardIndex index = read_shard_index(index_path);
    for (const auto& shard : index.shard_files) {
      if (!path_exists(model_dir / shard)) {
        fail("{}: names shard {}, which is not in {}", index_path.string(), shard,
             model_dir.string());
      }
    }
    for (const auto& shard : index.shard_files)
      store.add_file(SafetensorsFile::open(model_dir / shard));
    store.finish_and_check_duplicates();
    store.check_against_index(index, index_path);
  } else if (path_exists(single_path)) {
    store.add_file(SafetensorsFile::open(single_path));
    store.finish_and_check_duplicates();
  } else {
    fail_no_weights(model_dir);
  }

  if (store.copied_bytes_ > 0) {
    spdlog::warn(
        "{}: {} bytes of weights were not aligned to their element size in the file and "
        "were copied",
        model_dir.string(), store.copied_bytes_);
  }
  return store;
}

void WeightStore::add_file(SafetensorsFile file) {
  const size_t file_index = files_.size();
  for (const SafetensorsTensor& tensor : file.tensors()) {
    const std::span<const std::byte> bytes = file.tensor_bytes(tensor);
    const std::byte* data = bytes.data();
    if (reinterpret_cast<uintptr_t>(data) % dtype_size(tensor.dtype) != 0) {
      // operator new[] aligns to at least 16 bytes, more than any element needs.
      auto copy = std::make_unique_for_overwrite<std::byte[]>(bytes.size());
      std::memcpy(copy.get(), data, bytes.size());
      data = copy.get();
      aligned_copies_.push_back(std::move(copy));
      copied_bytes_ += bytes.size();
    }
    weights_.push_back(
        {tensor.name, tensor.dtype, tensor.shape, data, tensor.nbytes(), file_index});
    total_bytes_ += tensor.nbytes();
  }
  files_.push_back(std::move(file));
}

void WeightStore::finish_and_check_duplicates() {
  std::sort(weights_.begin(), weights_.end(),
            [](const WeightInfo& a, const WeightInfo& b) { return a.name < b.name; });
  for (size_t i = 1; i < weights_.size(); ++i) {
    if (weights_[i].name == weights_[i - 1].name) {
      fail("{}: tensor '{}' is in two shards, {} and {}", model_dir_.string(), weights_[i].name,
           file_name(weights_[i - 1].file_index), file_name(weights_[i].file_index));
    }
  }
  usage_.assign(weights_.size(), Usage::kUnused);
}

void WeightStore::check_against_index(const ShardIndex& index, const fs::path& index_path) const {
  for (const WeightInfo& weight : weights_) {
    const auto it = index.shard_of_tensor.find(weight.name);
    if (it == index.shard_of_tensor.end()) {
      fail("{}: tensor '{}' is not listed in {}", file_path(weight.file_index).string(),
           weight.name, index_path.string());
    }
    if (it->second != file_name(weight.file_index)) {
      fail("{}: says tensor '{}' is in {}, but it is in {}", index_path.string(), weight.name,
           it->second, file_name(weight.file_index));
    }
  }
  for (const auto& [tensor, shard] : index.shard_of_tensor) {
    if (find(tensor) == nullptr) {
      fail("{}: lists tensor '{}' in {}, but {} does not contain it", index_path.string(), tensor,
           shard, shard);
    }
  }
}

const WeightInfo* WeightStore::find(std::string_view name) const {
  const auto it = std::lower_bound(
      weights_.begin(), weights_.end(), name,
      [](const WeightInfo& w, std::string_view n) { return std::string_view(w.name) < n; });
  return it != weights_.end() && it->name == name ? &*it : nullptr;
}

size_t WeightStore::index_of(std::string_view name) const {
  const WeightInfo* weight = find(name);
  if (weight == nullptr) fail("{}: missing from {} ({})", name, model_dir_.string(), file_list());
  return size_t(weight - weights_.data());
}

Tensor WeightStore::get(std::string_view name, std::initializer_list<int64_t> expected_shape) {
  return get(name, std::span<const int64_t>(expected_shape.begin(), expected_shape.size()));
}

Tensor WeightStore::get(std::string_view name, std::span<const int64_t> expected_shape) {
  const Tensor t = take(name, expected_shape);
  if (!is_compute_dtype(t.dtype)) {
    fail("{} in {}: dtype is {}, expected F32, BF16 or F16", name,
         file_path(weights_[index_of(name)].file_index).string(), dtype_name(t.dtype));
  }
  return t;
}

Tensor WeightStore::get_stored(std::string_view name, std::initializer_list<int64_t> expected_shape) {
  return take(name, std::span<const int64_t>(expected_shape.begin(), expected_shape.size()));
}

Tensor WeightStore::take(std::string_view name, std::span<const int64_t> expected_shape) {
  TURBINE_CHECK(expected_shape.size() == 1 || expected_shape.size() == 2,
                "get({}) takes a 1-D or 2-D shape, not {}; use get_raw", name,
                format_shape(expected_shape));
  const size_t i = index_of(name);
  const WeightInfo& weight = weights_[i];
  if (!std::ranges::equal(weight.shape, expected_shape)) {
    fail("{} in {}: shape is {}, expected {}", name, file_path(weight.file_index).string(),
         format_shape(weight.shape), format_shape(expected_shape));
  }
  usage_[i] = Usage::kUsed;
  const int64_t rows = weight.shape.size() == 2 ? weight.shape[0] : 1;
  const int64_t cols = weight.shape.back();
  // The mapping is read-only; Tensor's pointer is non-const because activations share the type.
  return {const_cast<std::byte*>(weight.data), weight.dtype, rows, cols};
}

const WeightInfo& WeightStore::get_raw(std::string_view name) {
  const size_t i = index_of(name);
  usage_[i] = Usage::kUsed;
  return weights_[i];
}

void WeightStore::ignore_if_present(std::string_view name) {
  if (const WeightInfo* weight = find(name)) {
    Usage& usage = usage_[size_t(weight - weights_.data())];
    if (usage == Usage::kUnused) usage = Usage::kIgnored;
  }
}

void WeightStore::ignore_if(const std::function<bool(std::string_view)>& predicate) {
  for (size_t i = 0; i < weights_.size(); ++i) {
    if (usage_[i] == Usage::kUnused && predicate(weights_[i].name)) usage_[i] = Usage::kIgnored;
  }
}

void WeightStore::check_all_used() const {
  std::vector<std::string> unused;
  size_t num_unused = 0;
  for (size_t i = 0; i < weights_.size(); ++i) {
    if (usage_[i] != Usage::kUnused) continue;
    if (++num_unused <= kMaxListedUnused) {
      unused.push_back(fmt::format("{} ({})", weights_[i].name, file_name(weights_[i].file_index)));
    }
  }
  if (num_unused == 0) return;
  const std::string more = num_unused > kMaxListedUnused
                               ? fmt::format(", and {} more", num_unused - kMaxListedUnused)
                               : "";
  fail("{}: {} tensor{} in the checkpoint {} not used by the model: {}{}", model_dir_.string(),
       num_unused, num_unused == 1 ? "" : "s", num_unused == 1 ? "is" : "are",
       fmt::join(unused, ", "), more);
}

const SafetensorsFile& WeightStore::file(size_t file_index) const {
  TURBINE_CHECK(file_index < files_.size(), "file {} of {}", file_index, files_.size());
  return files_[file_index];
}

std::string WeightStore::file_name(size_t file_index) const {
  return file_path(file_index).filename().string();
}

std::string WeightStore::file_list() const {
  std::vector<std::string> names;
  for (size_t i = 0; i < files_.size(); ++i) names.push_back(file_name(i));
  return fmt::format("{}", fmt::join(names, ", "));
}

void WeightStore::prefetch() const {
  for (const SafetensorsFile& file : files_) file.prefetch();
}

}  // namespace turbine
