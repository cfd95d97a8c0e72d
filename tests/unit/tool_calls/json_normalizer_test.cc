// JsonNormalizer and the json.dumps pieces: the text must be what Python's
// json.dumps(json.loads(x), ensure_ascii=False) prints (expected strings below were printed by
// CPython 3.11), whatever the split of the input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "server/tool_calls/json_normalizer.h"
#include "server/tool_calls/python_json.h"
#include "support/text_splits.h"

namespace turbine::server {
namespace {

struct NormalizeCase {
  std::string input;
  std::string expected;
};

const std::vector<NormalizeCase>& normalize_cases() {
  static const std::vector<NormalizeCase> cases = {
      {R"({"city":"Paris","days":3})", R"({"city": "Paris", "days": 3})"},
      {R"( {"a" : [1,2 , {"b":null}],"c":true , "d":false}  )", R"({"a": [1, 2, {"b": null}], "c": true, "d": false})"},
      {R"("caf\u00e9 \"q\" \/ \\ \n\t\b\f\r \u0001 \u001f \u007f")",
       "\"caf\xC3\xA9 \\\"q\\\" / \\\\ \\n\\t\\b\\f\\r \\u0001 \\u001f \x7F\""},
      {"\"\\ud83d\\ude00 and raw \xF0\x9F\x98\x80 and \\u2028\"",
       "\"\xF0\x9F\x98\x80 and raw \xF0\x9F\x98\x80 and \xE2\x80\xA8\""},
      {"[1.0, 1.50, -0.0, 0.0001, 0.00001, 1e16, 1.5e16, 1234567890123456.0, 1E+2, 2e-7, "
       "123456789012345678901234567890, -0, 3.141592653589793, 1e400, -1e400, 1e-400]",
       "[1.0, 1.5, -0.0, 0.0001, 1e-05, 1e+16, 1.5e+16, 1234567890123456.0, 100.0, 2e-07, "
       "123456789012345678901234567890, 0, 3.141592653589793, Infinity, -Infinity, 0.0]"},
      {"{}", "{}"},
      {"[]", "[]"},
      {"[[],{}]", "[[], {}]"},
      {R"({"k":{"k2":{"k3":[]}}})", R"({"k": {"k2": {"k3": []}}})"},
      {R"("\u00e9\u4e2d")", "\"\xC3\xA9\xE4\xB8\xAD\""},
      {"12", "12"},
      {"-5", "-5"},
      {"null", "null"},
      {"1e5", "100000.0"},
      {"5e-324", "5e-324"},
      {"1.7976931348623157e308", "1.7976931348623157e+308"},
      // A lone surrogate (json.loads keeps it; json.dumps could not encode it): kept as an escape.
      {R"("a\ud800b")", R"("a\ud800b")"},
      {R"("\ud83d\u0041")", R"("\ud83dA")"},
  };
  return cases;
}

std::string normalize_pieces(const test::Pieces& pieces, JsonNormalizer::Status& status) {
  JsonNormalizer normalizer;
  std::string out;
  size_t trailing = 0;
  for (std::string_view piece : pieces) {
    const size_t used = normalizer.feed(piece, out);
    trailing += piece.size() - used;
  }
  status = normalizer.status() == JsonNormalizer::Status::kIncomplete ? normalizer.finish(out) : normalizer.status();
  (void)trailing;
  return out;
}

TEST(JsonNormalizer, WritesWhatJsonDumpsWrites) {
  for (const NormalizeCase& c : normalize_cases()) {
    SCOPED_TRACE(c.input);
    std::string out;
    ASSERT_TRUE(normalize_json(c.input, out));
    EXPECT_EQ(out, c.expected);
  }
}

TEST(JsonNormalizer, SameTextAtEverySplit) {
  for (const NormalizeCase& c : normalize_cases()) {
    SCOPED_TRACE(c.input);
    for (const test::Pieces& pieces : test::all_splits(c.input, 16)) {
      JsonNormalizer::Status status;
      const std::string out = normalize_pieces(pieces, status);
      ASSERT_EQ(status, JsonNormalizer::Status::kComplete);
      ASSERT_EQ(out, c.expected);
    }
  }
}

TEST(JsonNormalizer, PartialOutputIsAPrefixOfTheFinalText) {
  const NormalizeCase& c = normalize_cases()[4];
  JsonNormalizer normalizer;
  std::string out;
  for (char ch : c.input) {
    normalizer.feed(std::string_view(&ch, 1), out);
    ASSERT_EQ(c.expected.substr(0, out.size()), out);
  }
}

TEST(JsonNormalizer, SameValueAsNlohmannReadsIt) {
  // An independent reader: the normalized text means the same JSON as the input.
  for (const NormalizeCase& c : normalize_cases()) {
    if (c.input.find("e400") != std::string::npos || c.input.find("ud800") != std::string::npos ||
        c.input.find("ud83d\\u0041") != std::string::npos)
      continue;  // nlohmann refuses infinities and lone surrogates
    SCOPED_TRACE(c.input);
    std::string out;
    ASSERT_TRUE(normalize_json(c.input, out));
    EXPECT_EQ(nlohmann::json::parse(out), nlohmann::json::parse(c.input));
  }
}

TEST(JsonNormalizer, StopsRightAfterTheValue) {
  JsonNormalizer object;
  std::string out;
  EXPECT_EQ(object.feed(R"(  {"a": 1}</tool_call>)", out), 10u);
  EXPECT_EQ(object.status(), JsonNormalizer::Status::kComplete);
  EXPECT_EQ(out, R"({"a": 1})");

  JsonNormalizer number;  // a number ends at the first byte that cannot continue it
  out.clear();
  EXPECT_EQ(number.feed("42}", out), 2u);
  EXPECT_EQ(number.status(), JsonNormalizer::Status::kComplete);
  EXPECT_EQ(out, "42");

  JsonNormalizer open_number;  // ... or at the end of the input
  out.clear();
  EXPECT_EQ(open_number.feed("-3.5", out), 4u);
  EXPECT_EQ(open_number.status(), JsonNormalizer::Status::kIncomplete);
  EXPECT_EQ(open_number.finish(out), JsonNormalizer::Status::kComplete);
  EXPECT_EQ(out, "-3.5");
  EXPECT_EQ(open_number.first_byte(), '-');
}

TEST(JsonNormalizer, RefusesWhatJsonLoadsRefuses) {
  for (std::string_view bad :
       {"", "{", "[1,]", "{\"a\":1,}", "{'a': 1}", "01", "1.", ".5", "-", "+1", "1e", "tru", "nul", "\"a\nb\"",
        "\"\\x41\"", "\"\\u12g4\"", "{\"a\" 1}", "[1 2]", "{1: 2}", "NaN", "Infinity", "\"unterminated", "[1]]",
        "truex", "{\"a\":1}}"}) {
    SCOPED_TRACE(bad);
    std::string out;
    EXPECT_FALSE(normalize_json(bad, out));
  }
}

TEST(JsonNormalizer, LimitsNesting) {
  std::string out;
  EXPECT_TRUE(normalize_json(std::string(100, '[') + std::string(100, ']'), out));
  EXPECT_FALSE(normalize_json(std::string(129, '[') + std::string(129, ']'), out));
  EXPECT_TRUE(normalize_json(std::string(129, '[') + std::string(129, ']'), out, 200));
}

TEST(PythonJson, FloatReprIsPythons) {
  // repr(float) in CPython 3.11.
  const std::vector<std::pair<double, std::string>> cases = {
      {0.1, "0.1"},           {1.0 / 3, "0.3333333333333333"},
      {2.5e-5, "2.5e-05"},    {1e22, "1e+22"},
      {1e21, "1e+21"},        {123e-20, "1.23e-18"},
      {9007199254740993.0, "9007199254740992.0"},
      {0.30000000000000004, "0.30000000000000004"},
      {1e-7, "1e-07"},        {12345.678, "12345.678"},
      {0.0, "0.0"},           {-0.0, "-0.0"},
      {1e16, "1e+16"},        {1e15, "1000000000000000.0"},
      {0.0001, "0.0001"},     {0.00001, "1e-05"},
      {-1.5e300, "-1.5e+300"}, {5e-324, "5e-324"},
      {INFINITY, "Infinity"}, {-INFINITY, "-Infinity"},
      {NAN, "NaN"},
  };
  for (const auto& [value, expected] : cases) EXPECT_EQ(python_float_repr(value), expected);
  EXPECT_EQ(python_int_of_integral_double(1e20), "100000000000000000000");
  EXPECT_EQ(python_int_of_integral_double(-0.0), "0");
  EXPECT_EQ(python_int_of_integral_double(-42.0), "-42");
}

TEST(PythonJson, StringEscapes) {
  std::string out;
  append_python_json_string(out, "a\"b\\c\n\x01\x1f\x7f \xC3\xA9 </tag>");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\\u001f\x7f \xC3\xA9 </tag>\"");
}

}  // namespace
}  // namespace turbine::server
