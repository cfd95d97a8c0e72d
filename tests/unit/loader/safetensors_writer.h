// Test helper: builds safetensors files byte by byte, good or deliberately broken.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace turbine::testing {

struct TestTensor {
  std::string name;
  std::string dtype;  // the safetensors spelling: "F32", "BF16", "F16", "I64", ...
  std::vector<int64_t> shape;
  std::string bytes;  // raw little-endian data
};

std::string f32_bytes(const std::vector<float>& values);
std::string bf16_bytes(const std::vector<float>& values);
std::string f16_bytes(const std::vector<float>& values);

// A valid file: tensors laid out back to back in the given order, header padded with spaces so
// the data region starts 8-byte aligned (as the reference writer does).
std::string build_safetensors(const std::vector<TestTensor>& tensors,
                              const std::map<std::string, std::string>& metadata = {});

// Length prefix + the given header text (unchanged) + data.
std::string build_raw_safetensors(std::string_view header_json, std::string_view data);

void write_file(const std::filesystem::path& path, std::string_view bytes);

// A fresh empty folder under the system temp folder, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace turbine::testing
