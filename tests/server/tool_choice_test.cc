// tool_choice "required" and named choices become constraints whose language is exactly the
// tool calls the tools allow (checked through the real grammar compiler and matcher).
#include "server/tool_choice.h"

#include <gtest/gtest.h>

#include "server/api_error.h"
#include "structured/constraint_spec.h"
#include "structured/grammar_matcher.h"

namespace turbine::server {
namespace {

const Json kTools = Json::parse(R"([
  {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}}, "required": ["city"]}}},
  {"type": "function", "function": {"name": "add", "parameters": {"type": "object",
    "properties": {"a": {"$ref": "#/$defs/num"}, "b": {"$ref": "#/$defs/num"}}, "required": ["a", "b"],
    "$defs": {"num": {"type": "integer"}}}}},
  {"type": "function", "function": {"name": "now"}}])");

ToolChoice choice_of(const std::string& json) {
  const Json body = Json::parse(json);
  return parse_tool_choice(JsonObjectReader(body), kTools);
}

// Whether the constraint's grammar matches `text` exactly (byte vocabulary: every byte a token).
bool accepts(const OutputConstraint& c, const std::string& text) {
  std::vector<std::string> bytes(257);
  for (int b = 0; b < 256; ++b) bytes[size_t(b) + 1] = std::string(1, char(b));
  auto vocab = std::make_shared<structured::TokenVocabulary>(bytes, std::vector<int32_t>{0}, 257);
  structured::GrammarMatcher m(structured::CompiledGrammar::compile(structured::grammar_of(c.spec), vocab));
  return m.accept_bytes(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size())) && m.can_end();
}

TEST(ToolChoice, DefaultsAndModes) {
  EXPECT_EQ(choice_of("{}").mode, ToolChoice::Mode::kAuto);
  EXPECT_EQ(choice_of(R"({"tool_choice": "none"})").mode, ToolChoice::Mode::kNone);
  const ToolChoice named = choice_of(R"({"tool_choice": {"type": "function", "function": {"name": "add"}}})");
  EXPECT_EQ(named.mode, ToolChoice::Mode::kNamed);
  EXPECT_EQ(named.name, "add");
  EXPECT_FALSE(choice_of(R"({"parallel_tool_calls": false})").parallel_tool_calls);
  EXPECT_FALSE(tool_choice_constraint(choice_of("{}"), kTools).has_value());
}

TEST(ToolChoice, NamedChoiceConstrainsToTheArguments) {
  const auto c = tool_choice_constraint(choice_of(R"({"tool_choice": {"type": "function", "function": {"name": "add"}}})"), kTools);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(accepts(*c, R"({"a": 1, "b": -2})"));
  EXPECT_FALSE(accepts(*c, R"({"a": 1})"));
  EXPECT_FALSE(accepts(*c, R"({"city": "Paris"})"));
  // A tool without parameters takes an empty object.
  const auto now = tool_choice_constraint(choice_of(R"({"tool_choice": {"type": "function", "function": {"name": "now"}}})"), kTools);
  EXPECT_TRUE(accepts(*now, "{}"));
}

TEST(ToolChoice, RequiredIsAListOfCallsToKnownTools) {
  const auto c = tool_choice_constraint(choice_of(R"({"tool_choice": "required"})"), kTools);
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(accepts(*c, R"([{"name": "get_weather", "parameters": {"city": "Oslo"}}])"));
  EXPECT_TRUE(accepts(*c, R"([{"name": "add", "parameters": {"a": 2, "b": 3}}, {"name": "now", "parameters": {}}])"));
  EXPECT_FALSE(accepts(*c, "[]"));                                                        // at least one call
  EXPECT_FALSE(accepts(*c, R"([{"name": "remove", "parameters": {}}])"));                 // not a tool
  EXPECT_FALSE(accepts(*c, R"([{"name": "add", "parameters": {"a": "x", "b": 3}}])"));    // $defs resolved at the top
  EXPECT_FALSE(accepts(*c, R"([{"name": "get_weather", "parameters": {"unit": "c"}}])"));  // city is required
  const auto one = tool_choice_constraint(choice_of(R"({"tool_choice": "required", "parallel_tool_calls": false})"), kTools);
  EXPECT_TRUE(accepts(*one, R"([{"name": "now", "parameters": {}}])"));
  EXPECT_FALSE(accepts(*one, R"([{"name": "now", "parameters": {}}, {"name": "now", "parameters": {}}])"));
}

TEST(ToolChoice, ConflictingDefinitionsAreA400) {
  const Json tools = Json::parse(R"([
    {"type": "function", "function": {"name": "a", "parameters": {"$defs": {"x": {"type": "integer"}}}}},
    {"type": "function", "function": {"name": "b", "parameters": {"$defs": {"x": {"type": "string"}}}}}])");
  const Json body = Json::parse(R"({"tool_choice": "required"})");
  const ToolChoice choice = parse_tool_choice(JsonObjectReader(body), tools);
  EXPECT_THROW(tool_choice_constraint(choice, tools), ApiError);
}

}  // namespace
}  // namespace turbine::server
