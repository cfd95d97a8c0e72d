// The reasoning parsers on realistic outputs (DeepSeek R1 and Qwen3 chat formats): parse() gives
// the expected reasoning and content, and streaming the output cut anywhere gives the same text,
// in whole UTF-8 characters, never part of a tag. Then reasoning and tool-call parsing chained as
// the response path will chain them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <random>
#include <string>
#include <vector>

#include "common/error.h"
#include "server/reasoning/reasoning_parser.h"
#include "server/tool_calls/tool_call_parser.h"
#include "support/text_splits.h"

namespace turbine::server {
namespace {

struct Case {
  std::string name;
  std::string output;
  std::string reasoning;
  std::string content;
};

void check_cases(const std::string& parser_name, bool thinking, const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    SCOPED_TRACE(parser_name + (thinking ? " (thinking): " : " (no thinking): ") + c.name);
    auto parser = make_reasoning_parser(parser_name, thinking);
    const ReasoningParser::Result result = parser->parse(c.output);
    EXPECT_EQ(result.reasoning, c.reasoning);
    EXPECT_EQ(result.content, c.content);
    const bool utf8 = test::is_valid_utf8(c.output);
    for (const test::Pieces& pieces : test::all_splits(c.output)) {
      auto streaming = make_reasoning_parser(parser_name, thinking);
      std::string reasoning, content;
      bool content_started = false, order_ok = true, utf8_ok = true;
      auto take = [&](const ReasoningDelta& d) {
        if (!d.reasoning.empty() && content_started) order_ok = false;
        if (!d.content.empty()) content_started = true;
        if (utf8 && (!test::is_valid_utf8(d.reasoning) || !test::is_valid_utf8(d.content))) utf8_ok = false;
        reasoning += d.reasoning;
        content += d.content;
      };
      for (std::string_view piece : pieces) take(streaming->feed(piece));
      take(streaming->finish());
      std::string cuts;
      for (std::string_view p : pieces) cuts += std::to_string(p.size()) + " ";
      ASSERT_EQ(reasoning, c.reasoning) << "pieces of sizes " << cuts;
      ASSERT_EQ(content, c.content) << "pieces of sizes " << cuts;
      ASSERT_TRUE(order_ok) << "reasoning after content; pieces of sizes " << cuts;
      ASSERT_TRUE(utf8_ok) << "a piece splits a character; pieces of sizes " << cuts;
    }
  }
}

std::vector<Case> common_cases() {
  return {
      {"both tags", "<think>\nThe user wants 2+2.\n</think>\n\nThe answer is 4.", "\nThe user wants 2+2.\n",
       "\n\nThe answer is 4."},
      {"start tag in the prompt", "Okay, 2+2=4.</think>The answer is 4.", "Okay, 2+2=4.", "The answer is 4."},
      {"cut off while thinking", "<think>Let me think about", "Let me think about", ""},
      {"nothing after the end tag", "Reasoning done.</think>", "Reasoning done.", ""},
      {"a second <think> is text", "<think>a <think> b</think>c", "a <think> b", "c"},
      {"multibyte text", "<think>\xC3\x9C" "berlegung \xF0\x9F\x98\x80</think>Antwort \xE2\x9C\x93",
       "\xC3\x9C" "berlegung \xF0\x9F\x98\x80", "Antwort \xE2\x9C\x93"},
      {"tags that are not quite tags", "x </thin y <think > z</think> </think> w", "x </thin y <think > z",
       " </think> w"},
      {"empty output", "", "", ""},
  };
}

TEST(DeepSeekR1ReasoningParser, ParsesAndStreams) {
  std::vector<Case> cases = common_cases();
  // No <tool_call> rule: it is reasoning like any other text.
  cases.push_back({"tool call inside the thinking", "I will call it.<tool_call>{}</tool_call></think>ok",
                   "I will call it.<tool_call>{}</tool_call>", "ok"});
  check_cases("deepseek_r1", true, cases);
  check_cases("deepseek_r1", false, cases);  // R1 always thinks, whatever the request asked
}

TEST(Qwen3ReasoningParser, ParsesAndStreamsWithThinking) {
  std::vector<Case> cases = common_cases();
  cases.push_back({"a tool call ends the thinking (Qwen 3.5)",
                   "I should call the tool.\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>",
                   "I should call the tool.\n", "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>"});
  cases.push_back({"a tool call after the thinking",
                   "<think>\nweather needed\n</think>\n\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>",
                   "\nweather needed\n", "\n\n<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>"});
  check_cases("qwen3", true, cases);
}

TEST(Qwen3ReasoningParser, NoReasoningWithThinkingDisabled) {
  check_cases("qwen3", false,
              {
                  {"answer only", "The answer is 4.", "", "The answer is 4."},
                  {"tags are text", "<think>x</think>y", "", "<think>x</think>y"},
                  {"tool call", "<tool_call>\n{}\n</tool_call>", "", "<tool_call>\n{}\n</tool_call>"},
              });
}

TEST(ReasoningParsers, RandomOutputs) {
  // Texts of tag pieces and text: the same split at every cut, and equal to parse().
  const std::vector<std::string> pieces = {"<think>", "</think>", "<tool_call>", "<thi", "</th", "<tool_", "<", ">",
                                           "/", "think", "answer ", "\n", "\xC3\xA9", "\xF0\x9F\x98\x80", "\xF0\x9F"};
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string output;
    const int n = std::uniform_int_distribution<int>(0, 12)(rng);
    for (int k = 0; k < n; ++k) output += pieces[std::uniform_int_distribution<size_t>(0, pieces.size() - 1)(rng)];
    SCOPED_TRACE(output);
    for (const auto& [name, thinking] : std::vector<std::pair<std::string, bool>>{{"deepseek_r1", true}, {"qwen3", true}, {"qwen3", false}}) {
      const ReasoningParser::Result expected = make_reasoning_parser(name, thinking)->parse(output);
      for (const test::Pieces& split : test::all_splits(output, 8)) {
        auto parser = make_reasoning_parser(name, thinking);
        std::string reasoning, content;
        for (std::string_view piece : split) {
          const ReasoningDelta d = parser->feed(piece);
          reasoning += d.reasoning;
          content += d.content;
        }
        const ReasoningDelta d = parser->finish();
        ASSERT_EQ(reasoning + d.reasoning, expected.reasoning) << name;
        ASSERT_EQ(content + d.content, expected.content) << name;
      }
      ASSERT_EQ(expected.reasoning.size() + expected.content.size() <= output.size(), true);
    }
  }
}

