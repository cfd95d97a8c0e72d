#include "bench/openai_stream.h"

#include <nlohmann/json.hpp>

#include "common/error.h"

namespace turbine::bench {

using nlohmann::json;

Endpoint parse_endpoint(std::string_view text) {
  if (text == "completions" || text == "/v1/completions") return Endpoint::kCompletions;
  if (text == "chat" || text == "/v1/chat/completions") return Endpoint::kChat;
  fail("--endpoint must be completions or chat (or /v1/completions, /v1/chat/completions), got \"{}\"", text);
}

std::string_view endpoint_name(Endpoint endpoint) {
  return endpoint == Endpoint::kChat ? "chat" : "completions";
}

std::string_view endpoint_path(Endpoint endpoint) {
  return endpoint == Endpoint::kChat ? "/v1/chat/completions" : "/v1/completions";
}

std::string_view endpoint_backend(Endpoint endpoint) {
  return endpoint == Endpoint::kChat ? "openai-chat" : "openai";
}

std::string request_body(Endpoint endpoint, const std::string& model, const std::string& prompt, int max_tokens,
                         bool ignore_eos, const json& extra_body) {
  json body;
  body["model"] = model;
  if (endpoint == Endpoint::kChat) {
    body["messages"] = json::array({{{"role", "user"}, {"content", json::array({{{"type", "text"}, {"text", prompt}}})}}});
    body["temperature"] = 0.0;
    body["max_completion_tokens"] = max_tokens;
  } else {
    body["prompt"] = prompt;
    body["temperature"] = 0.0;
    body["repetition_penalty"] = 1.0;
    body["max_tokens"] = max_tokens;
  }
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  if (ignore_eos) body["ignore_eos"] = true;
  // vLLM's --extra-body: fields merged over the request's own (a response_format, sampling).
  if (extra_body.is_object())
    for (const auto& [key, value] : extra_body.items()) body[key] = value;
  // Random-token prompts may hold invalid UTF-8 after decoding; replace it rather than throw.
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

void StreamRecorder::on_start(double t) { result_.start_time = t; }

void StreamRecorder::fail(std::string error, double t) {
  if (!failed_) result_.error = std::move(error);
  failed_ = true;
  result_.success = false;
}

void StreamRecorder::on_event(std::string_view data, double t) {
  if (failed_ || data == "[DONE]") return;
  const json chunk = json::parse(data, nullptr, false);
  if (chunk.is_discarded() || !chunk.is_object()) {
    fail(fmt::format("malformed stream chunk: {}", data.substr(0, 200)), t);
    return;
  }
  if (const auto error = chunk.find("error"); error != chunk.end() && !error->is_null()) {
    const json& e = *error;
    fail(fmt::format("error event: {}", e.is_object() && e.contains("message") && e["message"].is_string()
                                            ? e["message"].get<std::string>()
                                            : e.dump()),
         t);
    return;
  }
  last_chunk_time_ = t;
  const auto choices = chunk.find("choices");
  if (choices != chunk.end() && choices->is_array() && !choices->empty()) {
    if (!first_choice_time_) first_choice_time_ = t;
    const json& choice = (*choices)[0];
    const json* text = nullptr;
    if (endpoint_ == Endpoint::kChat) {
      if (const auto delta = choice.find("delta"); delta != choice.end() && delta->is_object())
        if (const auto content = delta->find("content"); content != delta->end()) text = &*content;
    } else if (const auto t_it = choice.find("text"); t_it != choice.end()) {
      text = &*t_it;
    }
    if (text && text->is_string() && !text->get_ref<const std::string&>().empty()) {
      if (!saw_content_) {
        result_.ttft = t - result_.start_time;
        saw_content_ = true;
      } else {
        result_.itl.push_back(t - last_content_time_);
      }
      last_content_time_ = t;
      result_.generated_text += text->get_ref<const std::string&>();
    }
  }
  if (const auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
    if (const auto c = usage->find("completion_tokens"); c != usage->end() && c->is_number_integer()) {
      result_.output_tokens = c->get<int>();
      result_.output_tokens_from_usage = true;
    }
    if (const auto p = usage->find("prompt_tokens"); p != usage->end() && p->is_number_integer())
      result_.server_prompt_tokens = p->get<int>();
  }
}

void StreamRecorder::on_complete(double t) {
  finished_ = true;
  result_.finish_time = t;
  if (failed_) return;
  if (!first_choice_time_) {
    fail("the stream ended without a chunk carrying a choice (no time to first token)", t);
    return;
  }
  if (!saw_content_) result_.ttft = *first_choice_time_ - result_.start_time;
  result_.latency = *last_chunk_time_ - result_.start_time;
  result_.success = true;
}

void StreamRecorder::on_failure(std::string error, double t) {
  finished_ = true;
  result_.finish_time = t;
  fail(std::move(error), t);
}

}  // namespace turbine::bench
