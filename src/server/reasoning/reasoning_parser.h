// Reasoning parsers: split a chat completion's generated text into reasoning_content and content,
// as vLLM's --reasoning-parser does (vllm/reasoning), whole or while it streams.
//
// One parser per choice, run before the tool-call parser (which then reads only the content).
// feed() takes each new piece of text (any split, even inside a tag or a UTF-8 character) and
// returns the reasoning and content it decides; finish() flushes what was held back at the end.
// parse() reads a whole output without touching the streaming state. For any split, the pieces
// concatenate to parse()'s result. Text that could still be part of a tag is held back, and every
// piece ends on a UTF-8 character boundary. An empty string means none (null in the response).
//
// Parsers (both for <think>...</think>):
//  - deepseek_r1: the output starts in reasoning (DeepSeek R1's template opens <think> in the
//    prompt; a leading <think> in the output is removed) up to the first </think>; the rest is
//    content. No </think> (a truncated output): all reasoning.
//  - qwen3: the same while thinking is enabled (Qwen3's enable_thinking, true by default; Qwen3
//    2507 and 3.5 templates open <think> in the prompt, older ones let the model write it), with
//    one more end of reasoning: a <tool_call> before any </think> (Qwen 3.5 may call a tool from
//    inside its thinking) ends the reasoning and stays in the content for the tool-call parser.
//    With thinking disabled (enable_thinking=false: the template writes an empty think block into
//    the prompt) everything is content.
//
// Deviations from vLLM: only the first <think> met while reasoning is removed (vLLM's
// non-streaming parsers drop everything before the first <think> anywhere, its streaming ones
// do not); deepseek_r1 ignores thinking_enabled_in_prompt, as vLLM's does.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace turbine::server {

// What one feed() or finish() decides: reasoning first, then content.
struct ReasoningDelta {
  std::string reasoning;
  std::string content;
  bool empty() const { return reasoning.empty() && content.empty(); }
};

class ReasoningParser {
 public:
  virtual ~ReasoningParser() = default;

  virtual ReasoningDelta feed(std::string_view text_delta) = 0;
  // The output ended; flushes held-back text. Nothing may be fed after it.
  virtual ReasoningDelta finish() = 0;

  struct Result {
    std::string reasoning;
    std::string content;
  };
  virtual Result parse(std::string_view output) = 0;

  // Whether the text fed so far is still reasoning (what comes next would be reasoning too).
  virtual bool in_reasoning() const = 0;
};

// The names make_reasoning_parser() knows.
const std::vector<std::string>& reasoning_parser_names();

// A parser by vLLM's --reasoning-parser name. thinking_enabled_in_prompt: the request asked the
// chat template for thinking (chat_template_kwargs.enable_thinking, true when not given). Throws
// turbine::Error listing the known names for an unknown one.
std::unique_ptr<ReasoningParser> make_reasoning_parser(std::string_view name, bool thinking_enabled_in_prompt);

}  // namespace turbine::server
