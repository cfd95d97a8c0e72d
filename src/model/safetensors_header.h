// Parsing and validating the header of a safetensors file, from bytes (no I/O, fuzzable).
//
// A safetensors file is: an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON
// (an object, starting with '{', possibly padded at the end with spaces), then the data region.
// Each JSON key other than "__metadata__" names a tensor: {"dtype": "F32", "shape": [r, c],
// "data_offsets": [begin, end]}, offsets relative to the start of the data region.
//
// Validation follows the reference implementation and is strict, because every later read
// trusts these numbers:
//  - the header length is at most kMaxSafetensorsHeaderBytes and fits in the file;
//  - the JSON is an object, no key repeats in any object, nesting is shallow;
//  - "__metadata__", if present, maps strings to strings;
//  - each tensor has a string dtype Turbine knows (common/dtype.h: the compute dtypes F32, BF16,
//    F16 and the storage dtypes of quantized checkpoints, F8_E4M3, I8, I32, ..., which load as raw
//    views; sub-byte dtypes such as F4 are refused), a shape of
//    non-negative integers whose element count and byte size do not overflow, and data_offsets
//    of two non-negative integers with begin <= end <= data region size and
//    end - begin == numel * dtype size;
//  - the tensors tile the data region exactly: no overlaps, no holes, no trailing bytes (as the
//    reference safetensors does, which reports such files as MetadataIncompleteBuffer). A hole
//    means a writer bug or a different format, and refusing it keeps "every byte belongs to one
//    tensor" true for readers.
// Unknown extra fields inside a tensor entry are ignored, for forward compatibility.
// Every failure throws turbine::Error whose message starts with the file label and names the
// tensor involved.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/dtype.h"

namespace turbine {

// A header this large is a corrupt length, not a real model (the reference caps it at 100 MB).
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = uint64_t{100} << 20;

// Bytes of the little-endian header-length prefix.
inline constexpr size_t kSafetensorsPrefixBytes = 8;

struct SafetensorsTensor {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;  // empty for a scalar
  uint64_t begin = 0;          // byte offsets within the data region, [begin, end)
  uint64_t end = 0;

  uint64_t nbytes() const { return end - begin; }
  int64_t numel() const;
};

struct SafetensorsHeader {
  std::vector<SafetensorsTensor> tensors;  // sorted by name
  std::map<std::string, std::string, std::less<>> metadata;
  uint64_t data_start = 0;  // file offset of the data region: 8 + header length
  uint64_t data_size = 0;   // bytes in the data region

  // Binary search by name; nullptr when absent.
  const SafetensorsTensor* find(std::string_view name) const;
};

// Parses a whole file image (prefix, header JSON, data region). `file_label` (normally the
// path) starts every error message.
SafetensorsHeader parse_safetensors(std::span<const std::byte> file, std::string_view file_label);

// Parses the header JSON alone, given the size of the data region that follows it.
// data_start in the result is set to 8 + header_json.size().
SafetensorsHeader parse_safetensors_header_json(std::string_view header_json, uint64_t data_size,
                                                std::string_view file_label);

// "[512, 64]", for messages.
std::string format_shape(std::span<const int64_t> shape);

}  // namespace turbine
