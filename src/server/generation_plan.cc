#include "server/generation_plan.h"

#include <chrono>
#include <mutex>
#include <random>

#include "common/error.h"
#include "server/api_error.h"
#include "server/bad_word_tokens.h"
#include "server/cache_salt.h"
#include "server/prompt_truncation.h"

namespace turbine::server {
namespace {

// vLLM's default max_tokens for completions (OpenAI's too).
constexpr int kDefaultCompletionMaxTokens = 16;

int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void check_token_ids(const std::vector<int32_t>& ids, const ServedModel& model, const std::string& param) {
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] >= model.vocab_size)
      fail_param(param, "token id {} (at index {} of '{}') is outside the vocabulary [0, {})", ids[i], i, param,
                 model.vocab_size);
}

// Rejects, before it is tokenized, a text whose fewest possible tokens already fill the context:
// full tokenization would give the same error, only seconds later for a long text
// (PromptLengthBound says why the bound is sound). Tokens the post-processor adds only add to it.
void check_text_may_fit(std::string_view text, const ServedModel& model, const std::string& param) {
  const size_t at_least = model.prompt_bound.min_tokens(text.size());
  if (int64_t(at_least) < int64_t(model.max_model_len)) return;
  throw ApiError(400,
                 fmt::format("This model's maximum context length is {} tokens, but the prompt has at least {} tokens "
                             "({} bytes of text, and no token of this model stands for more than {} bytes); at least "
                             "one token must be left for the output. Please shorten the prompt.",
                             model.max_model_len, at_least, text.size(), model.prompt_bound.max_bytes_per_token()),
                 param, "context_length_exceeded");
}

// What every prompt of a request shares beyond GenerationFields: its tokenized bad words and its
// prefix-cache keys.
struct SharedParams {
  std::vector<std::vector<int32_t>> bad_words_token_ids;
  std::vector<uint64_t> cache_extra_keys;
};

SharedParams shared_params(const GenerationFields& g, const ServedModel& model) {
  SharedParams shared;
  shared.bad_words_token_ids = bad_word_token_ids(g.bad_words, model.tokenizer);
  for (const std::vector<int32_t>& word : shared.bad_words_token_ids)
    for (const int32_t id : word)
      if (id >= model.vocab_size)
        fail_param("bad_words", "a bad word has token id {}, outside the model's vocabulary [0, {})", id,
                   model.vocab_size);
  if (g.cache_salt) shared.cache_extra_keys = cache_salt_keys(*g.cache_salt);
  return shared;
}

// Completes one prompt's parameters: context length, max_tokens default and range, min_tokens.
RequestParams params_for_prompt(const GenerationFields& g, const SharedParams& shared, size_t prompt_len,
                                int default_max_tokens, const ServedModel& model, const std::string& prompt_param) {
  const int64_t limit = model.max_model_len;
  if (prompt_len == 0) fail_param(prompt_param, "the prompt is empty (it has no tokens)");
  if (int64_t(prompt_len) >= limit)
    throw ApiError(400,
                   fmt::format("This model's maximum context length is {} tokens, but the prompt has {} tokens; at "
                               "least one token must be left for the output. Please shorten the prompt.",
                               limit, prompt_len),
                   prompt_param, "context_length_exceeded");
  const int64_t room = limit - int64_t(prompt_len);
  RequestParams p;
  if (g.max_tokens) {
    if (*g.max_tokens > room)
      throw ApiError(400,
                     fmt::format("'max_tokens' is too large: {}. This model's maximum context length is {} tokens and "
                                 "the prompt has {} tokens, so at most {} can be generated.",
                                 *g.max_tokens, limit, prompt_len, room),
                     "max_tokens", "context_length_exceeded");
    p.max_tokens = *g.max_tokens;
  } else {
    p.max_tokens = int(std::min<int64_t>(default_max_tokens, room));
  }
  if (g.min_tokens > p.max_tokens)
    fail_param("min_tokens", "'min_tokens' ({}) must not exceed max_tokens ({})", g.min_tokens, p.max_tokens);
  p.min_tokens = g.min_tokens;
  p.ignore_eos = g.ignore_eos;
  p.stop_token_ids = g.stop_token_ids;
  p.priority = g.priority;
  p.n = g.n;
  p.sampling = g.sampling;
  if (g.constraint) p.structured = g.constraint->spec;
  p.bad_words_token_ids = shared.bad_words_token_ids;
  p.allowed_token_ids = g.allowed_token_ids;
  p.cache_extra_keys = shared.cache_extra_keys;
  try {
    p.validate_banned_tokens(model.vocab_size);
  } catch (const Error& e) {
    fail_param(p.bad_words_token_ids.empty() ? "stop_token_ids" : "bad_words", "{}", e.what());
  }
  return p;
}

