// LogprobsBuilder: one choice's token logprobs in the shape its endpoint returns.
//
//  completions: {"tokens": [...], "token_logprobs": [...], "top_logprobs": [{token: logprob}],
//                "text_offset": [...]}, the prompt's tokens first with echo; each top_logprobs entry
//                holds the top N and the chosen
//                token (OpenAI: "up to logprobs + 1 elements"); text_offset is where each token's
//                text starts in the choice's text, in characters (code points) as Python counts.
//  chat:        {"content": [{"token", "logprob", "bytes", "top_logprobs": [{"token", "logprob",
//                "bytes"}]}]} with exactly N alternatives.
// A token's string is the token decoded alone, special tokens included, or with
// return_tokens_as_token_ids "token_id:{id}" (vLLM's form, for tokens whose text is not valid
// UTF-8 alone), in top_logprobs too; chat's "bytes" are then those of that string, and text
// offsets count its characters, as vLLM's do. Logprobs are clamped to -9999 (vLLM's floor), so
// -inf never reaches JSON.
//
// Streaming takes the entries gathered since the last chunk (take()); the text offsets keep
// counting across chunks. Not thread-safe: one per choice.
#pragma once

#include <cstddef>
#include <string>

#include "engine/loop/llm_engine.h"
#include "server/generation_plan.h"
#include "server/json_request.h"
#include "tokenizer/tokenizer.h"

namespace turbine::server {

class LogprobsBuilder {
 public:
  // `text_offset`: characters before the first token's text (an echoed prompt). `tokens_as_ids`:
  // name tokens "token_id:{id}" instead of their text.
  LogprobsBuilder(LogprobsFormat format, int top_n, const Tokenizer* tokenizer, size_t text_offset = 0,
                  bool tokens_as_ids = false);

  bool enabled() const { return format_ != LogprobsFormat::kNone; }
  void add(const GeneratedTokenInfo& token);
  // Completions with echo: a prompt token; `info` is null for the first one (nothing precedes it:
  // null logprob and alternatives, as OpenAI reports it).
  void add_prompt_token(int32_t token, const PromptTokenLogprobInfo* info);
  bool empty() const { return count_ == 0; }
  // The entries added since the last take() as the endpoint's JSON object (null when disabled).
  Json take();

 private:
  std::string token_string(int32_t id) const;

  LogprobsFormat format_;
  int top_n_;
  const Tokenizer* tokenizer_;
  size_t text_offset_;
  bool tokens_as_ids_;
  size_t count_ = 0;
  Json tokens_, token_logprobs_, top_logprobs_, text_offsets_;  // completions
  Json content_;                                                 // chat
};

// Code points in UTF-8 text (what Python's len() says).
size_t utf8_length(std::string_view text);

// A logprob fit for JSON: finite, at least -9999.
double json_logprob(float logprob);

}  // namespace turbine::server
