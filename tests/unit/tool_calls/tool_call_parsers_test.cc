// The tool-call parsers on realistic model outputs (written after the formats of vLLM's
// tests/tool_parsers cases, and its chat templates): parse() must give vLLM's non-streaming
// result, and streaming the same output cut at every position (and byte by byte, and at random)
// must give the same content and calls - sent in OpenAI's shape: the id and name once in a call's
// first delta, argument pieces that concatenate to the final arguments, whole UTF-8 characters,
// never a piece of a tag as content. Malformed outputs fall back to content as vLLM's do; where
// a stream had already sent a call, its expected stream is written out too.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "common/error.h"
#include "server/tool_calls/tool_call_parser.h"
#include "support/text_splits.h"

namespace turbine::server {
namespace {

using Json = nlohmann::ordered_json;

struct Call {
  std::string name;
  std::string arguments;
  bool operator==(const Call&) const = default;
};

struct Outcome {
  std::string content;
  std::vector<Call> calls;
  bool operator==(const Outcome&) const = default;
};

std::string quoted(const std::string& s) { return Json(s).dump(-1, ' ', false, Json::error_handler_t::replace); }

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  os << "content=" << quoted(o.content) << " calls=[";
  for (const Call& c : o.calls) os << " " << c.name << quoted(c.arguments);
  return os << " ]";
}

struct Case {
  std::string name;
  std::string output;
  Outcome parsed;                 // parse()
  std::optional<Outcome> stream;  // a stream, where it differs from parse() (malformed after a call)
};

// Streams `pieces` through `parser`, checking the shape of every delta; problems go to `problems`.
Outcome stream(ToolCallParser& parser, const test::Pieces& pieces, const std::regex& id_shape, bool utf8_input,
               std::vector<std::string>& problems) {
  Outcome out;
  std::vector<std::string> ids;
  auto take = [&](const ParsedDelta& delta) {
    if (utf8_input && !test::is_valid_utf8(delta.content)) problems.push_back("content piece splits a character");
    out.content += delta.content;
    int last_index = -1;
    for (const ToolCallDelta& d : delta.tool_calls) {
      if (d.index <= last_index) problems.push_back("two deltas of one call, or calls out of order, in one chunk");
      last_index = d.index;
      if (d.index == int(out.calls.size())) {
        if (!d.id || !d.name) problems.push_back("a call's first delta lacks its id or name");
        if (d.id && !std::regex_match(*d.id, id_shape)) problems.push_back("bad id " + *d.id);
        if (d.id && std::find(ids.begin(), ids.end(), *d.id) != ids.end()) problems.push_back("id reused");
        if (d.id) ids.push_back(*d.id);
        out.calls.push_back(Call{d.name.value_or(""), ""});
      } else if (d.index != int(out.calls.size()) - 1 || d.id || d.name) {
        problems.push_back("a delta for a call that is not the current one, or a second name");
        continue;
      }
      if (utf8_input && !test::is_valid_utf8(d.arguments_delta)) problems.push_back("arguments piece splits a character");
      out.calls.back().arguments += d.arguments_delta;
    }
  };
  for (std::string_view piece : pieces) take(parser.feed(piece));
  take(parser.finish());
  return out;
}

Outcome parsed_outcome(const ToolCallParser::Result& result, const std::regex& id_shape) {
  Outcome out{result.content, {}};
  for (const ToolCall& call : result.calls) {
    EXPECT_TRUE(std::regex_match(call.id, id_shape)) << call.id;
    out.calls.push_back(Call{call.name, call.arguments});
  }
  return out;
}

void check_cases(const std::string& parser_name, const Json& tools, const std::vector<Case>& cases,
                 const std::string& id_pattern) {
  const std::regex id_shape(id_pattern);
  for (const Case& c : cases) {
    SCOPED_TRACE(parser_name + ": " + c.name);
    auto parser = make_tool_call_parser(parser_name, tools);
    EXPECT_EQ(parsed_outcome(parser->parse(c.output), id_shape), c.parsed);
    const Outcome expected_stream = c.stream.value_or(c.parsed);
    const bool utf8 = test::is_valid_utf8(c.output);
    size_t runs = 0;
    for (const test::Pieces& pieces : test::all_splits(c.output)) {
      std::vector<std::string> problems;
      auto streaming = make_tool_call_parser(parser_name, tools);
      const Outcome got = stream(*streaming, pieces, id_shape, utf8, problems);
      std::string cuts;
      for (std::string_view p : pieces) cuts += std::to_string(p.size()) + " ";
      ASSERT_EQ(got, expected_stream) << "pieces of sizes " << cuts;
      ASSERT_TRUE(problems.empty()) << problems.front() << " (pieces of sizes " << cuts << ")";
      ++runs;
    }
    EXPECT_GT(runs, c.output.size());
  }
}

const char* const kChatCompletionId = "chatcmpl-tool-[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}";

// ---------------------------------------------------------------------------------------------
// hermes

std::vector<Case> hermes_cases() {
  return {
      {"plain text", "The weather in Paris is sunny, 21 \xC2\xB0" "C.", {"The weather in Paris is sunny, 21 \xC2\xB0" "C.", {}}},
      {"one call (Qwen 2.5 template)",
       "<tool_call>\n{\"name\": \"get_current_weather\", \"arguments\": {\"city\": \"Dallas\", \"state\": \"TX\", "
       "\"unit\": \"fahrenheit\"}}\n</tool_call>",
       {"", {{"get_current_weather", R"({"city": "Dallas", "state": "TX", "unit": "fahrenheit"})"}}}},
      {"content, then two compact calls",
       "Let me check both cities.\n\n<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\",\"days\":3}}"
       "\n</tool_call>\n<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"T\xC5\x8Dky\xC5\x8D\",\"days\":"
       "1.50}}\n</tool_call>",
       {"Let me check both cities.\n\n",
        {{"get_weather", R"({"city": "Paris", "days": 3})"},
         {"get_weather", "{\"city\": \"T\xC5\x8Dky\xC5\x8D\", \"days\": 1.5}"}}}},
      {"escapes, nesting, emoji",
       "<tool_call>\n{\"name\": \"search\", \"arguments\": {\"query\": \"caf\\u00e9 \\\"best\\\" \\/ \xF0\x9F\x98\x80\", "
       "\"filters\": {\"tags\": [\"a\", \"b\"], \"open\": true, \"rating\": null}, \"limit\": 10}}\n</tool_call>",
       {"",
        {{"search", "{\"query\": \"caf\xC3\xA9 \\\"best\\\" / \xF0\x9F\x98\x80\", \"filters\": {\"tags\": [\"a\", \"b\"], "
                    "\"open\": true, \"rating\": null}, \"limit\": 10}"}}}},
      {"arguments before the name, an extra key",
       R"J(<tool_call>{"arguments": {"expression": "2 * (3 + 4)"}, "name": "calculate", "id": 7}</tool_call>)J",
       {"", {{"calculate", R"J({"expression": "2 * (3 + 4)"})J"}}}},
      {"no closing tag: complete JSON still counts",
       "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}\n",
       {"", {{"get_time", "{}"}}}},
      {"text after the calls is dropped",
       "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}\n</tool_call>\nI called f for you.",
       {"", {{"f", R"({"x": 1})"}}}},
      {"tag-like text is content", "Use <b>bold</b>, <tool and <tool_cal in text. </tool_call> alone too.",
       {"Use <b>bold</b>, <tool and <tool_cal in text. </tool_call> alone too.", {}}},
      {"arguments given as a JSON string",
       R"(<tool_call>{"name": "f", "arguments": "{\"a\": 1}"}</tool_call>)",
       {"", {{"f", R"("{\"a\": 1}")"}}}},
      // Malformed: vLLM's json.loads fails and the whole output is content.
      {"not JSON inside the tag", "I'll call <tool_call>\nget_weather(city='Paris')\n</tool_call>",
       {"I'll call <tool_call>\nget_weather(city='Paris')\n</tool_call>", {}}},
      {"no arguments key", R"(<tool_call>{"name": "get_time"}</tool_call> ok)",
       {R"(<tool_call>{"name": "get_time"}</tool_call> ok)", {}}},
      {"name not a string", R"(<tool_call>{"name": 5, "arguments": {}}</tool_call>)",
       {R"(<tool_call>{"name": 5, "arguments": {}}</tool_call>)", {}}},
      {"a partial tag at the end", "Answer: 42 <tool_ca", {"Answer: 42 <tool_ca", {}}},
      {"bad JSON in the arguments, after the name went out",
       R"(<tool_call>{"name": "f", "arguments": {"a": tru}}</tool_call> rest)",
       {R"(<tool_call>{"name": "f", "arguments": {"a": tru}}</tool_call> rest)", {}},
       Outcome{"", {{"f", R"({"a": )"}}}},
      {"cut off by max_tokens",
       "Sure.<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par",
       {"Sure.<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par", {}},
       Outcome{"Sure.", {{"get_weather", R"({"city": "Par)"}}}},
      {"text after the JSON inside the tag", R"(<tool_call>{"name": "f", "arguments": {}} extra</tool_call>)",
       {R"(<tool_call>{"name": "f", "arguments": {}} extra</tool_call>)", {}}, Outcome{"", {{"f", "{}"}}}},
      {"a second call malformed",
       R"(<tool_call>{"name": "a", "arguments": {}}</tool_call><tool_call>oops</tool_call>)",
       {R"(<tool_call>{"name": "a", "arguments": {}}</tool_call><tool_call>oops</tool_call>)", {}},
       Outcome{"", {{"a", "{}"}}}},
  };
}

TEST(HermesToolCallParser, ParsesAndStreams) { check_cases("hermes", nullptr, hermes_cases(), kChatCompletionId); }

TEST(HermesToolCallParser, NeverSendsPartOfATagAsContent) {
  auto parser = make_tool_call_parser("hermes", nullptr);
  EXPECT_EQ(parser->feed("Checking <tool").content, "Checking ");
  ParsedDelta d = parser->feed("_call>\n{\"name\": \"get_ti");
  EXPECT_TRUE(d.empty());  // the name is sent whole, once its arguments key is read
  d = parser->feed("me\", \"arguments\": {\"zone\": \"C");
  ASSERT_EQ(d.tool_calls.size(), 1u);
  EXPECT_EQ(d.tool_calls[0].name, "get_time");
  EXPECT_EQ(d.tool_calls[0].arguments_delta, R"({"zone": "C)");
  d = parser->feed("ET\"}}\n</tool_call>");
  ASSERT_EQ(d.tool_calls.size(), 1u);
  EXPECT_FALSE(d.tool_calls[0].id.has_value());
  EXPECT_EQ(d.tool_calls[0].arguments_delta, R"(ET"})");
  EXPECT_TRUE(parser->finish().empty());
}

TEST(HermesToolCallParser, HoldsBackASplitCharacter) {
  auto parser = make_tool_call_parser("hermes", nullptr);
  EXPECT_EQ(parser->feed("caf\xC3").content, "caf");
  EXPECT_EQ(parser->feed("\xA9!").content, "\xC3\xA9!");
  EXPECT_EQ(parser->finish().content, "");
}

// ---------------------------------------------------------------------------------------------
// llama3_json

std::vector<Case> llama3_cases() {
  return {
      {"plain text", "I don't need a tool for that: 2 + 2 = 4.", {"I don't need a tool for that: 2 + 2 = 4.", {}}},
      {"one call",
       R"({"name": "get_weather", "parameters": {"city": "San Francisco", "unit": "celsius"}})",
       {"", {{"get_weather", R"({"city": "San Francisco", "unit": "celsius"})"}}}},
      {"python tag (Llama 3.1 built-in format)",
       R"(<|python_tag|>{"name": "brave_search", "parameters": {"query": "llama 3.2 release"}})",
       {"", {{"brave_search", R"({"query": "llama 3.2 release"})"}}}},
      {"two calls separated by ';', arguments key",
       R"({"name": "get_weather", "parameters": {"city": "Paris"}}; {"name": "get_time", "arguments": {"zone": "CET"}})",
       {"", {{"get_weather", R"({"city": "Paris"})"}, {"get_time", R"({"zone": "CET"})"}}}},
      {"leading whitespace, newline between calls",
       "\n\n{\"name\":\"a\",\"parameters\":{}}\n{\"name\":\"b\",\"parameters\":{\"x\":[1,2.0]}}",
       {"", {{"a", "{}"}, {"b", R"({"x": [1, 2.0]})"}}}},
      {"content before the python tag",
       R"(Let me search.<|python_tag|>{"name": "search", "parameters": {"q": "x"}})",
       {"Let me search.", {{"search", R"({"q": "x"})"}}}},
      {"trailing text is dropped", R"({"name": "f", "parameters": {}} I hope this helps.)", {"", {{"f", "{}"}}}},
      {"JSON later in prose is content", R"(Use {"name": "x"} syntax.)", {R"(Use {"name": "x"} syntax.)", {}}},
      {"whitespace only", "  \n", {"  \n", {}}},
      {"a JSON answer is not a call", R"({"answer": 42, "unit": "km"})", {R"({"answer": 42, "unit": "km"})", {}}},
      {"python tag then code", "<|python_tag|>print('hi')", {"<|python_tag|>print('hi')", {}}},
      {"cut off by max_tokens", R"({"name": "get_weather", "parameters": {"city": "Pa)",
       {R"({"name": "get_weather", "parameters": {"city": "Pa)", {}}, Outcome{"", {{"get_weather", R"({"city": "Pa)"}}}},
      {"a second object that is not a call", R"({"name": "a", "parameters": {}}; {"oops": 1})",
       {R"({"name": "a", "parameters": {}}; {"oops": 1})", {}}, Outcome{"", {{"a", "{}"}}}},
  };
}

TEST(Llama3JsonToolCallParser, ParsesAndStreams) {
  check_cases("llama3_json", nullptr, llama3_cases(), kChatCompletionId);
}

// ---------------------------------------------------------------------------------------------
// mistral

std::vector<Case> mistral_cases() {
  return {
      {"plain text", "This is a test", {"This is a test", {}}},
      {"list form", R"([TOOL_CALLS][{"name": "add", "arguments": {"a": 3.5, "b": 4}}])",
       {"", {{"add", R"({"a": 3.5, "b": 4})"}}}},
      {"list form: content, two calls, argument before name, an id key",
       R"(Hello[TOOL_CALLS] [ {"name":"add" , "arguments" : {"a": 1, "b": 2} }, {"arguments": {"name": "John Doe"}, "name": "get_age", "id": "abc123XYZ"} ])",
       {"Hello", {{"add", R"({"a": 1, "b": 2})"}, {"get_age", R"({"name": "John Doe"})"}}}},
      {"list form: trailing text dropped",
       "[TOOL_CALLS] [{\"name\": \"f\", \"arguments\": {}}]\nextra trailing data", {"", {{"f", "{}"}}}},
      {"[ARGS] form", R"([TOOL_CALLS]get_weather[ARGS]{"city": "Paris", "unit": "celsius"})",
       {"", {{"get_weather", R"({"city": "Paris", "unit": "celsius"})"}}}},
      {"[ARGS] form, two calls",
       R"([TOOL_CALLS]add[ARGS]{"a": 3.5, "b": 4}[TOOL_CALLS]multiply[ARGS]{"a": 3, "b": 6})",
       {"", {{"add", R"({"a": 3.5, "b": 4})"}, {"multiply", R"({"a": 3, "b": 6})"}}}},
      {"v11 as vLLM decodes it (no [ARGS])", R"(bla[TOOL_CALLS]add_this_and_that{"a": 3.5, "b": 4})",
       {"bla", {{"add_this_and_that", R"({"a": 3.5, "b": 4})"}}}},
      {"[CALL_ID] form", R"([TOOL_CALLS]get_time[CALL_ID]a1B2c3D4e[ARGS]{"zone": "CET"})",
       {"", {{"get_time", R"({"zone": "CET"})"}}}},
      {"v11 arguments are kept as written, even when not JSON",
       R"J(hi{hi[TOOL_CALLS]bash{"command": "print(\"hello world!\")\nre.compile(r'{}')")J",
       {"hi{hi", {{"bash", R"J({"command": "print(\"hello world!\")\nre.compile(r'{}')")J"}}}},
      {"a name without arguments is dropped", "[TOOL_CALLS]toolname_no_args", {"", {}}},
      {"not a call after the token", "[TOOL_CALLS] not json at all", {"[TOOL_CALLS] not json at all", {}}},
      {"list item without a name", R"([TOOL_CALLS][{"arguments": {}}])", {R"([TOOL_CALLS][{"arguments": {}}])", {}}},
      {"the list never closes", R"([TOOL_CALLS][{"name": "f", "arguments": {"a": 1}})",
       {R"([TOOL_CALLS][{"name": "f", "arguments": {"a": 1}})", {}}, Outcome{"", {{"f", R"({"a": 1})"}}}},
  };
}

TEST(MistralToolCallParser, ParsesAndStreams) { check_cases("mistral", nullptr, mistral_cases(), "[A-Za-z0-9]{9}"); }

// ---------------------------------------------------------------------------------------------
// deepseek_v3 (the markers typed out in UTF-8 here, independently of the parser's escapes)

std::vector<Case> deepseek_cases() {
  const std::string calls_begin = "<｜tool▁calls▁begin｜>", calls_end = "<｜tool▁calls▁end｜>";
  const std::string call_begin = "<｜tool▁call▁begin｜>", call_end = "<｜tool▁call▁end｜>", sep = "<｜tool▁sep｜>";
  auto call = [&](const std::string& name, const std::string& args) {
    return call_begin + "function" + sep + name + "\n```json\n" + args + "\n```" + call_end;
  };
  return {
      {"plain text", "The capital of France is Paris.", {"The capital of France is Paris.", {}}},
      {"one call with content",
       "Let me look that up." + calls_begin + call("get_weather", R"({"city": "Paris", "unit": "celsius"})") + calls_end,
       {"Let me look that up.", {{"get_weather", R"({"city": "Paris", "unit": "celsius"})"}}}},
      {"two calls",
       calls_begin + call("get_weather", R"({"city": "Tōkyō"})") + "\n" + call("get_time", R"({"zone":"JST"})") + calls_end,
       {"", {{"get_weather", R"({"city": "Tōkyō"})"}, {"get_time", R"({"zone":"JST"})"}}}},
      {"pretty-printed arguments", calls_begin + call("get_weather", "{\n  \"city\": \"Paris\"\n}") + calls_end,
       {"", {{"get_weather", "{\n  \"city\": \"Paris\"\n}"}}}},
      {"a call of another shape is skipped",
       calls_begin + call_begin + "function" + sep + "get_weather\n{\"city\": \"Paris\"}" + call_end + "\n" +
           call("get_time", "{}") + calls_end,
       {"", {{"get_time", "{}"}}}},
      {"text after the calls is dropped", calls_begin + call("f", "{}") + calls_end + "\nDone.", {"", {{"f", "{}"}}}},
      {"a partial marker at the end is content", "Thinking about it <｜tool▁calls", {"Thinking about it <｜tool▁calls", {}}},
      {"a type other than function",
       calls_begin + call_begin + "retrieval" + sep + "docs\n```json\n{}\n```" + call_end + calls_end,
       {calls_begin + call_begin + "retrieval" + sep + "docs\n```json\n{}\n```" + call_end + calls_end, {}}},
      {"cut off by max_tokens: parse() drops the call",
       "Sure." + calls_begin + call_begin + "function" + sep + "get_weather\n```json\n{\"city\": \"Pa",
       {"Sure.", {}}, Outcome{"Sure.", {{"get_weather", R"({"city": "Pa)"}}}},
  };
}

TEST(DeepSeekV3ToolCallParser, ParsesAndStreams) {
  check_cases("deepseek_v3", nullptr, deepseek_cases(), kChatCompletionId);
}

TEST(DeepSeekV3ToolCallParser, UsesDeepSeeksExactMarkers) {
  // U+FF5C FULLWIDTH VERTICAL LINE and U+2581 LOWER ONE EIGHTH BLOCK; ASCII look-alikes are text.
  auto parser = make_tool_call_parser("deepseek_v3", nullptr);
  const std::string ascii = "<|tool_calls_begin|><|tool_call_begin|>function<|tool_sep|>f\n```json\n{}\n```<|tool_call_end|>";
  const ToolCallParser::Result result = parser->parse(ascii);
  EXPECT_EQ(result.content, ascii);
  EXPECT_TRUE(result.calls.empty());
}

// ---------------------------------------------------------------------------------------------
// qwen3_coder

const Json& qwen_tools() {
  static const Json tools = Json::parse(R"([
    {"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
      "parameters": {"type": "object", "properties": {
        "city": {"type": "string"}, "days": {"type": "integer"}, "metric": {"type": "boolean"},
        "threshold": {"type": "number"}, "hours": {"type": "array", "items": {"type": "integer"}},
        "options": {"type": "object"}, "note": {"type": ["string", "null"]}}, "required": ["city"]}}},
    {"type": "function", "function": {"name": "write_file",
      "parameters": {"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}}}}}
  ])");
  return tools;
}

std::vector<Case> qwen3_coder_cases() {
  return {
      {"plain text", "def f():\n    return 1 < 2", {"def f():\n    return 1 < 2", {}}},
      {"one call",
       "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n</parameter>\n<parameter=days>\n3\n</parameter>\n"
       "</function>\n</tool_call>",
       {"", {{"get_weather", R"({"city": "Paris", "days": 3})"}}}},
      {"values typed by the schema",
       "<tool_call>\n<function=get_weather>\n<parameter=city>\nS\xC3\xA3o Paulo\n</parameter>\n<parameter=days>\n 7 \n"
       "</parameter>\n<parameter=metric>\nTrue\n</parameter>\n<parameter=threshold>\n4.0\n</parameter>\n"
       "<parameter=hours>\n[9, 12, 15]\n</parameter>\n<parameter=options>\n{'unit': 'C', 'round': True}\n</parameter>\n"
       "<parameter=note>\nnone given\n</parameter>\n</function>\n</tool_call>",
       {"",
        {{"get_weather", "{\"city\": \"S\xC3\xA3o Paulo\", \"days\": 7, \"metric\": true, \"threshold\": 4, \"hours\": "
                         "[9, 12, 15], \"options\": {\"unit\": \"C\", \"round\": true}, \"note\": \"none given\"}"}}}},
      {"more conversions",
       "<tool_call>\n<function=get_weather>\n<parameter=note>\n(1, 'two', 3.5e3)\n</parameter>\n<parameter=threshold>\n"
       "1_000.25\n</parameter>\n<parameter=days>\nseven\n</parameter>\n<parameter=hours>\nnot json\n</parameter>\n"
       "<parameter=options>\n{\"a\": [1, {\"b\": null}]}\n</parameter>\n</function>\n</tool_call>",
       {"",
        {{"get_weather", R"({"note": [1, "two", 3500.0], "threshold": 1000.25, "days": "seven", "hours": "not json", "options": {"a": [1, {"b": null}]}})"}}}},
      {"content, then code in a string parameter",
       "I'll create the file.\n<tool_call>\n<function=write_file>\n<parameter=path>\nsrc/app.py\n</parameter>\n"
       "<parameter=content>\ndef main():\n    if 1 < 2 and \"x\" != 'y':\n        print(\"<parameter> is just text\")\n\n"
       "</parameter>\n</function>\n</tool_call>",
       {"I'll create the file.\n",
        {{"write_file",
          R"({"path": "src/app.py", "content": "def main():\n    if 1 < 2 and \"x\" != 'y':\n        print(\"<parameter> is just text\")\n"})"}}}},
      {"two calls, lenient parameter ends",
       "<tool_call>\n<function=get_weather>\n<parameter=city>\nParis\n<parameter=days>\n2\n</function>\n</tool_call>\n"
       "<tool_call>\n<function=write_file>\n<parameter=path>\nnotes.txt\n</parameter>\n</function>\n</tool_call>",
       {"", {{"get_weather", R"({"city": "Paris", "days": 2})"}, {"write_file", R"({"path": "notes.txt"})"}}}},
      {"a tool not in the request, null values",
       "<tool_call>\n<function=lookup>\n<parameter=id>\n17\n</parameter>\n<parameter=filter>\nNULL\n</parameter>\n"
       "<parameter=label>\nnullable\n</parameter>\n<parameter=nul>\nnul\n</parameter>\n</function>\n</tool_call>",
       {"", {{"lookup", R"({"id": "17", "filter": null, "label": "nullable", "nul": "nul"})"}}}},
      {"a function without <tool_call>", "<function=get_weather>\n<parameter=city>\nOslo\n</parameter>\n</function>",
       {"", {{"get_weather", R"({"city": "Oslo"})"}}}},
      {"two functions in one tool call",
       "<tool_call>\n<function=get_weather>\n<parameter=city>\nOslo\n</parameter>\n</function>\n<function=get_weather>\n"
       "<parameter=city>\nBergen\n</parameter>\n</function>\n</tool_call>",
       {"", {{"get_weather", R"({"city": "Oslo"})"}, {"get_weather", R"({"city": "Bergen"})"}}}},
      {"no parameters", "<tool_call>\n<function=get_time>\n</function>\n</tool_call>", {"", {{"get_time", "{}"}}}},
      {"empty values", "<tool_call>\n<function=get_weather>\n<parameter=city>\n</parameter>\n<parameter=days>\n\n"
                       "</parameter>\n</function>\n</tool_call>",
       {"", {{"get_weather", R"({"city": "", "days": ""})"}}}},
      {"cut off by max_tokens: vLLM still reads the call",
       "<tool_call>\n<function=write_file>\n<parameter=path>\na.txt\n</parameter>\n<parameter=content>\nhello",
       {"", {{"write_file", R"({"path": "a.txt", "content": "hello"})"}}}},
      {"a tool call with no function in it",
       "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call>",
       {"<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {}}\n</tool_call>", {}}},
      {"a function name never closed", "Calling <tool_call>\n<function=get_weather",
       {"Calling <tool_call>\n<function=get_weather", {}}},
      {"a parameter name never closed, after the call went out",
       "<tool_call>\n<function=get_weather>\n<parameter=city</parameter>\n</function>",
       {"<tool_call>\n<function=get_weather>\n<parameter=city</parameter>\n</function>", {}},
       Outcome{"", {{"get_weather", ""}}}},
  };
}

TEST(Qwen3CoderToolCallParser, ParsesAndStreams) {
  check_cases("qwen3_coder", qwen_tools(), qwen3_coder_cases(), "call_[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{7}");
}

TEST(Qwen3CoderToolCallParser, StreamsStringParametersAsTheyArrive) {
  auto parser = make_tool_call_parser("qwen3_coder", qwen_tools());
  ParsedDelta d = parser->feed("<tool_call>\n<function=get_weather>\n<parameter=city>\nSan Fran");
  ASSERT_EQ(d.tool_calls.size(), 1u);
  EXPECT_EQ(d.tool_calls[0].name, "get_weather");
  EXPECT_EQ(d.tool_calls[0].arguments_delta, R"({"city": "San Fran)");
  d = parser->feed("cisco\n");  // a trailing newline may be the one removed: held back
  EXPECT_EQ(d.tool_calls.at(0).arguments_delta, "cisco");
  d = parser->feed("\n</param");
  EXPECT_EQ(d.tool_calls.at(0).arguments_delta, "\\n");
  d = parser->feed("eter>\n<parameter=days>\n4");
  EXPECT_EQ(d.tool_calls.at(0).arguments_delta, "\"");  // an integer goes out whole, when it ends
  d = parser->feed("2\n</parameter>\n</function>\n</tool_call>");
  EXPECT_EQ(d.tool_calls.at(0).arguments_delta, R"(, "days": 42})");
  EXPECT_TRUE(parser->finish().empty());
}

TEST(Qwen3CoderToolCallParser, HoldsAStringThatMayBeNull) {
  auto parser = make_tool_call_parser("qwen3_coder", qwen_tools());
  ParsedDelta d = parser->feed("<function=get_weather>\n<parameter=city>\nNul");
  ASSERT_EQ(d.tool_calls.size(), 1u);
  EXPECT_EQ(d.tool_calls[0].arguments_delta, "");
  d = parser->feed("l\n</parameter>\n</function>");
  EXPECT_EQ(d.tool_calls.at(0).arguments_delta, R"({"city": null})");
  parser->finish();
}

// ---------------------------------------------------------------------------------------------
// Random outputs: the realistic cases above cut, spliced and sprinkled with tag pieces, JSON tokens
// and multibyte characters. Whatever the text: no crash, the same stream at every split, deltas in
// OpenAI's shape, and parse() either the stream itself or vLLM's fallback (the whole output as
// content; for deepseek_v3 also the stream without its unfinished last call).

std::string random_output(std::mt19937& rng, const std::vector<Case>& cases, const std::vector<std::string>& pieces) {
  std::uniform_int_distribution<size_t> pick_case(0, cases.size() - 1), pick_piece(0, pieces.size() - 1);
  std::string text = cases[pick_case(rng)].output;
  const int edits = std::uniform_int_distribution<int>(1, 4)(rng);
  for (int e = 0; e < edits; ++e) {
    const size_t at = std::uniform_int_distribution<size_t>(0, text.size())(rng);
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0: text.insert(at, pieces[pick_piece(rng)]); break;
      case 1: text.erase(at, std::uniform_int_distribution<size_t>(1, 6)(rng)); break;  // may split a character
      case 2: text.resize(at); break;                                                      // cut off
      case 3: text.insert(at, cases[pick_case(rng)].output.substr(0, at)); break;         // splice
    }
  }
  return text;
}

void check_random_outputs(const std::string& parser_name, const Json& tools, const std::vector<Case>& cases,
                          std::vector<std::string> pieces, const std::string& id_pattern, bool drops_unfinished) {
  for (const char* p : {"{", "}", "[", "]", "\"", ":", ",", ";", "\\", "\\u00e9", "\\ud83d", "\"name\"", "\"arguments\"",
                        "\"parameters\"", "\"get_weather\"", "{\"city\": \"Paris\"}", "1.5e3", "null", "true", " ", "\n",
                        "<", ">", "/", "\xC3\xA9", "\xF0\x9F\x98\x80", "\xE2\x80", "text"})
    pieces.push_back(p);
  const std::regex id_shape(id_pattern);
  std::mt19937 rng(12345);
  for (int i = 0; i < 400; ++i) {
    const std::string output = random_output(rng, cases, pieces);
    SCOPED_TRACE(parser_name + " random output: " + quoted(output));
    const bool utf8 = test::is_valid_utf8(output);
    std::optional<Outcome> reference;
    for (const test::Pieces& split : test::all_splits(output, 8)) {
      std::vector<std::string> problems;
      auto parser = make_tool_call_parser(parser_name, tools);
      const Outcome got = stream(*parser, split, id_shape, utf8, problems);
      ASSERT_TRUE(problems.empty()) << problems.front();
      if (!reference) reference = got;
      ASSERT_EQ(got, *reference);
    }
    const Outcome parsed = parsed_outcome(make_tool_call_parser(parser_name, tools)->parse(output), id_shape);
    const bool fallback = parsed.content == output && parsed.calls.empty();
    bool unfinished_dropped = false;
    if (drops_unfinished && parsed.content == reference->content && parsed.calls.size() + 1 == reference->calls.size())
      unfinished_dropped = std::equal(parsed.calls.begin(), parsed.calls.end(), reference->calls.begin());
    ASSERT_TRUE(parsed == *reference || fallback || unfinished_dropped) << "parse() " << parsed << " stream " << *reference;
  }
}

TEST(ToolCallParsers, RandomOutputs) {
  check_random_outputs("hermes", nullptr, hermes_cases(), {"<tool_call>", "</tool_call>", "<tool_", "</tool_c"},
                       kChatCompletionId, false);
  check_random_outputs("llama3_json", nullptr, llama3_cases(), {"<|python_tag|>", "<|python", "; "}, kChatCompletionId,
                       false);
  check_random_outputs("mistral", nullptr, mistral_cases(), {"[TOOL_CALLS]", "[ARGS]", "[CALL_ID]", "[TOOL_", "[AR"},
                       "[A-Za-z0-9]{9}", false);
  check_random_outputs("deepseek_v3", nullptr, deepseek_cases(),
                       {"<｜tool▁calls▁begin｜>", "<｜tool▁call▁begin｜>", "<｜tool▁sep｜>", "<｜tool▁call▁end｜>",
                        "<｜tool▁calls▁end｜>", "\n```json\n", "\n```", "<｜tool▁", "function"},
                       kChatCompletionId, true);
  check_random_outputs("qwen3_coder", qwen_tools(), qwen3_coder_cases(),
                       {"<tool_call>", "</tool_call>", "<function=", "</function>", "<parameter=", "</parameter>",
                        "<parameter=days>", "<param", "NULL", "nul"},
                       "call_[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{7}", false);
}

// ---------------------------------------------------------------------------------------------

TEST(ToolCallParserFactory, KnowsItsParsers) {
  EXPECT_EQ(tool_call_parser_names(), (std::vector<std::string>{"deepseek_v3", "hermes", "llama3_json", "mistral", "qwen3_coder"}));
  for (const std::string& name : tool_call_parser_names()) EXPECT_NE(make_tool_call_parser(name, nullptr), nullptr);
  try {
    make_tool_call_parser("pythonic", nullptr);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unknown tool call parser 'pythonic' (known: deepseek_v3, hermes, llama3_json, mistral, qwen3_coder)");
  }
}

TEST(ToolCallParser, ParseLeavesTheStreamAlone) {
  auto parser = make_tool_call_parser("hermes", nullptr);
  EXPECT_EQ(parser->feed("Hi <tool_").content, "Hi ");
  const ToolCallParser::Result whole = parser->parse("<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>");
  ASSERT_EQ(whole.calls.size(), 1u);
  EXPECT_EQ(parser->feed("x>").content, "<tool_x>");
  EXPECT_EQ(parser->finish().content, "");
}

TEST(ToolCallParser, IdsAreFreshPerCall) {
  auto parser = make_tool_call_parser("hermes", nullptr);
  const std::string out = "<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>";
  const std::string a = parser->parse(out).calls.at(0).id, b = parser->parse(out).calls.at(0).id;
  EXPECT_NE(a, b);
  EXPECT_TRUE(std::regex_match(a, std::regex(kChatCompletionId)));
}

}  // namespace
}  // namespace turbine::server
