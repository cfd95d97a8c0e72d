// Python literals and qwen3_coder's schema-typed parameter values. Expected strings were printed
// by CPython 3.11: json.dumps(ast.literal_eval(x), ensure_ascii=False), and vLLM's
// _convert_param_value run on the same texts and schemas.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "server/tool_calls/python_literal.h"
#include "server/tool_calls/tool_parameter_types.h"

namespace turbine::server {
namespace {

std::string literal(std::string_view text) {
  std::string out;
  if (!python_literal_to_json(text, out)) return "<refused>";
  return out;
}

TEST(PythonLiteral, ReadsWhatLiteralEvalReads) {
  EXPECT_EQ(literal("{'city': 'Paris', 'days': (1, 2), 'ok': True, 'none': None}"),
            R"({"city": "Paris", "days": [1, 2], "ok": true, "none": null})");
  EXPECT_EQ(literal("[1, -2.5, 0x1F, 0o17, 0b101, 1_000, 1e3, .5, 5., -0]"),
            "[1, -2.5, 31, 15, 5, 1000, 1000.0, 0.5, 5.0, 0]");
  EXPECT_EQ(literal(R"('it\'s' "joined")"), R"("it'sjoined")");
  EXPECT_EQ(literal(R"('\x41\u00e9\U0001F600\n\t\101\q')"), "\"A\xC3\xA9\xF0\x9F\x98\x80\\n\\tA\\\\q\"");
  EXPECT_EQ(literal(R"(r'raw\n\d')"), R"("raw\\n\\d")");
  EXPECT_EQ(literal("u'unicode'"), R"("unicode")");
  EXPECT_EQ(literal("(1)"), "1");
  EXPECT_EQ(literal("()"), "[]");
  EXPECT_EQ(literal("(1,)"), "[1]");
  EXPECT_EQ(literal("{1: 'a', 2.5: 'b', None: 'c', False: 'd'}"), R"({"1": "a", "2.5": "b", "null": "c", "false": "d"})");
  EXPECT_EQ(literal("'''triple\nquoted'''"), R"("triple\nquoted")");
  EXPECT_EQ(literal("  42"), "42");
  EXPECT_EQ(literal("[1, [2, [3, {}]]]"), "[1, [2, [3, {}]]]");
  EXPECT_EQ(literal("[1,]"), "[1]");
  EXPECT_EQ(literal("{'a': 1,}"), R"({"a": 1})");
  EXPECT_EQ(literal("123456789012345678901234567890"), "123456789012345678901234567890");
}

TEST(PythonLiteral, RefusesWhatJsonCannotHold) {
  // Python refuses these too, or json.dumps fails on the value (sets, bytes, complex numbers).
  for (std::string_view text : {"{1, 2}", "b'x'", "1j", "x", "1 + 2", "012", "'unterminated", "[1, 2", "f'x'",
                                "'a\nb'", "1__0", "1_", "0x", "", "True False", "[1] [2]"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(literal(text), "<refused>");
  }
}

const nlohmann::ordered_json& weather_tools() {
  static const nlohmann::ordered_json tools = nlohmann::ordered_json::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {
      "city": {"type": "string"}, "days": {"type": "integer"}, "metric": {"type": "boolean"},
      "threshold": {"type": "number"}, "hours": {"type": "array", "items": {"type": "integer"}},
      "options": {"type": "object"}, "note": {"type": ["string", "null"]}, "level": {"type": " Int64 "},
      "mode": {"enum": ["a", "b"]}, "raw": {"type": "any"}}}}},
    {"type": "function", "function": {"name": "get_weather", "parameters": {"properties": {"city": {"type": "integer"}}}}},
    {"type": "function", "function": {"name": "flat", "parameters": {"city": {"type": "integer"}}}},
    {"type": "function", "function": {"name": "no_params"}},
    {"type": "other", "function": {"name": "ignored"}},
    "not a tool"
  ])");
  return tools;
}

