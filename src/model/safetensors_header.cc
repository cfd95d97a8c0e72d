#include "model/safetensors_header.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/error.h"
#include "model/strict_json.h"

namespace turbine {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian and is used in place");

namespace {

using nlohmann::json;

// Real headers nest three deep (object, tensor entry, shape array); anything much deeper is
// garbage, and refusing it early keeps the parser's work bounded.
constexpr int kMaxJsonDepth = 8;

constexpr std::string_view kMetadataKey = "__metadata__";

// "F32, BF16, ...": every dtype Turbine loads, for the unknown-dtype message.
std::string known_dtypes() {
  std::string names;
  for (int i = 0; i < kNumDTypes; ++i) names += fmt::format("{}{}", i ? ", " : "", dtype_name(DType(i)));
  return names;
}

json parse_json(std::string_view text, std::string_view file_label) {
  if (text.empty() || text.front() != '{') {
    fail("{}: header does not start with '{{' (not a safetensors file?)", file_label);
  }
  return parse_strict_json(text, file_label, kMaxJsonDepth);
}

std::map<std::string, std::string, std::less<>> parse_metadata(const json& value,
                                                               std::string_view file_label) {
  if (!value.is_object()) {
    fail("{}: {} must be an object, found {}", file_label, kMetadataKey, value.type_name());
  }
  std::map<std::string, std::string, std::less<>> metadata;
  for (const auto& [key, item] : value.items()) {
    if (!item.is_string()) {
      fail("{}: {} entry '{}' must be a string, found {}", file_label, kMetadataKey, key,
           item.type_name());
    }
    metadata.emplace(key, item.get<std::string>());
  }
  return metadata;
}

// Reads a JSON non-negative integer; `what` names the field in messages.
uint64_t parse_unsigned(const json& value, std::string_view file_label, std::string_view tensor,
                        std::string_view what) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) {
    fail("{}: tensor '{}': {} is negative ({})", file_label, tensor, what, value.get<int64_t>());
  }
  // Integers beyond 64 bits arrive as floats.
  fail("{}: tensor '{}': {} must be a non-negative integer, found {} {}", file_label, tensor, what,
       value.type_name(), value.dump());
}

const json& require_field(const json& entry, std::string_view field, std::string_view file_label,
                          std::string_view tensor) {
  const auto it = entry.find(field);
  if (it == entry.end()) fail("{}: tensor '{}' has no \"{}\"", file_label, tensor, field);
  return *it;
}

SafetensorsTensor parse_tensor(const std::string& name, const json& entry, uint64_t data_size,
                               std::string_view file_label) {
  if (name.empty()) fail("{}: a tensor has an empty name", file_label);
  if (!entry.is_object()) {
    fail("{}: tensor '{}' must be an object, found {}", file_label, name, entry.type_name());
  }
  SafetensorsTensor tensor;
  tensor.name = name;

  const json& dtype = require_field(entry, "dtype", file_label, name);
  if (!dtype.is_string()) {
    fail("{}: tensor '{}': dtype must be a string, found {}", file_label, name, dtype.type_name());
  }
  const auto& dtype_text = dtype.get_ref<const std::string&>();
  const auto parsed_dtype = dtype_from_name(dtype_text);
  if (!parsed_dtype) {
    fail("{}: tensor '{}' has dtype {:?}, which Turbine does not load (supported: {})", file_label,
         name, dtype_text, known_dtypes());
  }
  tensor.dtype = *parsed_dtype;

  const json& shape = require_field(entry, "shape", file_label, name);
  if (!shape.is_array()) {
    fail("{}: tensor '{}': shape must be an array, found {}", file_label, name, shape.type_name());
  }
  int64_t numel = 1;
  for (const json& dim_json : shape) {
    const uint64_t dim = parse_unsigned(dim_json, file_label, name, "a shape dimension");
    if (dim > uint64_t(std::numeric_limits<int64_t>::max()) ||
        __builtin_mul_overflow(numel, int64_t(dim), &numel)) {
      fail("{}: tensor '{}': shape {} has more elements than fit in 64 bits", file_label, name,
           shape.dump());
    }
    tensor.shape.push_back(int64_t(dim));
  }
  uint64_t expected_bytes = 0;
  if (__builtin_mul_overflow(uint64_t(numel), uint64_t(dtype_size(tensor.dtype)),
                             &expected_bytes)) {
    fail("{}: tensor '{}': shape {} of {} is more bytes than fit in 64 bits", file_label, name,
         shape.dump(), dtype_text);
  }

  const json& offsets = require_field(entry, "data_offsets", file_label, name);
  if (!offsets.is_array() || offsets.size() != 2) {
    fail("{}: tensor '{}': data_offsets must be an array [begin, end], found {}", file_label, name,
         offsets.dump());
  }
  tensor.begin = parse_unsigned(offsets[0], file_label, name, "data_offsets begin");
  tensor.end = parse_unsigned(offsets[1], file_label, name, "data_offsets end");
  if (tensor.end < tensor.begin) {
    fail("{}: tensor '{}': data_offsets [{}, {}] end before they begin", file_label, name,
         tensor.begin, tensor.end);
  }
  if (tensor.end > data_size) {
    fail(
        "{}: tensor '{}': data_offsets [{}, {}] run past the end of the data region ({} bytes); "
        "is the file truncated?",
        file_label, name, tensor.begin, tensor.end, data_size);
  }
  if (tensor.nbytes() != expected_bytes) {
    fail("{}: tensor '{}': data_offsets [{}, {}] hold {} bytes, but shape {} of {} needs {}",
         file_label, name, tensor.begin, tensor.end, tensor.nbytes(), format_shape(tensor.shape),
         dtype_text, expected_bytes);
  }
  return tensor;
}

