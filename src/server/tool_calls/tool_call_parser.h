// Tool-call parsers: split a chat completion's generated text into content and function calls,
// as vLLM's --tool-call-parser does (vllm/tool_parsers), whole or while it streams.
//
// One parser per choice. While streaming, feed() takes each new piece of text (any split, even
// inside a tag or a UTF-8 character) and returns what to send now; finish() flushes what was held
// back at the end of the output. parse() reads a whole output (the non-streaming response); it
// does not touch the streaming state.
//
// What a stream sends (OpenAI's streaming shape):
//  - content: text outside tool calls, never part of a tag: text that could still become a tag
//    is held back until it cannot, and every piece ends on a UTF-8 character boundary;
//  - tool_calls: the first delta of a call (index 0, 1, ... in order) carries its id and function
//    name, and must go out with "type": "function"; later deltas of that call carry only argument
//    text. The argument pieces of a call concatenate to exactly the final arguments string. One
//    feed() gives at most one delta per call, calls in index order; a call's deltas end before the
//    next call's begin.
//
// Streaming and parse() agree: for any split of an output, the content pieces concatenate to
// parse()'s content, and the calls (names, arguments) are parse()'s, except where the output turns
// out malformed after a call was already sent (then parse() gives vLLM's fallback - the whole
// output as content - and a stream cannot take back what it sent; it stops there) and, for
// deepseek_v3, a last call the output leaves unterminated (parse() drops it).
//
// Parsers (see README.md in this folder for the formats, the arguments' text and the deviations
// from vLLM): hermes, llama3_json, mistral, qwen3_coder, deepseek_v3.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace turbine::server {

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;  // JSON text, as the response's "arguments" string carries it
};

// One streaming delta of call `index`: the first carries id and name (send "type": "function"
// with it), the others only argument text.
struct ToolCallDelta {
  int index = 0;
  std::optional<std::string> id;
  std::optional<std::string> name;
  std::string arguments_delta;
};

// What one feed() or finish() gives to send: content first, then tool call deltas.
struct ParsedDelta {
  std::string content;
  std::vector<ToolCallDelta> tool_calls;
  bool empty() const { return content.empty() && tool_calls.empty(); }
};

class ToolCallParser {
 public:
  virtual ~ToolCallParser() = default;

  // Streaming: the next piece of generated text.
  virtual ParsedDelta feed(std::string_view text_delta) = 0;
  // Streaming: the output ended; flushes held-back text. Nothing may be fed after it.
  virtual ParsedDelta finish() = 0;

  // Non-streaming: the whole output. `content` is the text outside tool calls ("" means none: the
  // response's content is then null when there are calls); a malformed output is all content
  // with no calls, as vLLM returns it.
  struct Result {
    std::string content;
    std::vector<ToolCall> calls;
  };
  virtual Result parse(std::string_view output) = 0;
};

// The names make_tool_call_parser() knows.
const std::vector<std::string>& tool_call_parser_names();

// A parser by vLLM's --tool-call-parser name. `tools` is the request's "tools" (null or an array
// of {"type": "function", "function": {"name", "parameters"}}); qwen3_coder types parameter values
// by it, the others do not read it. Throws turbine::Error listing the known names for an unknown
// one.
std::unique_ptr<ToolCallParser> make_tool_call_parser(std::string_view name, const nlohmann::ordered_json& tools);

}  // namespace turbine::server
