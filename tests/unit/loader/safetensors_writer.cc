#include "safetensors_writer.h"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/dtype.h"

namespace turbine::testing {

namespace {

template <typename T>
void append_le(std::string& out, T value) {
  char raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));  // the host is little-endian (checked by the loader)
  out.append(raw, sizeof(T));
}

}  // namespace

std::string f32_bytes(const std::vector<float>& values) {
  std::string out;
  for (const float v : values) append_le(out, v);
  return out;
}

std::string bf16_bytes(const std::vector<float>& values) {
  std::string out;
  for (const float v : values) append_le(out, f32_to_bf16(v));
  return out;
}

std::string f16_bytes(const std::vector<float>& values) {
  std::string out;
  for (const float v : values) append_le(out, f32_to_f16(v));
  return out;
}

std::string build_safetensors(const std::vector<TestTensor>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string data;
  for (const TestTensor& t : tensors) {
    const size_t begin = data.size();
    data += t.bytes;
    header[t.name] = {
        {"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {begin, data.size()}}};
  }
  std::string json = header.dump();
  while ((8 + json.size()) % 8 != 0) json += ' ';
  return build_raw_safetensors(json, data);
}

std::string build_raw_safetensors(std::string_view header_json, std::string_view data) {
  std::string out;
  append_le(out, uint64_t(header_json.size()));
  out += header_json;
  out += data;
  return out;
}

void write_file(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(bytes.data(), std::streamsize(bytes.size()));
  if (!file) throw std::runtime_error("cannot write " + path.string());
}

TempDir::TempDir() {
  static std::atomic<int> counter{0};
  path_ = std::filesystem::temp_directory_path() /
          ("turbine_loader_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace turbine::testing
