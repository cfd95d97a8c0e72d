// POST /v1/chat/completions: the request body, and the conversation fields /tokenize shares.
#include "server/api_error.h"
#include "server/protocol.h"

namespace turbine::server {
namespace {

// Message content as the template sees it: a string, or null. A list of parts is joined with
// newlines, as vLLM does for templates that expect string content; only text parts exist here.
Json normalize_content(const Json& content, const std::string& param) {
  if (content.is_null() || content.is_string()) return content;
  if (!content.is_array()) fail_param(param, "'{}' must be a string or a list of content parts", param);
  std::string text;
  for (size_t i = 0; i < content.size(); ++i) {
    const Json& part = content[i];
    const std::string part_param = fmt::format("{}[{}]", param, i);
    if (!part.is_object()) fail_param(part_param, "'{}' must be an object with \"type\" and \"text\"", part_param);
    const JsonObjectReader reader(part, part_param);
    const std::optional<std::string> type = reader.string("type");
    if (!type) fail_param(reader.param("type"), "'{}' is required", reader.param("type"));
    if (*type != "text")
      fail_param(reader.param("type"), "content parts of type \"{}\" are not supported (only \"text\")", *type);
    const std::optional<std::string> part_text = reader.string("text");
    if (!part_text) fail_param(reader.param("text"), "'{}' is required", reader.param("text"));
    if (i > 0) text += '\n';
    text += *part_text;
  }
  return text;
}

Json normalize_message(const Json& message, size_t index) {
  const std::string path = fmt::format("messages[{}]", index);
  if (!message.is_object()) fail_param(path, "'{}' must be an object with \"role\" and \"content\"", path);
  const JsonObjectReader reader(message, path);
  if (!reader.string("role")) fail_param(reader.param("role"), "'{}' is required", reader.param("role"));
  Json normalized = message;
  normalized["content"] = message.contains("content") ? normalize_content(message["content"], reader.param("content"))
                                                      : Json(nullptr);
  return normalized;
}

// tools / documents: null or a list, passed through to the template.
Json optional_list(const JsonObjectReader& body, const char* key) {
  const Json* value = body.find(key);
  if (!value) return nullptr;
  if (!value->is_array()) fail_param(key, "'{}' must be a list", key);
  return *value;
}

}  // namespace

ChatPrompt parse_chat_prompt(const JsonObjectReader& body) {
  ChatPrompt p;
  const Json* messages = body.find("messages");
  if (!messages) throw ApiError(400, "'messages' is required", "messages", "missing_required_parameter");
  if (!messages->is_array()) fail_param("messages", "'messages' must be a list of messages");
  if (messages->empty()) fail_param("messages", "'messages' must not be empty");
  for (size_t i = 0; i < messages->size(); ++i) p.messages.push_back(normalize_message((*messages)[i], i));

  p.add_generation_prompt = body.boolean("add_generation_prompt").value_or(true);
  p.continue_final_message = body.boolean("continue_final_message").value_or(false);
  if (p.add_generation_prompt && p.continue_final_message && body.has("add_generation_prompt"))
    fail_param("continue_final_message",
               "'continue_final_message' and 'add_generation_prompt' cannot both be true");
  if (p.continue_final_message) p.add_generation_prompt = false;  // continuing implies no new turn
  p.tools = optional_list(body, "tools");
  p.documents = optional_list(body, "documents");
  if (const Json* kwargs = body.find("chat_template_kwargs")) {
    if (!kwargs->is_object()) fail_param("chat_template_kwargs", "'chat_template_kwargs' must be an object");
    p.chat_template_kwargs = *kwargs;
  }
  p.text_bytes = json_string_bytes(p.messages) + json_string_bytes(p.tools) + json_string_bytes(p.documents) +
                 json_string_bytes(p.chat_template_kwargs);
  if (body.find("chat_template"))
    fail_param("chat_template", "a per-request 'chat_template' is not accepted; start the server with --chat-template");
  return p;
}

ChatCompletionRequest parse_chat_completion_request(const Json& body_json) {
  const JsonObjectReader body(body_json);
  ChatCompletionRequest r;
  r.prompt = parse_chat_prompt(body);
  if (r.prompt.text_bytes > kMaxPromptBytesPerRequest)
    fail_param("messages", "the conversation holds {} bytes of text; at most {} are allowed in one request",
               r.prompt.text_bytes, kMaxPromptBytesPerRequest);
  r.generation = parse_generation_fields(body);
  r.logprobs = body.boolean("logprobs").value_or(false);
  if (const auto top = body.integer("top_logprobs", 0, kMaxLogprobs)) {
    if (!r.logprobs && *top > 0) fail_param("top_logprobs", "'top_logprobs' needs 'logprobs' set to true");
    r.top_logprobs = int(*top);
  }
  r.generation.sampling.logprobs = r.logprobs ? r.top_logprobs : 0;
  r.tool_choice = parse_tool_choice(body, r.prompt.tools);
  if (auto tool_constraint = tool_choice_constraint(r.tool_choice, r.prompt.tools)) {
    if (r.generation.constraint)
      fail_param(r.generation.constraint->param,
                 "'{}' cannot be combined with tool_choice \"required\" or a named tool (that choice constrains the "
                 "output already)",
                 r.generation.constraint->param);
    if (r.generation.beam_search)
      fail_param("tool_choice", "tool_choice \"required\" or a named tool constrains the output, which beam search "
                                "(use_beam_search: true) does not support");
    r.generation.constraint = std::move(tool_constraint);
  }
  r.echo = body.boolean("echo").value_or(false);
  if (body.boolean("return_prompt_text").value_or(false))
    fail_param("return_prompt_text", "'return_prompt_text' is not supported yet (responses do not carry the "
                                     "rendered prompt); only false is accepted");
  reject_unsupported_fields(body);
  return r;
}

}  // namespace turbine::server
