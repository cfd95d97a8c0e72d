// The pure header parser: good headers, and each malformed case with what its message names.
#include "model/safetensors_header.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "error_matchers.h"
#include "safetensors_writer.h"

namespace turbine {
namespace {

using testing::build_raw_safetensors;
using testing::build_safetensors;
using testing::error_message;
using testing::expect_contains_all;

constexpr std::string_view kLabel = "bad.safetensors";

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

TEST(SafetensorsHeader, ParsesTensorsMetadataAndOffsets) {
  const std::string file =
      build_safetensors({{"w", "F32", {2, 3}, testing::f32_bytes({1, 2, 3, 4, 5, 6})},
                         {"b", "BF16", {4}, testing::bf16_bytes({1, 2, 3, 4})},
                         {"s", "F16", {}, testing::f16_bytes({7})}},
                        {{"format", "pt"}});
  const SafetensorsHeader header = parse_safetensors(as_bytes(file), kLabel);

  ASSERT_EQ(header.tensors.size(), 3u);
  EXPECT_EQ(header.tensors[0].name, "b");  // sorted by name
  EXPECT_EQ(header.tensors[1].name, "s");
  EXPECT_EQ(header.tensors[2].name, "w");
  const SafetensorsTensor* w = header.find("w");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->dtype, DType::kF32);
  EXPECT_EQ(w->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w->begin, 0u);
  EXPECT_EQ(w->end, 24u);
  EXPECT_EQ(w->numel(), 6);
  const SafetensorsTensor* b = header.find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, DType::kBF16);
  EXPECT_EQ(b->begin, 24u);
  EXPECT_EQ(b->nbytes(), 8u);
  const SafetensorsTensor* s = header.find("s");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->dtype, DType::kF16);
  EXPECT_TRUE(s->shape.empty());
  EXPECT_EQ(s->numel(), 1);
  EXPECT_EQ(header.find("missing"), nullptr);
  EXPECT_EQ(header.metadata.at("format"), "pt");
  EXPECT_EQ(header.data_start % 8, 0u);
  EXPECT_EQ(header.data_start + header.data_size, file.size());
  EXPECT_EQ(header.data_size, 34u);
}

// Quantized checkpoints store FP8 values, packed integers and scales: each dtype parses with its
// element size, so the tensor's bytes are checked against its shape like any other.
TEST(SafetensorsHeader, ParsesTheStorageDtypesOfQuantizedCheckpoints) {
  struct Case {
    const char* name;
    DType dtype;
    size_t element_bytes;
  };
  const Case cases[] = {{"F64", DType::kF64, 8},        {"F8_E4M3", DType::kF8E4M3, 1},
                        {"F8_E5M2", DType::kF8E5M2, 1}, {"F8_E8M0", DType::kF8E8M0, 1},
                        {"I8", DType::kI8, 1},          {"U8", DType::kU8, 1},
                        {"I16", DType::kI16, 2},        {"U16", DType::kU16, 2},
                        {"I32", DType::kI32, 4},        {"U32", DType::kU32, 4},
                        {"I64", DType::kI64, 8},        {"U64", DType::kU64, 8},
                        {"BOOL", DType::kBool, 1}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string file =
        build_safetensors({{"q", c.name, {2, 3}, std::string(6 * c.element_bytes, '\x11')},
                           {"s", "F32", {2}, testing::f32_bytes({1, 2})}});
    const SafetensorsHeader header = parse_safetensors(as_bytes(file), kLabel);
    const SafetensorsTensor* q = header.find("q");
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->dtype, c.dtype);
    EXPECT_EQ(q->nbytes(), 6 * c.element_bytes);
    EXPECT_EQ(header.find("s")->begin, 6 * c.element_bytes);
    // One element too few bytes is still refused, in the dtype's own size.
    const std::string json = fmt::format(R"({{"q": {{"dtype": "{}", "shape": [2, 3], "data_offsets": [0, {}]}}}})",
                                         c.name, 5 * c.element_bytes);
    expect_contains_all(error_message([&] { parse_safetensors_header_json(json, 5 * c.element_bytes, kLabel); }),
                        {"'q'", c.name, fmt::format("needs {}", 6 * c.element_bytes)});
  }
}

TEST(SafetensorsHeader, AcceptsSpacePaddingEmptyTensorsExtraFieldsAndNoTensors) {
  const std::string json = R"({"a":{"dtype":"F32","shape":[0,4],"data_offsets":[0,0],"extra":1},)"
                           R"("b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}        )";
  const SafetensorsHeader header = parse_safetensors_header_json(json, 4, kLabel);
  ASSERT_EQ(header.tensors.size(), 2u);
  EXPECT_EQ(header.tensors[0].numel(), 0);
  EXPECT_EQ(header.data_start, 8 + json.size());

  EXPECT_TRUE(parse_safetensors_header_json("{}", 0, kLabel).tensors.empty());
}

