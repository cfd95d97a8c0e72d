// How a linear layer's weights are stored: the weight format.
//
// A format is the contract between three places that must agree on bytes:
//  - the loader that makes a LinearWeights (backend/linear_weights.h) from a checkpoint
//    (model/linear_loader.h: one loader per `quantization_config`; the dense loader today),
//  - each backend's kernel table (backend/linear_kernel_table.h), which runs the format, converts
//    it at load into one it runs, or has no entry (the model then fails to load, naming the
//    tensor, the format and the backend),
//  - the CPU reference a backend's kernel is checked against (tests/kernels*).
// The comment on each value says which LinearWeights fields the format uses and their layout;
// every format has weight.rows == out_features. Fields a format does not use stay empty
// (data == nullptr).
//
// Today only the dense formats have loaders and kernels. The quantized values below are the
// described, not yet implemented, shapes of the common checkpoint families, so that a backend's
// table, the loader and the errors already speak about them; no loader produces them yet. A new
// format is: a value here (and its name below), a loader for its quantization_config, an entry in
// the table of each backend that runs it, and a conformance test against a CPU reference.
// GGUF's block types (Q4_K, Q8_0, ...) would each be a value, the weight a U8 [out, bytes per row]
// view of the blocks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/dtype.h"

namespace turbine {

enum class WeightFormat : uint8_t {
  // weight [out, in] in the dtype the name says; scales, zeros unused; group_size 0.
  kDenseF32,
  kDenseBF16,
  kDenseF16,
  // FP8 with one scale per square block (DeepSeek-V3, Qwen3-FP8: weight_block_size [128, 128]):
  // weight F8_E4M3 [out, in]; scales F32 [ceil(out / group_size), ceil(in / group_size)]
  // (the checkpoint's weight_scale_inv: real weight = fp8 value * scale); group_size the block edge.
  kFp8Block,
  // FP8 with one scale per output channel (compressed-tensors, FBGEMM): weight F8_E4M3 [out, in];
  // scales F32 [out, 1]; group_size 0.
  kFp8Channel,
  // INT8 with group scales: weight I8 [out, in]; scales (a compute dtype) [out, in / group_size];
  // zeros I8 [out, in / group_size] for asymmetric quantization, else unused
  // (real weight = (q - zero) * scale).
  kInt8Group,
  // INT4 with group scales (GPTQ, AWQ, compressed-tensors pack-quantized, repacked at load into
  // this one layout): weight I32 [out, in / 8], eight 4-bit values per word, lowest nibble first
  // along `in`, unsigned with an implicit zero of 8 unless `zeros` is set; scales (a compute
  // dtype) [out, in / group_size]; zeros I32 [out, in / group_size / 8] packed the same way, or
  // unused for symmetric quantization.
  kInt4Group,
};
inline constexpr int kNumWeightFormats = int(WeightFormat::kInt4Group) + 1;

// For messages: "dense BF16", "FP8 (block scales)", ...
constexpr std::string_view weight_format_name(WeightFormat f) {
  switch (f) {
    case WeightFormat::kDenseF32: return "dense F32";
    case WeightFormat::kDenseBF16: return "dense BF16";
    case WeightFormat::kDenseF16: return "dense F16";
    case WeightFormat::kFp8Block: return "FP8 (block scales)";
    case WeightFormat::kFp8Channel: return "FP8 (per-channel scales)";
    case WeightFormat::kInt8Group: return "INT8 (group scales)";
    case WeightFormat::kInt4Group: return "INT4 (group scales)";
  }
  return "?";
}

// The dtype of the `weight` tensor in this format.
constexpr DType weight_storage_dtype(WeightFormat f) {
  switch (f) {
    case WeightFormat::kDenseF32: return DType::kF32;
    case WeightFormat::kDenseBF16: return DType::kBF16;
    case WeightFormat::kDenseF16: return DType::kF16;
    case WeightFormat::kFp8Block: return DType::kF8E4M3;
    case WeightFormat::kFp8Channel: return DType::kF8E4M3;
    case WeightFormat::kInt8Group: return DType::kI8;
    case WeightFormat::kInt4Group: return DType::kI32;
  }
  return DType::kF32;
}

constexpr bool is_dense(WeightFormat f) {
  return f == WeightFormat::kDenseF32 || f == WeightFormat::kDenseBF16 || f == WeightFormat::kDenseF16;
}

// The dense format of a weight stored in `dtype`; nullopt unless it is a compute dtype.
constexpr std::optional<WeightFormat> dense_format(DType dtype) {
  switch (dtype) {
    case DType::kF32: return WeightFormat::kDenseF32;
    case DType::kBF16: return WeightFormat::kDenseBF16;
    case DType::kF16: return WeightFormat::kDenseF16;
    default: return std::nullopt;  // storage dtypes: only a quantized format gives them a meaning
  }
}

// Input features of a weight of `weight_cols` columns in format `f` (packed formats hold several
// values per element).
constexpr int64_t in_features_of(WeightFormat f, int64_t weight_cols) {
  return f == WeightFormat::kInt4Group ? weight_cols * 8 : weight_cols;
}

}  // namespace turbine