TEST(ReasoningParser, TellsWhetherItIsStillReasoning) {
  auto parser = make_reasoning_parser("qwen3", true);
  EXPECT_TRUE(parser->in_reasoning());
  ReasoningDelta d = parser->feed("<think>hmm</thi");
  EXPECT_EQ(d.reasoning, "hmm");
  EXPECT_TRUE(parser->in_reasoning());
  d = parser->feed("nk>Hi");
  EXPECT_EQ(d.content, "Hi");
  EXPECT_FALSE(parser->in_reasoning());
  EXPECT_FALSE(make_reasoning_parser("qwen3", false)->in_reasoning());
}

TEST(ReasoningParserFactory, KnowsItsParsers) {
  EXPECT_EQ(reasoning_parser_names(), (std::vector<std::string>{"deepseek_r1", "qwen3"}));
  try {
    make_reasoning_parser("granite", true);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown reasoning parser 'granite' (known: deepseek_r1, qwen3)");
  }
}

// The response path: the reasoning parser first, its content through the tool-call parser.
TEST(ReasoningThenToolCalls, ChainedWhileStreaming) {
  const std::string output =
      "<think>\nThe user wants the weather in Paris; I need the tool.\n</think>\n\n<tool_call>\n"
      "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>";
  for (const test::Pieces& pieces : test::all_splits(output, 16)) {
    auto reasoning = make_reasoning_parser("qwen3", true);
    auto tools = make_tool_call_parser("hermes", nullptr);
    std::string thought, content, name, arguments;
    auto take = [&](const ReasoningDelta& r, bool last) {
      thought += r.reasoning;
      ParsedDelta d = tools->feed(r.content);
      if (last) {
        ParsedDelta end = tools->finish();
        d.content += end.content;
        d.tool_calls.insert(d.tool_calls.end(), end.tool_calls.begin(), end.tool_calls.end());
      }
      content += d.content;
      for (const ToolCallDelta& call : d.tool_calls) {
        if (call.name) name += *call.name;
        arguments += call.arguments_delta;
      }
    };
    for (std::string_view piece : pieces) take(reasoning->feed(piece), false);
    take(reasoning->finish(), true);
    ASSERT_EQ(thought, "\nThe user wants the weather in Paris; I need the tool.\n");
    ASSERT_EQ(content, "\n\n");
    ASSERT_EQ(name, "get_weather");
    ASSERT_EQ(arguments, R"({"city": "Paris"})");
  }
}

}  // namespace
}  // namespace turbine::server
