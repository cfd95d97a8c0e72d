// Element types of tensors, and exact scalar conversions between the float ones.
//
// Two kinds of dtype share the enum. F32, BF16 and F16 are compute dtypes: activations, dense
// weights, norms, embeddings and biases are one of them, and every op reads them
// (is_compute_dtype). The rest are storage dtypes that quantized checkpoints use (FP8 values,
// INT8 / packed INT4 weights in I8/U8/I32, zero points, F64 or I64 buffers): the loader keeps them
// as raw views, and only the kernel of the weight format that owns such a tensor
// (backend/weight_format.h) interprets its bytes. No op takes them directly.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace turbine {

enum class DType : uint8_t {
  // Compute dtypes.
  kF32,
  kBF16,
  kF16,
  // Storage dtypes.
  kF64,
  kF8E4M3,  // FP8 (4-bit exponent, 3-bit mantissa), the usual FP8 weight type
  kF8E5M2,
  kF8E8M0,  // an exponent alone: the block scales of MX formats
  kI8,
  kU8,
  kI16,
  kU16,
  kI32,
  kU32,
  kI64,
  kU64,
  kBool,
};
inline constexpr int kNumDTypes = int(DType::kBool) + 1;

constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::kF32: return 4;
    case DType::kBF16: return 2;
    case DType::kF16: return 2;
    case DType::kF64: return 8;
    case DType::kF8E4M3: return 1;
    case DType::kF8E5M2: return 1;
    case DType::kF8E8M0: return 1;
    case DType::kI8: return 1;
    case DType::kU8: return 1;
    case DType::kI16: return 2;
    case DType::kU16: return 2;
    case DType::kI32: return 4;
    case DType::kU32: return 4;
    case DType::kI64: return 8;
    case DType::kU64: return 8;
    case DType::kBool: return 1;
  }
  return 0;
}

// The safetensors spelling ("F32", "F8_E4M3", "BOOL", ...).
constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::kF32: return "F32";
    case DType::kBF16: return "BF16";
    case DType::kF16: return "F16";
    case DType::kF64: return "F64";
    case DType::kF8E4M3: return "F8_E4M3";
    case DType::kF8E5M2: return "F8_E5M2";
    case DType::kF8E8M0: return "F8_E8M0";
    case DType::kI8: return "I8";
    case DType::kU8: return "U8";
    case DType::kI16: return "I16";
    case DType::kU16: return "U16";
    case DType::kI32: return "I32";
    case DType::kU32: return "U32";
    case DType::kI64: return "I64";
    case DType::kU64: return "U64";
    case DType::kBool: return "BOOL";
  }
  return "?";
}

// The dtype spelled `name` as safetensors does; nullopt for a name Turbine does not know.
constexpr std::optional<DType> dtype_from_name(std::string_view name) {
  for (int i = 0; i < kNumDTypes; ++i) {
    if (dtype_name(DType(i)) == name) return DType(i);
  }
  return std::nullopt;
}

// F32, BF16, F16: the dtypes ops compute on (see the top of this file).
constexpr bool is_compute_dtype(DType t) { return t == DType::kF32 || t == DType::kBF16 || t == DType::kF16; }

inline float bf16_to_f32(uint16_t h) { return std::bit_cast<float>(uint32_t(h) << 16); }

// Round to nearest even, as PyTorch does; NaN stays NaN.
inline uint16_t f32_to_bf16(float f) {
  uint32_t u = std::bit_cast<uint32_t>(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40);
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    if (mant == 0) return std::bit_cast<float>(sign);
    // Subnormal: value = mant * 2^-24.
    const float v = float(mant) * 5.9604644775390625e-8f;
    return sign ? -v : v;
  }
  if (exp == 31) return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  return std::bit_cast<float>(sign | ((exp + 112) << 23) | (mant << 13));
}

// Element i of an array in compute dtype `t` (is_compute_dtype(t) must hold), as f32.
inline float compute_element_to_f32(const void* base, DType t, size_t i) {
  if (t == DType::kBF16) return bf16_to_f32(static_cast<const uint16_t*>(base)[i]);
  if (t == DType::kF16) return f16_to_f32(static_cast<const uint16_t*>(base)[i]);
  return static_cast<const float*>(base)[i];
}

// Round to nearest even; overflow goes to infinity.
inline uint16_t f32_to_f16(float f) {
  const uint32_t u = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t abs = u & 0x7fffffffu;
  if (abs > 0x7f800000u) return uint16_t(sign | 0x7e00u);  // NaN
  if (abs >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds to >= 65520: inf
  if (abs < 0x38800000u) {                                   // below 2^-14: subnormal or zero
    const float v = std::bit_cast<float>(abs) * 16777216.0f;  // scale by 2^24
    // nearbyint under the default rounding mode is round-half-even.
    const auto m = uint32_t(__builtin_nearbyintf(v));
    return uint16_t(sign | m);
  }
  uint32_t r = abs + 0xfffu + ((abs >> 13) & 1u);
  return uint16_t(sign | ((r - 0x38000000u) >> 13));
}

}  // namespace turbine
