// POST /v1/completions: the request body.
#include "server/api_error.h"
#include "server/protocol.h"

namespace turbine::server {
namespace {

// Text prompts together may bring at most kMaxPromptBytesPerRequest bytes.
void check_text_bytes(size_t bytes) {
  if (bytes > kMaxPromptBytesPerRequest)
    fail_param("prompt", "the prompt text is {} bytes or more; at most {} are allowed in one request", bytes,
               kMaxPromptBytesPerRequest);
}

// "prompt": a string, a list of strings, a list of token ids, or a list of token-id lists.
std::vector<PromptInput> parse_prompts(const JsonObjectReader& body) {
  const Json* prompt = body.find("prompt");
  if (!prompt) throw ApiError(400, "'prompt' is required", "prompt", "missing_required_parameter");
  std::vector<PromptInput> prompts;
  if (prompt->is_string()) {
    check_text_bytes(prompt->get_ref<const std::string&>().size());
    prompts.emplace_back(prompt->get<std::string>());
    return prompts;
  }
  if (!prompt->is_array())
    fail_param("prompt", "'prompt' must be a string, a list of strings, a list of token ids or a list of lists of "
                         "token ids");
  if (prompt->empty()) fail_param("prompt", "'prompt' must not be an empty list");
  const Json& first = prompt->front();
  if (first.is_number()) {
    prompts.emplace_back(parse_token_ids(*prompt, "prompt"));
    return prompts;
  }
  if (prompt->size() > size_t(kMaxPromptsPerRequest))
    fail_param("prompt", "at most {} prompts are allowed in one request, got {}", kMaxPromptsPerRequest, prompt->size());
  size_t text_bytes = 0;
  for (size_t i = 0; i < prompt->size(); ++i) {
    const Json& item = (*prompt)[i];
    if (item.is_string()) check_text_bytes(text_bytes += item.get_ref<const std::string&>().size());
    const std::string param = fmt::format("prompt[{}]", i);
    if (first.is_string() && item.is_string()) {
      prompts.emplace_back(item.get<std::string>());
    } else if (first.is_array() && item.is_array()) {
      prompts.emplace_back(parse_token_ids(item, param));
    } else {
      fail_param(param, "'prompt' lists must hold only strings or only lists of token ids; '{}' is {}", param,
                 describe_json(item));
    }
  }
  return prompts;
}

}  // namespace

CompletionRequest parse_completion_request(const Json& body_json) {
  const JsonObjectReader body(body_json);
  CompletionRequest r;
  r.prompts = parse_prompts(body);
  r.generation = parse_generation_fields(body);
  r.echo = body.boolean("echo").value_or(false);
  if (const auto logprobs = body.integer("logprobs", 0, kMaxLogprobs)) {
    r.logprobs = int(*logprobs);
    r.generation.sampling.logprobs = int(*logprobs);
  }
  if (body.find("suffix")) fail_param("suffix", "'suffix' is not supported");
  if (body.find("prompt_embeds"))
    fail_param("prompt_embeds", "'prompt_embeds' is not supported yet (prompts are text or token ids)");
  reject_unsupported_fields(body);
  // vLLM's words: its completions return a beam search's result whole only.
  if (r.generation.beam_search && r.generation.stream)
    fail_param("stream", "Streaming is not currently supported with beam search");
  return r;
}

}  // namespace turbine::server