// The tensors must tile [0, data_size) exactly: sorted by offsets, each begins where the previous
// one ended.
void check_coverage(const std::vector<SafetensorsTensor>& tensors, uint64_t data_size,
                    std::string_view file_label) {
  std::vector<const SafetensorsTensor*> by_offset;
  by_offset.reserve(tensors.size());
  for (const auto& t : tensors) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const auto* a, const auto* b) {
    return std::tie(a->begin, a->end, a->name) < std::tie(b->begin, b->end, b->name);
  });

  uint64_t covered = 0;
  const SafetensorsTensor* previous = nullptr;
  for (const auto* t : by_offset) {
    if (t->begin < covered) {
      fail("{}: tensors '{}' [{}, {}] and '{}' [{}, {}] overlap in the data region", file_label,
           previous->name, previous->begin, previous->end, t->name, t->begin, t->end);
    }
    if (t->begin > covered) {
      fail(
          "{}: bytes [{}, {}) of the data region, before tensor '{}', belong to no tensor "
          "(safetensors data must have no holes)",
          file_label, covered, t->begin, t->name);
    }
    covered = t->end;
    previous = t;
  }
  if (covered != data_size) {
    if (previous == nullptr) {
      fail("{}: the data region has {} bytes but the header lists no tensors", file_label,
           data_size);
    }
    fail(
        "{}: the data region has {} bytes but its last tensor '{}' ends at byte {}; the rest "
        "belongs to no tensor",
        file_label, data_size, previous->name, covered);
  }
}

}  // namespace

int64_t SafetensorsTensor::numel() const {
  int64_t n = 1;
  for (const int64_t d : shape) n *= d;  // overflow was ruled out at parse time
  return n;
}

const SafetensorsTensor* SafetensorsHeader::find(std::string_view name) const {
  const auto it = std::lower_bound(
      tensors.begin(), tensors.end(), name,
      [](const SafetensorsTensor& t, std::string_view n) { return std::string_view(t.name) < n; });
  return it != tensors.end() && it->name == name ? &*it : nullptr;
}

std::string format_shape(std::span<const int64_t> shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

SafetensorsHeader parse_safetensors_header_json(std::string_view header_json, uint64_t data_size,
                                                std::string_view file_label) {
  const json root = parse_json(header_json, file_label);
  // parse_json saw '{' first and parsed strictly, so the root is an object.
  TURBINE_CHECK(root.is_object());

  SafetensorsHeader header;
  header.data_start = kSafetensorsPrefixBytes + header_json.size();
  header.data_size = data_size;
  // json objects iterate in key order, so tensors come out sorted by name.
  for (const auto& [key, value] : root.items()) {
    if (key == kMetadataKey) {
      header.metadata = parse_metadata(value, file_label);
    } else {
      header.tensors.push_back(parse_tensor(key, value, data_size, file_label));
    }
  }
  check_coverage(header.tensors, data_size, file_label);
  return header;
}

SafetensorsHeader parse_safetensors(std::span<const std::byte> file, std::string_view file_label) {
  if (file.size() < kSafetensorsPrefixBytes) {
    fail("{}: file is {} bytes, shorter than the 8-byte safetensors header length", file_label,
         file.size());
  }
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, file.data(), sizeof header_bytes);  // little-endian, checked above
  if (header_bytes > kMaxSafetensorsHeaderBytes) {
    fail("{}: header length {} is over the {} MiB limit (corrupt file or not safetensors?)",
         file_label, header_bytes, kMaxSafetensorsHeaderBytes >> 20);
  }
  const uint64_t available = file.size() - kSafetensorsPrefixBytes;
  if (header_bytes > available) {
    fail("{}: header length {} runs past the end of the file ({} bytes); is it truncated?",
         file_label, header_bytes, file.size());
  }
  const std::string_view header_json(
      reinterpret_cast<const char*>(file.data()) + kSafetensorsPrefixBytes, size_t(header_bytes));
  return parse_safetensors_header_json(header_json, available - header_bytes, file_label);
}

}  // namespace turbine
