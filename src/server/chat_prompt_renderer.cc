#include "server/chat_prompt_renderer.h"

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "server/api_error.h"

namespace turbine::server {
namespace {

constexpr std::string_view kPythonWhitespace = " \t\n\r\f\v";

std::string_view strip(std::string_view s) {
  const size_t begin = s.find_first_not_of(kPythonWhitespace);
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(kPythonWhitespace) - begin + 1);
}

std::string_view lstrip(std::string_view s) {
  const size_t begin = s.find_first_not_of(kPythonWhitespace);
  return begin == std::string_view::npos ? std::string_view{} : s.substr(begin);
}

// transformers: keep the text up to the end of the final message, so generation continues it.
std::string cut_after_final_message(std::string rendered, const Json& final_message) {
  const Json& content = final_message["content"];
  if (!content.is_string())
    fail_param("messages", "continue_final_message is set but the final message has no text to continue");
  const std::string text = content.get<std::string>();
  const std::string_view stripped = strip(text);
  const size_t loc = rendered.rfind(stripped);
  if (loc == std::string::npos)
    fail_param("messages",
               "continue_final_message is set but the final message does not appear in the chat after applying the "
               "chat template (the template may delete parts of it)");
  const std::string_view left_stripped = lstrip(text);
  if (std::string_view(rendered).substr(loc, left_stripped.size()) == text) {
    rendered.resize(loc + left_stripped.size());  // spacing preserved, or none to trim
  } else {
    rendered.resize(loc + stripped.size());  // the template trimmed trailing spacing
  }
  return rendered;
}

}  // namespace

ChatPromptRenderer::ChatPromptRenderer(ChatTemplateConfig config, std::optional<std::string> override_source)
    : config_(std::move(config)) {
  if (override_source) config_.templates = {{"default", std::move(*override_source)}};
  for (const auto& [name, source] : config_.templates) {
    Compiled compiled;
    try {
      compiled.tmpl = ChatTemplate::compile(source);
    } catch (const Error& e) {
      compiled.error = e.what();
      spdlog::warn("chat template '{}' does not compile: {}", name, e.what());
    }
    templates_.emplace(&source, std::move(compiled));
  }
}

std::string ChatPromptRenderer::render(const ChatPrompt& prompt) const {
  if (templates_.empty())
    throw ApiError(400,
                   "this model has no chat template, so chat requests cannot be served: use /v1/completions, or "
                   "start the server with --chat-template FILE",
                   "messages", "no_chat_template");
  const bool has_tools = prompt.tools.is_array() && !prompt.tools.empty();
  const std::string* source = nullptr;
  try {
    source = &config_.select({}, has_tools);
  } catch (const Error& e) {
    throw ApiError(400, e.what(), "messages", "no_chat_template");
  }
  const auto it = templates_.find(source);
  TURBINE_CHECK(it != templates_.end(), "the selected chat template was not compiled");
  if (!it->second.tmpl)
    throw ApiError(400, fmt::format("the model's chat template cannot be used: {}", it->second.error), "messages",
                   "invalid_chat_template");

  // apply_chat_template: render(messages=..., tools=..., documents=..., add_generation_prompt=...,
  // **special_tokens_map, **kwargs); the named arguments win over kwargs of the same name.
  Json context = prompt.chat_template_kwargs.is_object() ? prompt.chat_template_kwargs : Json::object();
  context["messages"] = prompt.messages;
  context["tools"] = has_tools ? prompt.tools : Json(nullptr);
  context["documents"] = prompt.documents.is_array() && !prompt.documents.empty() ? prompt.documents : Json(nullptr);
  context["add_generation_prompt"] = prompt.add_generation_prompt;
  std::string rendered;
  try {
    rendered = it->second.tmpl->render(config_.with_special_tokens(std::move(context)));
  } catch (const Error& e) {
    throw ApiError(400, fmt::format("the chat template failed on these messages: {}", e.what()), "messages",
                   "chat_template_error");
  }
  if (prompt.continue_final_message) rendered = cut_after_final_message(std::move(rendered), prompt.messages.back());
  return rendered;
}

}  // namespace turbine::server
