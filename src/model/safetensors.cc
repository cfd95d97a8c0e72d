#include "model/safetensors.h"

#include "common/error.h"

namespace turbine {

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  MappedFile mapping = MappedFile::open(path);
  SafetensorsHeader header = parse_safetensors(mapping.bytes(), path.string());
  return SafetensorsFile(std::move(mapping), std::move(header));
}

std::span<const std::byte> SafetensorsFile::tensor_bytes(const SafetensorsTensor& tensor) const {
  // The parser proved begin <= end <= data_size and data_start + data_size == file size.
  TURBINE_CHECK(header_.data_start + tensor.end <= mapping_.size(), "tensor '{}' of {}",
                tensor.name, path().string());
  return mapping_.bytes().subspan(header_.data_start + tensor.begin, tensor.nbytes());
}

}  // namespace turbine
