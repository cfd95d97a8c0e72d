// One safetensors file, memory-mapped and validated.
//
// Contract: `SafetensorsFile::open` maps the file read-only (see MappedFile) and validates its
// header completely (see safetensors_header.h) before returning, so every tensor's bytes are
// known to lie inside the mapping; a truncated file fails there, with the path in the message.
// Tensor bytes are views into the mapping (zero copy) and stay valid while the SafetensorsFile
// lives; moving it does not move the bytes. Move-only; immutable after open.
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>

#include "model/mapped_file.h"
#include "model/safetensors_header.h"

namespace turbine {

class SafetensorsFile {
 public:
  // Throws turbine::Error naming the path on any I/O or format problem.
  static SafetensorsFile open(const std::filesystem::path& path);

  SafetensorsFile(SafetensorsFile&&) noexcept = default;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept = default;

  const std::filesystem::path& path() const { return mapping_.path(); }
  const SafetensorsHeader& header() const { return header_; }
  std::span<const SafetensorsTensor> tensors() const { return header_.tensors; }
  const SafetensorsTensor* find(std::string_view name) const { return header_.find(name); }

  // The tensor's bytes inside the mapping. `tensor` must come from this file's header.
  std::span<const std::byte> tensor_bytes(const SafetensorsTensor& tensor) const;

  // The whole mapped file.
  std::span<const std::byte> file_bytes() const { return mapping_.bytes(); }

  // Starts reading the file ahead; a hint, see MappedFile::prefetch.
  void prefetch() const { mapping_.prefetch(); }

 private:
  SafetensorsFile(MappedFile mapping, SafetensorsHeader header)
      : mapping_(std::move(mapping)), header_(std::move(header)) {}

  MappedFile mapping_;
  SafetensorsHeader header_;
};

}  // namespace turbine
