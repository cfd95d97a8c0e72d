// The OpenAI API's requests as typed values, parsed and validated from their JSON.
//
// Parsing checks everything the request alone can decide: types, ranges, combinations (a
// parameter we do not support is a 400, never silently ignored). What needs the model - token
// ids against the vocabulary, prompt length against the context, defaults that depend on the
// prompt length - is checked when the request is turned into engine requests
// (engine_request_builder.h). Every function here throws ApiError (400) naming the field.
//
// Fields follow vLLM's OpenAI server: the OpenAI ones plus vLLM's extras (top_k, min_p,
// repetition_penalty, min_tokens, ignore_eos, stop_token_ids, priority, skip_special_tokens,
// include_stop_str_in_output, add_special_tokens, add_generation_prompt, continue_final_message,
// chat_template_kwargs, bad_words, truncate_prompt_tokens, return_tokens_as_token_ids, chat echo,
// request_id, cache_salt, stream_interval...). A vLLM field we do not implement is a 400 naming
// it when given a non-default value (unsupported_fields.cc); the few vLLM itself accepts and
// ignores are listed in src/server/README.md ("Fields accepted and ignored"), as are unknown
// fields, which are ignored as vLLM does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "engine/sampling_params.h"
#include "server/json_request.h"
#include "server/structured_output_fields.h"
#include "server/tool_choice.h"