TEST(ToolParameterTypes, ReadsTheSchemaAsVllmDoes) {
  const ToolParameterTypes types(weather_tools());
  EXPECT_EQ(types.type_of("get_weather", "city"), ParameterType::kString);  // the first tool of a name wins
  EXPECT_EQ(types.type_of("get_weather", "days"), ParameterType::kInteger);
  EXPECT_EQ(types.type_of("get_weather", "level"), ParameterType::kInteger);  // stripped, lowercased
  EXPECT_EQ(types.type_of("get_weather", "metric"), ParameterType::kBoolean);
  EXPECT_EQ(types.type_of("get_weather", "threshold"), ParameterType::kNumber);
  EXPECT_EQ(types.type_of("get_weather", "hours"), ParameterType::kJson);
  EXPECT_EQ(types.type_of("get_weather", "options"), ParameterType::kJson);
  EXPECT_EQ(types.type_of("get_weather", "note"), ParameterType::kLiteral);  // a list type matches no name
  EXPECT_EQ(types.type_of("get_weather", "mode"), ParameterType::kString);   // no "type"
  EXPECT_EQ(types.type_of("get_weather", "raw"), ParameterType::kLiteral);
  EXPECT_EQ(types.type_of("get_weather", "unlisted"), ParameterType::kString);
  EXPECT_EQ(types.type_of("flat", "city"), ParameterType::kInteger);  // parameters without "properties"
  EXPECT_EQ(types.type_of("no_params", "x"), ParameterType::kString);
  EXPECT_EQ(types.type_of("ignored", "x"), ParameterType::kString);
  EXPECT_EQ(types.type_of("unknown", "x"), ParameterType::kString);
  EXPECT_EQ(ToolParameterTypes(nullptr).type_of("get_weather", "days"), ParameterType::kString);
}

TEST(ToolParameterTypes, ConvertsValuesAsVllmDoes) {
  struct Case {
    std::string_view text;
    ParameterType type;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"Paris", ParameterType::kString, R"("Paris")"},
      {"NULL", ParameterType::kString, "null"},  // "null" in any case, whatever the type
      {"nullable", ParameterType::kString, R"("nullable")"},
      {" 7 ", ParameterType::kInteger, "7"},
      {"-0012", ParameterType::kInteger, "-12"},
      {"1_000", ParameterType::kInteger, "1000"},
      {"123456789012345678901234567890", ParameterType::kInteger, "123456789012345678901234567890"},
      {"seven", ParameterType::kInteger, R"("seven")"},
      {"3.0", ParameterType::kInteger, R"("3.0")"},
      {"4.0", ParameterType::kNumber, "4"},
      {"1_000.25", ParameterType::kNumber, "1000.25"},
      {"2.5e-7", ParameterType::kNumber, "2.5e-07"},
      {"1e20", ParameterType::kNumber, "100000000000000000000"},
      {".5", ParameterType::kNumber, "0.5"},
      {"007.50", ParameterType::kNumber, "7.5"},
      {"nan", ParameterType::kNumber, R"("nan")"},
      {"inf", ParameterType::kNumber, R"("inf")"},  // vLLM fails the whole output here
      {"abc", ParameterType::kNumber, R"("abc")"},
      {"True", ParameterType::kBoolean, "true"},
      {"yes", ParameterType::kBoolean, "false"},
      {"[9, 12, 15]", ParameterType::kJson, "[9, 12, 15]"},
      {"{'unit': 'C', 'round': True}", ParameterType::kJson, R"({"unit": "C", "round": true})"},
      {R"( {"a": [1, {"b": null}]} )", ParameterType::kJson, R"({"a": [1, {"b": null}]})"},
      {"not json", ParameterType::kJson, R"("not json")"},
      {"(1, 'two', 3.5e3)", ParameterType::kLiteral, R"([1, "two", 3500.0])"},
      {"none given", ParameterType::kLiteral, R"("none given")"},
      {"", ParameterType::kInteger, R"("")"},
      {"line\n\"quoted\"\t", ParameterType::kString, R"("line\n\"quoted\"\t")"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(convert_parameter_value(c.text, c.type), c.expected);
  }
}

}  // namespace
}  // namespace turbine::server
