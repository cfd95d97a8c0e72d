// POST /tokenize and /detokenize (vLLM's extensions): the request bodies.
#include "server/api_error.h"
#include "server/protocol.h"

namespace turbine::server {

TokenizeRequest parse_tokenize_request(const Json& body_json) {
  const JsonObjectReader body(body_json);
  TokenizeRequest r;
  r.model = body.string("model");
  const bool has_prompt = body.has("prompt"), has_messages = body.has("messages");
  if (has_prompt == has_messages)
    throw ApiError(400, "give exactly one of 'prompt' and 'messages'", has_prompt ? "messages" : "prompt",
                   has_prompt ? "invalid_value" : "missing_required_parameter");
  if (has_prompt) {
    r.text = body.string("prompt");
    if (r.text->size() > kMaxTokenizeInputBytes)
      fail_param("prompt", "'prompt' is {} bytes; /tokenize takes at most {} bytes of text", r.text->size(),
                 kMaxTokenizeInputBytes);
  } else {
    r.chat = parse_chat_prompt(body);
    if (r.chat->text_bytes > kMaxTokenizeInputBytes)
      fail_param("messages", "the conversation holds {} bytes of text; /tokenize takes at most {}",
                 r.chat->text_bytes, kMaxTokenizeInputBytes);
  }
  r.add_special_tokens = body.boolean("add_special_tokens");
  r.return_token_strs = body.boolean("return_token_strs").value_or(false);
  return r;
}

DetokenizeRequest parse_detokenize_request(const Json& body_json) {
  const JsonObjectReader body(body_json);
  DetokenizeRequest r;
  r.model = body.string("model");
  const Json* tokens = body.find("tokens");
  if (!tokens) throw ApiError(400, "'tokens' is required", "tokens", "missing_required_parameter");
  r.tokens = parse_token_ids(*tokens, "tokens");
  return r;
}

}  // namespace turbine::server