namespace turbine::server {

// Most prompts in one completions request, samples per prompt, and stop strings: generous, but
// bounded so that a request's size in memory stays proportional to its body.
inline constexpr int kMaxPromptsPerRequest = 1024;
inline constexpr int kMaxSamplesPerRequest = 256;
inline constexpr int kMaxStopStrings = 64;
inline constexpr size_t kMaxStopStringBytes = 4096;
inline constexpr int kMaxBadWords = 1024;         // each at most kMaxStopStringBytes
inline constexpr size_t kMaxRequestIdBytes = 256;  // request_id: printable ASCII, no spaces
inline constexpr size_t kMaxCacheSaltBytes = 1024;  // vLLM's bound
// Most text one generation request may bring: all its text prompts together (completions), or
// every string the chat template may render (chat: messages, tools, documents, kwargs). Far
// above any context length in bytes; prompts that cannot fit the context are refused earlier
// still, before tokenization, by the model's PromptLengthBound (generation_plan.cc).
inline constexpr size_t kMaxPromptBytesPerRequest = size_t(8) << 20;
// Most text /tokenize takes (its "prompt", or the strings of its conversation): it has no
// context length to refuse against, so this alone bounds the tokenization one call costs.
inline constexpr size_t kMaxTokenizeInputBytes = size_t(1) << 20;

// Most beams (n) a beam search may keep: each step asks the engine for the top 2 * n logprobs
// of every beam, and it reports at most kMaxLogprobs (vLLM's default max_logprobs is the same 20).
inline constexpr int kMaxBeamWidth = kMaxLogprobs / 2;

// use_beam_search: vLLM's beam search (beam_search.h) with n beams instead of sampling.
struct BeamSearchFields {
  double length_penalty = 1.0;  // scores are cum_logprob / length ** length_penalty
  bool early_stopping = false;  // end as soon as n beams have finished
};

struct StreamOptions {
  bool include_usage = false;           // a last chunk with usage and no choices
  bool continuous_usage_stats = false;  // usage in every chunk (vLLM)
};

// What completions and chat share: how to sample and when to stop.
struct GenerationFields {
  std::optional<std::string> model;
  std::optional<int> max_tokens;  // unset: the endpoint's default (see engine_request_builder.h)
  int min_tokens = 0;
  int n = 1;
  bool stream = false;
  StreamOptions stream_options;
  std::vector<std::string> stop;  // non-empty strings
  bool include_stop_str_in_output = false;
  bool ignore_eos = false;
  bool skip_special_tokens = true;
  std::vector<int32_t> stop_token_ids;
  std::vector<int32_t> allowed_token_ids;  // the only tokens sampling may pick; empty: any
  int priority = 0;
  std::optional<bool> add_special_tokens;  // unset: the endpoint's default
  // temperature, top_p, top_k, min_p, seed, penalties, logit_bias (ids not yet checked against
  // the vocabulary); `logprobs` is set by each endpoint from its own fields.
  SamplingParams sampling;
  // response_format / structured_outputs / guided_*: the output's required form (structured
  // output), compiled against the model's vocabulary when the request is planned.
  std::optional<OutputConstraint> constraint;
  // Words the output must not contain, tokenized by the planner (bad_word_tokens.h).
  std::vector<std::string> bad_words;
  // Keep only this many prompt tokens (-1: as many as the context leaves after max_tokens), the
  // last ones, or the first ones with truncation_side "right" (vLLM's TokenizeParams).
  std::optional<int64_t> truncate_prompt_tokens;
  bool truncate_keeps_first = false;  // truncation_side "right"
  bool return_tokens_as_token_ids = false;  // logprobs name tokens "token_id:{id}"
  std::optional<std::string> request_id;    // the response id's suffix ("cmpl-" + request_id)
  std::optional<std::string> cache_salt;    // only requests with the same salt share cached KV
  int stream_interval = 1;  // a stream sends a choice's text once it has this many new tokens
  // use_beam_search (with length_penalty, early_stopping); unset: sampling.
  std::optional<BeamSearchFields> beam_search;
};

// A completions prompt: text to tokenize, or token ids.
using PromptInput = std::variant<std::string, std::vector<int32_t>>;

struct CompletionRequest {
  GenerationFields generation;
  std::vector<PromptInput> prompts;  // at least one; each gives `n` choices
  bool echo = false;             // with logprobs: the prompt's tokens get logprobs too
  std::optional<int> logprobs;  // set: report logprobs with this many alternatives (0..20)
};

// A conversation to render with the chat template (chat completions and /tokenize).
struct ChatPrompt {
  // Messages as the template sees them: every field of each message kept, `content` a string
  // (text parts joined) or null.
  Json messages = Json::array();
  bool add_generation_prompt = true;
  bool continue_final_message = false;
  Json tools = nullptr;      // null or an array, passed to the template as transformers does
  Json documents = nullptr;  // null or an array
  Json chat_template_kwargs = Json::object();
  // Bytes of every string above (keys included): what the template can render, for the caps.
  size_t text_bytes = 0;
};

struct ChatCompletionRequest {
  GenerationFields generation;
  ChatPrompt prompt;
  bool logprobs = false;
  int top_logprobs = 0;  // alternatives per token when logprobs is set
  ToolChoice tool_choice;  // from tools / tool_choice / parallel_tool_calls (tool_choice.h)
  // vLLM's chat echo: when the last message is the assistant's, the reply's content starts with it.
  bool echo = false;
};

// vLLM's /tokenize: a text prompt or a conversation.
struct TokenizeRequest {
  std::optional<std::string> model;
  std::optional<std::string> text;  // "prompt"
  std::optional<ChatPrompt> chat;   // "messages"
  std::optional<bool> add_special_tokens;  // default: true for text, false for messages
  bool return_token_strs = false;
};

// vLLM's /detokenize.
struct DetokenizeRequest {
  std::optional<std::string> model;
  std::vector<int32_t> tokens;
};

CompletionRequest parse_completion_request(const Json& body);
ChatCompletionRequest parse_chat_completion_request(const Json& body);
TokenizeRequest parse_tokenize_request(const Json& body);
DetokenizeRequest parse_detokenize_request(const Json& body);

// Pieces shared by the parsers above (generation_fields.cc, chat_request.cc, unsupported_fields.cc).
GenerationFields parse_generation_fields(const JsonObjectReader& body);
// Throws ApiError 400 naming the first vLLM field we do not implement that holds a non-default
// value (watermarking, allowed_token_ids, ...; unsupported_fields.cc).
void reject_unsupported_fields(const JsonObjectReader& body);
// use_beam_search, length_penalty and early_stopping, checked against the other fields of `g`
// (beam_search_fields.cc): the fields beam search cannot honor are a 400 naming them.
std::optional<BeamSearchFields> parse_beam_search_fields(const JsonObjectReader& body, const GenerationFields& g);
ChatPrompt parse_chat_prompt(const JsonObjectReader& body);
// A list of token ids (each in [0, INT32_MAX]) named `param` in errors.
std::vector<int32_t> parse_token_ids(const Json& value, const std::string& param);

}  // namespace turbine::server
