// vLLM request fields Turbine does not implement yet: each is a 400 naming it as soon as it holds
// anything but its default, so that no request is silently served without what it asked for.
// (Fields vLLM itself accepts and ignores are listed in README.md, "Fields accepted and ignored".)
#include "server/api_error.h"
#include "server/protocol.h"

namespace turbine::server {
namespace {

// A field whose only accepted value is null (or its absence).
void reject_if_given(const JsonObjectReader& body, const char* key, const char* why) {
  if (body.has(key)) fail_param(key, "'{}' is not supported yet ({})", key, why);
}

// A boolean field whose only accepted value is false.
void reject_if_true(const JsonObjectReader& body, const char* key, const char* why) {
  if (body.boolean(key).value_or(false))
    fail_param(key, "'{}' is not supported yet ({}); only false is accepted", key, why);
}

}  // namespace

void reject_unsupported_fields(const JsonObjectReader& body) {
  // Around structured output (structured_output_fields.cc has the constraints themselves): older
  // vLLM's top-level structural_tag.
  reject_if_given(body, "structural_tag", "structural tags are not supported yet");

  reject_if_true(body, "watermarking", "output watermarking is not implemented");
  reject_if_true(body, "return_token_ids", "responses do not carry token ids");
  reject_if_given(body, "prompt_logprobs", "only echo with logprobs reports the prompt's logprobs");
  reject_if_given(body, "logprob_token_ids", "logprobs come for the top tokens only");
  reject_if_given(body, "repetition_detection", "generation does not stop on repeated patterns");
  reject_if_given(body, "logits_processors", "custom logits processors cannot be loaded");
  // -1 means unlimited, which is what a model without a thinking budget does anyway.
  if (const auto budget = body.integer("thinking_token_budget"); budget && *budget != -1)
    fail_param("thinking_token_budget", "'thinking_token_budget' is not supported yet (reasoning budgets are not "
                                        "implemented); only -1 (unlimited) is accepted");
}

}  // namespace turbine::server