// Checks what depends on the model but not on a prompt, naming the parameter. Everything else
// about the parameters is validated once, by LlmEngine::submit (a turbine::Error there is a 400).
void check_generation_fields(const GenerationFields& g, const ServedModel& model) {
  model.check_model(g.model);
  if (g.constraint) {
    // Compiled here, on the request's worker thread: a bad schema, regex or grammar is a 400 that
    // names its field, and the engine then finds the grammar in the compiler's cache.
    if (!model.grammars) fail_param(g.constraint->param, "structured output is not available for this model");
    try {
      model.grammars->get(g.constraint->spec);
    } catch (const Error& e) {
      fail_param(g.constraint->param, "'{}' is invalid: {}", g.constraint->param, e.what());
    }
  }
  check_token_ids(g.stop_token_ids, model, "stop_token_ids");
  check_token_ids(g.allowed_token_ids, model, "allowed_token_ids");
  for (const auto& [id, bias] : g.sampling.logit_bias)
    if (id >= model.vocab_size)
      fail_param("logit_bias", "logit_bias token id {} is outside the vocabulary [0, {})", id, model.vocab_size);
  if (g.beam_search && 2 * int64_t(g.n) > model.vocab_size)
    fail_param("n", "beam search with {} beams reads {} candidates per beam, more than this model's vocabulary ({})",
               g.n, 2 * g.n, model.vocab_size);
  if (g.n > model.max_num_seqs)
    fail_param("n", "'n' ({}) exceeds the number of sequences this server runs at once ({})", g.n, model.max_num_seqs);
  if (g.priority != 0 && !model.priority_scheduling)
    fail_param("priority", "'priority' needs the server to run with --scheduling-policy priority");
}

GenerationPlan common_plan(const GenerationFields& g, const ServedModel& model, ApiEndpoint endpoint) {
  check_generation_fields(g, model);
  GenerationPlan plan;
  plan.endpoint = endpoint;
  const std::string_view prefix = endpoint == ApiEndpoint::kCompletions ? "cmpl-" : "chatcmpl-";
  plan.engine_id = make_request_id(prefix);
  plan.id = g.request_id ? fmt::format("{}{}", prefix, *g.request_id) : plan.engine_id;
  plan.created = unix_seconds();
  plan.model_name = model.name();
  plan.n = g.n;
  plan.stream = g.stream;
  plan.stream_options = g.stream_options;
  plan.stop = g.stop;
  plan.include_stop_str_in_output = g.include_stop_str_in_output;
  plan.skip_special_tokens = g.skip_special_tokens;
  plan.ignore_eos = g.ignore_eos;
  plan.tokens_as_ids = g.return_tokens_as_token_ids;
  plan.stream_interval = g.stream_interval;
  plan.beam_search = g.beam_search;
  return plan;
}

}  // namespace

std::string make_request_id(std::string_view prefix) {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = 0, b = 0;
  {
    std::lock_guard lock(mutex);
    a = rng();
    b = rng();
  }
  return fmt::format("{}{:016x}{:016x}", prefix, a, b);
}