TEST(SafetensorsHeader, RejectsFileShorterThanTheLengthPrefix) {
  const std::string file("\x02\x00\x00", 3);
  expect_contains_all(error_message([&] { parse_safetensors(as_bytes(file), kLabel); }),
                      {kLabel, "3 bytes", "8-byte"});
  expect_contains_all(error_message([&] { parse_safetensors({}, kLabel); }), {kLabel, "0 bytes"});
}

TEST(SafetensorsHeader, RejectsAbsurdHeaderLength) {
  std::string file(8, '\0');
  file[6] = '\x01';  // 2^48
  file += "{}";
  expect_contains_all(error_message([&] { parse_safetensors(as_bytes(file), kLabel); }),
                      {kLabel, "281474976710656", "100 MiB"});
}

TEST(SafetensorsHeader, RejectsHeaderLengthPastTheEndOfTheFile) {
  std::string file = build_raw_safetensors("{}", "");
  file[0] = 40;
  expect_contains_all(error_message([&] { parse_safetensors(as_bytes(file), kLabel); }),
                      {kLabel, "header length 40", "truncated"});
}

// One malformed header: its JSON, the size of the data region after it, and what the error
// must name besides the file label.
struct MalformedCase {
  std::string test_name;
  std::string json;
  uint64_t data_size;
  std::vector<std::string> must_mention;
};

void PrintTo(const MalformedCase& c, std::ostream* os) { *os << c.test_name; }

class MalformedHeader : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedHeader, ThrowsErrorNamingFileAndTensor) {
  const MalformedCase& c = GetParam();
  const std::string message =
      error_message([&] { parse_safetensors_header_json(c.json, c.data_size, kLabel); });
  expect_contains_all(message, {kLabel});
  for (const auto& part : c.must_mention) expect_contains_all(message, {part});
  // The same bytes through the whole-file entry point fail the same way.
  const std::string file = build_raw_safetensors(c.json, std::string(c.data_size, '\0'));
  EXPECT_EQ(error_message([&] { parse_safetensors(as_bytes(file), kLabel); }), message);
}

