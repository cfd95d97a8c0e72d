// ChatPromptRenderer: a conversation to prompt text, as transformers' apply_chat_template makes it.
//
// The render context is what apply_chat_template passes to Jinja: messages, tools and documents
// (null when absent), add_generation_prompt, the tokenizer's special tokens (bos_token, ...), and
// the request's chat_template_kwargs. continue_final_message cuts the text right after the final
// message's content, with transformers' handling of trailing whitespace. The template is the
// --chat-template file when given, else the model's: "tool_use" when the request has tools and
// the model has one, else "default".
//
// Templates are compiled once, at construction; render() is const and thread-safe. A model
// without any template makes every render a 400 ApiError that says how to give one.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "server/protocol.h"
#include "tokenizer/chat_template/chat_template.h"

namespace turbine::server {

class ChatPromptRenderer {
 public:
  // `override_source`: the --chat-template file's text, which replaces the model's templates.
  ChatPromptRenderer(ChatTemplateConfig config, std::optional<std::string> override_source);

  bool has_template() const { return !templates_.empty(); }

  // The prompt text; throws ApiError (400) when there is no template or rendering fails (the
  // template's own raise_exception message included).
  std::string render(const ChatPrompt& prompt) const;

 private:
  struct Compiled {
    std::optional<ChatTemplate> tmpl;
    std::string error;  // the compile error when tmpl is empty
  };
  ChatTemplateConfig config_;
  std::map<const std::string*, Compiled> templates_;  // by the address of the source in config_
};

}  // namespace turbine::server
