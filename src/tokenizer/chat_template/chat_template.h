// Chat templates: the Jinja program in a model's tokenizer_config.json that turns a list of
// messages into the prompt text, rendered as Python transformers renders it.
//
// transformers renders with Jinja2's ImmutableSandboxedEnvironment, trim_blocks and lstrip_blocks
// on, `raise_exception` and `strftime_now` as globals and `tojson` replaced by json.dumps without
// HTML escaping. This engine follows it byte for byte for the constructs chat templates use (see
// parser.h, filters.h, jinja_tests.h, methods.h for the lists); where @huggingface/jinja (the
// JavaScript port) differs from Python, Python wins. Anything unsupported fails at compile time
// with a turbine::Error naming the construct, line and column.
//
//   ChatTemplateConfig config = ChatTemplateConfig::load(model_dir);
//   ChatTemplate tmpl = ChatTemplate::compile(config.select());
//   std::string prompt = tmpl.render(config.with_special_tokens(context));
//
// Compile once, render many times: render() is const and safe to call from many threads at once.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace turbine {

namespace chat_template {
struct Program;
}

class ChatTemplate {
 public:
  // Parses the template; throws turbine::Error on a syntax error or an unsupported construct.
  static ChatTemplate compile(std::string source);

  // `context` is a JSON object whose keys become template variables: typically "messages",
  // "add_generation_prompt", "tools", "bos_token"... Throws turbine::Error on a render error,
  // including the template's own raise_exception(message) (the error's text is the message).
  std::string render(const nlohmann::ordered_json& context) const;

  const std::string& source() const { return *source_; }

 private:
  ChatTemplate(std::shared_ptr<const std::string> source, std::shared_ptr<const chat_template::Program> program)
      : source_(std::move(source)), program_(std::move(program)) {}

  std::shared_ptr<const std::string> source_;
  std::shared_ptr<const chat_template::Program> program_;
};

// What a model folder says about chat templating: its templates and special tokens.
struct ChatTemplateConfig {
  // Name -> template source. A single template is named "default"; tokenizer_config.json may
  // also carry named ones ("tool_use", "rag", ...) as a list of {"name", "template"}.
  std::vector<std::pair<std::string, std::string>> templates;
  // Special tokens as plain strings (bos_token, eos_token, unk_token, sep_token, pad_token,
  // cls_token, mask_token, and additional_special_tokens as a list); null tokens are left out.
  nlohmann::ordered_json special_tokens = nlohmann::ordered_json::object();

  static ChatTemplateConfig from_tokenizer_config(const nlohmann::ordered_json& tokenizer_config);
  // Reads DIR/tokenizer_config.json; like transformers, DIR/chat_template.jinja (or the legacy
  // chat_template.json) replaces its default template and DIR/additional_chat_templates/*.jinja
  // add named ones. Throws turbine::Error if tokenizer_config.json is missing or malformed.
  static ChatTemplateConfig load(const std::filesystem::path& tokenizer_dir);

  bool has_template(std::string_view name = "default") const;
  // transformers' choice: `name` if given; otherwise "tool_use" when the request has tools and
  // such a template exists; otherwise "default". Throws turbine::Error when there is none.
  const std::string& select(std::string_view name = {}, bool has_tools = false) const;
  // The context with each special token added unless the caller already set that key.
  nlohmann::ordered_json with_special_tokens(nlohmann::ordered_json context) const;
};

}  // namespace turbine