// A valid entry for tensor "t" with the given fields replaced, as JSON text.
std::string entry(std::string_view dtype = R"("F32")", std::string_view shape = "[2]",
                  std::string_view offsets = "[0, 8]") {
  return fmt::format(R"({{"t": {{"dtype": {}, "shape": {}, "data_offsets": {}}}}})", dtype, shape,
                     offsets);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedHeader,
    ::testing::Values(
        MalformedCase{"NotJson", "{not json", 0, {"not valid JSON"}},
        MalformedCase{"TrailingGarbage", "{} x", 0, {"not valid JSON"}},
        MalformedCase{"TrailingNul", std::string("{}\0", 3), 0, {"not valid JSON"}},
        MalformedCase{"EmptyHeader", "", 0, {"does not start with '{'"}},
        MalformedCase{"ArrayNotObject", "[1, 2]", 0, {"does not start with '{'"}},
        MalformedCase{"LeadingSpace", " {}", 0, {"does not start with '{'"}},
        MalformedCase{"InvalidUtf8Name", "{\"\xff\": 1}", 0, {"not valid JSON"}},
        MalformedCase{"EntryNotObject", R"({"t": [1]})", 0, {"'t'", "must be an object"}},
        MalformedCase{"EmptyName", R"({"": {}})", 0, {"empty name"}},
        MalformedCase{"MissingDtype",
                      R"({"t": {"shape": [2], "data_offsets": [0, 8]}})",
                      8,
                      {"'t'", "\"dtype\""}},
        MalformedCase{"MissingShape",
                      R"({"t": {"dtype": "F32", "data_offsets": [0, 8]}})",
                      8,
                      {"'t'", "\"shape\""}},
        MalformedCase{"MissingOffsets",
                      R"({"t": {"dtype": "F32", "shape": [2]}})",
                      8,
                      {"'t'", "\"data_offsets\""}},
        MalformedCase{"DtypeNotString", entry("32"), 8, {"'t'", "dtype must be a string"}},
        // Dtypes safetensors has but Turbine does not: complex, and sub-byte FP4 (no byte size).
        MalformedCase{"DtypeComplex", entry(R"("C64")"), 8, {"'t'", "\"C64\"", "F32, BF16, F16", "F8_E4M3, "}},
        MalformedCase{"DtypeF4", entry(R"("F4")"), 8, {"'t'", "\"F4\"", "does not load"}},
        MalformedCase{"DtypeLowercase", entry(R"("f32")"), 8, {"'t'", "\"f32\""}},
        MalformedCase{
            "ShapeNotArray", entry(R"("F32")", "2"), 8, {"'t'", "shape must be an array"}},
        MalformedCase{"ShapeFloat", entry(R"("F32")", "[2.0]"), 8, {"'t'", "non-negative integer"}},
        MalformedCase{
            "ShapeString", entry(R"("F32")", R"(["2"])"), 8, {"'t'", "non-negative integer"}},
        MalformedCase{"ShapeNegative", entry(R"("F32")", "[-2, -1]"), 8, {"'t'", "negative", "-2"}},
        MalformedCase{
            "ShapeHuge", entry(R"("F32")", "[18446744073709551615]"), 8, {"'t'", "64 bits"}},
        MalformedCase{"ShapeBeyondU64",
                      entry(R"("F32")", "[18446744073709551616]"),
                      8,
                      {"'t'", "non-negative integer"}},
        MalformedCase{"ShapeProductOverflow",
                      entry(R"("F32")", "[4294967296, 4294967296]"),
                      8,
                      {"'t'", "64 bits"}},
        MalformedCase{"ShapeBytesOverflow",
                      entry(R"("F32")", "[4611686018427387904]"),
                      8,
                      {"'t'", "bytes", "64 bits"}},
        MalformedCase{"OffsetsNotArray", entry(R"("F32")", "[2]", "8"), 8, {"'t'", "[begin, end]"}},
        MalformedCase{
            "OffsetsThree", entry(R"("F32")", "[2]", "[0, 8, 9]"), 8, {"'t'", "[begin, end]"}},
        MalformedCase{"OffsetsNegative",
                      entry(R"("F32")", "[2]", "[-8, 8]"),
                      8,
                      {"'t'", "data_offsets begin is negative"}},
        MalformedCase{
            "OffsetsFloat", entry(R"("F32")", "[2]", "[0, 8.5]"), 8, {"'t'", "data_offsets end"}},
        MalformedCase{"EndBeforeBegin",
                      entry(R"("F32")", "[0]", "[8, 0]"),
                      8,
                      {"'t'", "[8, 0]", "end before"}},
        MalformedCase{"EndPastData",
                      entry(R"("F32")", "[2]", "[0, 8]"),
                      6,
                      {"'t'", "[0, 8]", "6 bytes", "truncated"}},
        MalformedCase{"WrongByteLength",
                      entry(R"("F32")", "[3]", "[0, 8]"),
                      8,
                      {"'t'", "hold 8 bytes", "[3]", "needs 12"}},
        MalformedCase{"WrongByteLengthBf16",
                      entry(R"("BF16")", "[2]", "[0, 8]"),
                      8,
                      {"'t'", "BF16", "needs 4"}},
        MalformedCase{"Overlap",
                      R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                      R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                      12,
                      {"'a'", "'b'", "overlap"}},
        MalformedCase{"SameOffsets",
                      R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                      R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})",
                      8,
                      {"'a'", "'b'", "overlap"}},
        MalformedCase{"Hole",
                      R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},)"
                      R"( "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}})",
                      20,
                      {"'b'", "[8, 12)", "holes"}},
        MalformedCase{
            "HoleAtStart", entry(R"("F32")", "[2]", "[4, 12]"), 12, {"'t'", "[0, 4)", "holes"}},
        MalformedCase{"TrailingBytes", entry(), 10, {"'t'", "10 bytes", "ends at byte 8"}},
        MalformedCase{"DataButNoTensors", "{}", 4, {"4 bytes", "no tensors"}},
        MalformedCase{"DuplicateTensor",
                      R"({"t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]},)"
                      R"( "t": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})",
                      4,
                      {"'t'", "twice"}},
        MalformedCase{
            "DuplicateField",
            R"({"t": {"dtype": "F32", "dtype": "I64", "shape": [1], "data_offsets": [0, 4]}})",
            4,
            {"'dtype'", "twice"}},
        MalformedCase{
            "MetadataNotObject", R"({"__metadata__": "x"})", 0, {"__metadata__", "object"}},
        MalformedCase{"MetadataValueNotString",
                      R"({"__metadata__": {"format": 1}})",
                      0,
                      {"__metadata__", "'format'", "string"}},
        MalformedCase{"DeepNesting", "{\"t\": [[[[[[[[[[[[]]]]]]]]]]]]}", 0, {"nests deeper"}}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.test_name; });

}  // namespace
}  // namespace turbine
