// GenerationPlan: a validated completions or chat request turned into engine inputs.
//
// Here the request meets the model: text prompts and conversations are rendered and tokenized
// (on the request's worker thread, never the engine's), token ids are checked against the
// vocabulary, the prompt against the context length (the message gives both), max_tokens gets
// its default (completions: 16, chat: the rest of the context; both capped by the context), and
// the engine's own parameter validation runs, so that LlmEngine::submit only fails for reasons
// of its own. Everything a client can get wrong is an ApiError (400; 404 for an unknown model).
// Token-level request options are applied here too: truncate_prompt_tokens cuts each tokenized
// prompt (prompt_truncation.h), bad_words become token sequences (bad_word_tokens.h), cache_salt
// becomes prefix-cache keys (cache_salt.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/request.h"
#include "server/protocol.h"
#include "server/served_model.h"

namespace turbine::server {

enum class ApiEndpoint { kCompletions, kChatCompletions };
enum class LogprobsFormat { kNone, kCompletions, kChat };

struct PlannedPrompt {
  std::vector<int32_t> token_ids;  // after truncate_prompt_tokens
  std::string text;      // the prompt as text (given, or decoded from ids or a truncation), for echo
  RequestParams params;  // this prompt's engine parameters (max_tokens depends on its length)
};

struct GenerationPlan {
  ApiEndpoint endpoint = ApiEndpoint::kCompletions;
  std::string id;  // "cmpl-..." or "chatcmpl-...": random, or the client's request_id after the prefix
  // The engine's id of the request (of its prompts, with "-i" after it when there are several):
  // always random, so that clients choosing their request_id never collide in the engine.
  std::string engine_id;
  int64_t created = 0;  // Unix seconds
  std::string model_name;
  std::vector<PlannedPrompt> prompts;  // each gives n choices: index = prompt * n + sample
  int n = 1;
  bool stream = false;
  StreamOptions stream_options;
  bool echo = false;
  // Chat echo: the last message's content, which every choice's content starts with (vLLM: when
  // that message has the response's role, "assistant").
  std::string chat_echo;
  LogprobsFormat logprobs = LogprobsFormat::kNone;
  int top_logprobs = 0;
  bool tokens_as_ids = false;  // return_tokens_as_token_ids: logprobs name tokens "token_id:{id}"
  int stream_interval = 1;     // a stream sends a choice's text once it has this many new tokens
  std::vector<std::string> stop;
  bool include_stop_str_in_output = false;
  bool skip_special_tokens = true;
  bool ignore_eos = false;
  // Chat: how the output becomes a message (plain content, tool calls by a parser or by the
  // required / named tool choice's constraint), and the reasoning parser, if any.
  ToolChoice tool_choice;
  Json tools = nullptr;          // the request's tools (null or a list), for the tool-call parser
  std::string tool_call_parser;  // kAuto: the server's --tool-call-parser
  std::string reasoning_parser;  // the server's --reasoning-parser, or empty
  bool thinking_in_prompt = false;  // the template opened a reasoning block (enable_thinking)

  // use_beam_search: each prompt's n choices are the n best beams of a beam search
  // (beam_search_run.h), not samples.
  std::optional<BeamSearchFields> beam_search;

  int num_choices() const { return int(prompts.size()) * n; }
};

GenerationPlan plan_completion(const CompletionRequest& request, const ServedModel& model);
GenerationPlan plan_chat_completion(const ChatCompletionRequest& request, const ServedModel& model);

// "cmpl-" + 32 random hex digits (unique per process run with overwhelming probability).
std::string make_request_id(std::string_view prefix);

}  // namespace turbine::server