GenerationPlan plan_completion(const CompletionRequest& request, const ServedModel& model) {
  const GenerationFields& g = request.generation;
  GenerationPlan plan = common_plan(g, model, ApiEndpoint::kCompletions);
  plan.echo = request.echo;
  if (request.logprobs) {
    plan.logprobs = LogprobsFormat::kCompletions;
    plan.top_logprobs = *request.logprobs;
  }
  const bool add_special = g.add_special_tokens.value_or(true);
  const std::optional<int64_t> keep = prompt_keep_length(g, model.max_model_len,
                                                         g.max_tokens.value_or(kDefaultCompletionMaxTokens));
  const SharedParams shared = shared_params(g, model);
  for (size_t i = 0; i < request.prompts.size(); ++i) {
    const std::string param = request.prompts.size() == 1 ? "prompt" : fmt::format("prompt[{}]", i);
    PlannedPrompt prompt;
    const auto* text = std::get_if<std::string>(&request.prompts[i]);
    if (text) {
      if (!keep) check_text_may_fit(*text, model, param);
      prompt.token_ids = model.tokenizer.encode(*text, add_special);
      prompt.text = *text;
    } else {
      prompt.token_ids = std::get<std::vector<int32_t>>(request.prompts[i]);
      check_token_ids(prompt.token_ids, model, param);
    }
    // Echo shows the prompt the model saw: the given text unless it was cut, else its tokens.
    const bool truncated = keep && truncate_prompt(prompt.token_ids, *keep, g.truncate_keeps_first);
    if (request.echo && (!text || truncated)) {
      try {
        prompt.text = model.tokenizer.decode(prompt.token_ids, g.skip_special_tokens);
      } catch (const Error& e) {
        fail_param(param, "cannot echo the prompt: {}", e.what());
      }
    }
    prompt.params = params_for_prompt(g, shared, prompt.token_ids.size(), kDefaultCompletionMaxTokens, model, param);
    if (request.echo && request.logprobs) prompt.params.prompt_logprobs = *request.logprobs;  // OpenAI's echo
    plan.prompts.push_back(std::move(prompt));
  }
  return plan;
}

GenerationPlan plan_chat_completion(const ChatCompletionRequest& request, const ServedModel& model) {
  // With a reasoning parser, thinking is on unless the request turned it off for the template
  // (Qwen 3's enable_thinking); a constraint then applies to the answer, after the closing tag,
  // and is compiled (once, by common_plan) in that form.
  const Json& kwargs = request.prompt.chat_template_kwargs;
  const bool thinking = !model.reasoning_parser.empty() &&
                        !(kwargs.contains("enable_thinking") && kwargs["enable_thinking"] == false);
  std::optional<GenerationFields> reasoned;
  if (thinking && request.generation.constraint) {
    reasoned = request.generation;
    reasoned->constraint->spec.reasoning_end = "</think>";
  }
  const GenerationFields& g = reasoned ? *reasoned : request.generation;
  GenerationPlan plan = common_plan(g, model, ApiEndpoint::kChatCompletions);
  plan.thinking_in_prompt = thinking;
  if (request.logprobs) {
    plan.logprobs = LogprobsFormat::kChat;
    plan.top_logprobs = request.top_logprobs;
  }
  TURBINE_CHECK(model.chat != nullptr);
  plan.tool_choice = request.tool_choice;
  plan.tools = request.prompt.tools;
  if (plan.tool_choice.mode == ToolChoice::Mode::kAuto) {
    if (!model.enable_auto_tool_choice || model.tool_call_parser.empty())
      fail_param("tool_choice",
                 "\"auto\" tool choice requires the server to run with --enable-auto-tool-choice and "
                 "--tool-call-parser (or send tool_choice \"none\", \"required\" or a named function)");
    plan.tool_call_parser = model.tool_call_parser;
    // The markers a parser reads (<tool_call>, <|python_tag|>, [TOOL_CALLS]) may be special
    // tokens: keep them in the text (vLLM's parsers turn skip_special_tokens off the same way).
    plan.skip_special_tokens = false;
  }
  plan.reasoning_parser = model.reasoning_parser;
  // vLLM's chat echo: the reply continues the last message when that message is the assistant's.
  const Json& last = request.prompt.messages.back();
  if (request.echo && last["role"] == "assistant" && last["content"].is_string())
    plan.chat_echo = last["content"].get<std::string>();
  const std::optional<int64_t> keep = prompt_keep_length(g, model.max_model_len, g.max_tokens.value_or(0));
  const SharedParams shared = shared_params(g, model);
  PlannedPrompt prompt;
  prompt.text = model.chat->render(request.prompt);
  if (!keep) check_text_may_fit(prompt.text, model, "messages");
  // The template writes the special tokens itself (BOS included), so none are added by default.
  prompt.token_ids = model.tokenizer.encode(prompt.text, g.add_special_tokens.value_or(false));
  if (keep) truncate_prompt(prompt.token_ids, *keep, g.truncate_keeps_first);
  prompt.params = params_for_prompt(g, shared, prompt.token_ids.size(), model.max_model_len, model, "messages");
  plan.prompts.push_back(std::move(prompt));
  return plan;
}

}  // namespace turbine::server
