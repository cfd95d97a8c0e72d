// ServedModel: what the HTTP handlers know about the model behind the engine.
//
// Built once at start-up and then read-only, so any thread may read it: the names clients may
// ask for, the tokenizer and chat template (used on request threads, never the engine thread),
// and the limits requests are validated against before they reach the engine.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/chat_prompt_renderer.h"
#include "server/prompt_length_bound.h"
#include "structured/grammar_compiler.h"
#include "tokenizer/tokenizer.h"

namespace turbine::server {

struct ServedModel {
  std::vector<std::string> names;  // at least one; the first is the one responses carry
  std::string root;                // the model folder (/v1/models "root")
  Tokenizer tokenizer;
  std::shared_ptr<const ChatPromptRenderer> chat;
  int max_model_len = 0;
  int64_t vocab_size = 0;  // the model's (may exceed the tokenizer's)
  int max_num_seqs = 0;    // most samples one request may ask for
  std::vector<int32_t> eos_token_ids;
  bool priority_scheduling = false;  // else requests must leave `priority` at 0
  // The fewest tokens a text can have, for rejecting over-long prompts before tokenizing them;
  // read from root's tokenizer.json (the one `tokenizer` was loaded from), unknown without it.
  PromptLengthBound prompt_bound = PromptLengthBound::from_model_dir(root);
  // Structured output's compiler and grammar cache for this model (shared with the engine);
  // null: requests that constrain their output are refused.
  std::shared_ptr<structured::GrammarCompiler> grammars;
  // Tool calling and reasoning (vLLM's --enable-auto-tool-choice, --tool-call-parser,
  // --reasoning-parser): tool_choice "auto" needs both of the first two.
  bool enable_auto_tool_choice = false;
  std::string tool_call_parser;
  std::string reasoning_parser;

  const std::string& name() const { return names.front(); }
  // Throws ApiError 404 (code "model_not_found") unless `requested` is unset or a served name.
  void check_model(const std::optional<std::string>& requested) const;
};

}  // namespace turbine::server
