#include "server/response_json.h"

namespace turbine::server {

Json usage_json(int64_t prompt_tokens, int64_t completion_tokens) {
  Json usage = Json::object();
  usage["prompt_tokens"] = prompt_tokens;
  usage["total_tokens"] = prompt_tokens + completion_tokens;
  usage["completion_tokens"] = completion_tokens;
  return usage;
}

Json finish_reason_json(std::optional<RequestFinishReason> reason) {
  return reason ? Json(std::string(request_finish_reason_name(*reason))) : Json(nullptr);
}

Json completion_choice_json(int index, std::string text, Json logprobs, Json finish_reason, Json stop_reason) {
  Json choice = Json::object();
  choice["index"] = index;
  choice["text"] = std::move(text);
  choice["logprobs"] = std::move(logprobs);
  choice["finish_reason"] = std::move(finish_reason);
  choice["stop_reason"] = std::move(stop_reason);
  return choice;
}

Json chat_message_choice_json(int index, std::string content, Json logprobs, Json finish_reason, Json stop_reason) {
  return chat_message_choice_json(index, ShapedMessage{{}, std::move(content), {}}, std::move(logprobs),
                                  std::move(finish_reason), std::move(stop_reason));
}

namespace {

// A choice of a chat chunk around its delta.
Json delta_choice(int index, Json delta, Json logprobs, Json finish_reason, Json stop_reason) {
  Json choice = Json::object();
  choice["index"] = index;
  choice["delta"] = std::move(delta);
  choice["logprobs"] = std::move(logprobs);
  choice["finish_reason"] = std::move(finish_reason);
  choice["stop_reason"] = std::move(stop_reason);
  return choice;
}

}  // namespace

Json chat_message_choice_json(int index, ShapedMessage shaped, Json logprobs, Json finish_reason, Json stop_reason) {
  Json message = Json::object();
  message["role"] = "assistant";
  message["content"] = shaped.content ? Json(std::move(*shaped.content)) : Json(nullptr);
  if (!shaped.reasoning.empty()) message["reasoning_content"] = std::move(shaped.reasoning);
  Json calls = Json::array();
  for (ToolCall& call : shaped.tool_calls)
    calls.push_back(Json{{"id", std::move(call.id)},
                         {"type", "function"},
                         {"function", {{"name", std::move(call.name)}, {"arguments", std::move(call.arguments)}}}});
  message["tool_calls"] = std::move(calls);
  Json choice = Json::object();
  choice["index"] = index;
  choice["message"] = std::move(message);
  choice["logprobs"] = std::move(logprobs);
  choice["finish_reason"] = std::move(finish_reason);
  choice["stop_reason"] = std::move(stop_reason);
  return choice;
}

Json chat_shaped_delta_choice_json(int index, const ShapedDelta& shaped, Json logprobs, Json finish_reason,
                                   Json stop_reason) {
  Json delta = Json::object();
  if (!shaped.reasoning.empty()) delta["reasoning_content"] = shaped.reasoning;
  if (!shaped.content.empty()) delta["content"] = shaped.content;
  if (!shaped.tool_calls.empty()) {
    Json calls = Json::array();
    for (const ToolCallDelta& d : shaped.tool_calls) {
      Json call{{"index", d.index}};
      Json function = Json::object();
      if (d.id) {
        call["id"] = *d.id;
        call["type"] = "function";
      }
      if (d.name) function["name"] = *d.name;
      function["arguments"] = d.arguments_delta;
      call["function"] = std::move(function);
      calls.push_back(std::move(call));
    }
    delta["tool_calls"] = std::move(calls);
  }
  return delta_choice(index, std::move(delta), std::move(logprobs), std::move(finish_reason), std::move(stop_reason));
}

Json chat_delta_choice_json(int index, const std::optional<std::string>& role, const std::optional<std::string>& content,
                            Json logprobs, Json finish_reason, Json stop_reason) {
  Json delta = Json::object();
  if (role) delta["role"] = *role;
  if (content) delta["content"] = *content;
  return delta_choice(index, std::move(delta), std::move(logprobs), std::move(finish_reason), std::move(stop_reason));
}

Json response_json(const GenerationPlan& plan, bool chunk, Json choices, Json usage) {
  const bool chat = plan.endpoint == ApiEndpoint::kChatCompletions;
  Json out = Json::object();
  out["id"] = plan.id;
  out["object"] = chat ? (chunk ? "chat.completion.chunk" : "chat.completion") : "text_completion";
  out["created"] = plan.created;
  out["model"] = plan.model_name;
  out["choices"] = std::move(choices);
  if (!usage.is_discarded()) out["usage"] = std::move(usage);
  return out;
}

std::string dump_json(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace turbine::server
