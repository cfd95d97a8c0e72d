// The JSON of completions and chat responses and stream chunks, in vLLM's shapes.
//
//   completions: {"id": "cmpl-...", "object": "text_completion", "created", "model",
//                 "choices": [{"index", "text", "logprobs", "finish_reason", "stop_reason"}],
//                 "usage": {"prompt_tokens", "total_tokens", "completion_tokens"}}
//   chat:        {"id": "chatcmpl-...", "object": "chat.completion", ..., "choices": [{"index",
//                 "message": {"role": "assistant", "content", "tool_calls": []}, "logprobs",
//                 "finish_reason", "stop_reason"}], "usage"}
//   chat chunks: "object": "chat.completion.chunk", choices with "delta" ({"role"}, {"content"})
//                instead of "message"; completions chunks keep "text_completion".
// finish_reason is "stop", "length", "abort" or null; stop_reason the stop string or stop token
// id that ended the choice, else null.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/request.h"
#include "server/chat_output_shaper.h"
#include "server/generation_plan.h"
#include "server/json_request.h"

namespace turbine::server {

Json usage_json(int64_t prompt_tokens, int64_t completion_tokens);
Json finish_reason_json(std::optional<RequestFinishReason> reason);

Json completion_choice_json(int index, std::string text, Json logprobs, Json finish_reason, Json stop_reason);
Json chat_message_choice_json(int index, std::string content, Json logprobs, Json finish_reason, Json stop_reason);
// The same for a shaped message: content (or null), reasoning_content when there is reasoning,
// and its tool calls ({"id", "type": "function", "function": {"name", "arguments"}}).
Json chat_message_choice_json(int index, ShapedMessage message, Json logprobs, Json finish_reason, Json stop_reason);
// A chat chunk's choice: "delta" holds the role and/or content that are given.
Json chat_delta_choice_json(int index, const std::optional<std::string>& role, const std::optional<std::string>& content,
                            Json logprobs, Json finish_reason, Json stop_reason);
// A shaped chunk's delta: reasoning_content, content and tool_calls (each only when present; a
// call's first delta carries "id", "type" and the function's name).
Json chat_shaped_delta_choice_json(int index, const ShapedDelta& delta, Json logprobs, Json finish_reason,
                                   Json stop_reason);

// {"id", "object", "created", "model", "choices"} plus "usage" unless `usage` is discarded
// (Json(Json::value_t::discarded)); null usage is written as null (stream chunks with
// include_usage carry "usage": null until the last one).
Json response_json(const GenerationPlan& plan, bool chunk, Json choices, Json usage);

// For dump(): invalid UTF-8 cannot come out of the detokenizer, but a template or an echoed
// prompt is not trusted to be valid.
std::string dump_json(const Json& value);

}  // namespace turbine::server
