// SafetensorsFile and MappedFile: mapping, zero copy, truncation and I/O errors.
#include <gtest/gtest.h>

#include <cstring>

#include "error_matchers.h"
#include "model/safetensors.h"
#include "safetensors_writer.h"

namespace turbine {
namespace {

using testing::error_message;
using testing::expect_contains_all;
using testing::TempDir;

TEST(SafetensorsFile, MapsTheFileAndViewsTensorsInPlace) {
  TempDir dir;
  const auto path = dir.path() / "model.safetensors";
  testing::write_file(
      path, testing::build_safetensors({{"a", "F32", {3}, testing::f32_bytes({1.5f, -2.0f, 3.25f})},
                                        {"b", "BF16", {2}, testing::bf16_bytes({1.0f, 2.0f})}}));
  const SafetensorsFile file = SafetensorsFile::open(path);
  EXPECT_EQ(file.path(), path);
  ASSERT_EQ(file.tensors().size(), 2u);

  const SafetensorsTensor* a = file.find("a");
  ASSERT_NE(a, nullptr);
  const auto bytes = file.tensor_bytes(*a);
  ASSERT_EQ(bytes.size(), 12u);
  // Zero copy: the bytes lie inside the mapping of the whole file.
  const auto whole = file.file_bytes();
  EXPECT_EQ(whole.size(), std::filesystem::file_size(path));
  EXPECT_GE(bytes.data(), whole.data());
  EXPECT_LE(bytes.data() + bytes.size(), whole.data() + whole.size());
  float values[3];
  std::memcpy(values, bytes.data(), sizeof values);
  EXPECT_EQ(values[0], 1.5f);
  EXPECT_EQ(values[1], -2.0f);
  EXPECT_EQ(values[2], 3.25f);
}

TEST(SafetensorsFile, MovingKeepsTheBytesWhereTheyAre) {
  TempDir dir;
  const auto path = dir.path() / "m.safetensors";
  testing::write_file(path,
                      testing::build_safetensors({{"a", "F32", {1}, testing::f32_bytes({4})}}));
  SafetensorsFile first = SafetensorsFile::open(path);
  const std::byte* data = first.tensor_bytes(first.tensors()[0]).data();
  SafetensorsFile second = std::move(first);
  EXPECT_EQ(second.tensor_bytes(second.tensors()[0]).data(), data);
  EXPECT_TRUE(first.file_bytes().empty());  // NOLINT(bugprone-use-after-move): moved-from is empty
}

TEST(SafetensorsFile, RejectsATruncatedFileNamingPathAndTensor) {
  TempDir dir;
  const auto path = dir.path() / "cut.safetensors";
  const std::string good =
      testing::build_safetensors({{"first", "F32", {2}, testing::f32_bytes({1, 2})},
                                  {"last", "F32", {2}, testing::f32_bytes({3, 4})}});
  testing::write_file(path, good.substr(0, good.size() - 3));
  expect_contains_all(error_message([&] { SafetensorsFile::open(path); }),
                      {path.string(), "'last'", "truncated"});

  // Cut inside the header.
  testing::write_file(path, good.substr(0, 20));
  expect_contains_all(error_message([&] { SafetensorsFile::open(path); }),
                      {path.string(), "header length", "truncated"});
}

TEST(SafetensorsFile, RejectsMissingEmptyAndNonRegularFiles) {
  TempDir dir;
  const auto missing = dir.path() / "missing.safetensors";
  expect_contains_all(error_message([&] { SafetensorsFile::open(missing); }),
                      {missing.string(), "cannot open"});

  const auto empty = dir.path() / "empty.safetensors";
  testing::write_file(empty, "");
  expect_contains_all(error_message([&] { SafetensorsFile::open(empty); }),
                      {empty.string(), "0 bytes"});

  expect_contains_all(error_message([&] { SafetensorsFile::open(dir.path()); }),
                      {dir.path().string(), "not a regular file"});
}

TEST(MappedFile, MapsReadOnlyAndUnmapsOnMove) {
  TempDir dir;
  const auto path = dir.path() / "bytes.bin";
  testing::write_file(path, "hello");
  MappedFile file = MappedFile::open(path);
  ASSERT_EQ(file.size(), 5u);
  EXPECT_EQ(std::memcmp(file.bytes().data(), "hello", 5), 0);
  file.prefetch();
  MappedFile other;
  other = std::move(file);
  EXPECT_EQ(other.size(), 5u);
  EXPECT_EQ(file.size(), 0u);  // NOLINT(bugprone-use-after-move)
}

}  // namespace
}  // namespace turbine
