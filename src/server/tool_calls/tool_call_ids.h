// Tool call ids in the shapes vLLM's parsers give them.
//
//  - kChatCompletionTool: "chatcmpl-tool-" + 32 hex digits (uuid4().hex), vLLM's
//    make_tool_call_id(), used by its hermes, llama3_json and deepseek_v3 parsers;
//  - kMistral: 9 letters and digits, which Mistral's own tokenizer and templates require;
//  - kCall: "call_" + the first 24 hex digits of a uuid4, vLLM's qwen3_coder parser.
#pragma once

#include <string>

namespace turbine::server {

enum class ToolCallIdStyle { kChatCompletionTool, kMistral, kCall };

// A fresh random id (thread-safe: each thread draws from its own generator).
std::string make_tool_call_id(ToolCallIdStyle style);

}  // namespace turbine::server
